"""``/firewall-rules`` and ``/firewall-rulesets``: which inbound traffic reaches instances.

Firewall rules do not apply to instances in region ``us-south-1``.
"""

from __future__ import annotations

import builtins
import contextlib
import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from .._api import ClientAPI
from .._compat import Unpack
from .._converter import structure, unstructure
from .._options import RequestOptions
from .._raw import WithRawResponse, async_to_raw_response_wrapper
from .._retry import RetryRule
from .._validation import check_length, check_list, check_path_id, check_string
from ..errors import ValidationError
from ..types.firewall import FirewallRule, FirewallRuleset, GlobalFirewallRuleset, NetworkProtocol
from ..types.params import FIREWALL_RULE_KEYS, FirewallRulesParam
from ._base import AsyncAPIResource, is_not_found

__all__ = [
    "AsyncFirewall",
    "AsyncFirewallRules",
    "AsyncFirewallRulesWithRawResponse",
    "AsyncFirewallRulesets",
    "AsyncFirewallRulesetsWithRawResponse",
    "AsyncFirewallWithRawResponse",
]


class AsyncFirewallRules(AsyncAPIResource):
    """The account's inbound rules: the legacy view of the global ruleset."""

    async def list(self, **options: Unpack[RequestOptions]) -> builtins.list[FirewallRule]:
        """The inbound rules active for the account's instances."""
        data = await self._request("GET", "/firewall-rules", options=options)
        return structure(data, list[FirewallRule])

    async def replace(
        self,
        rules: FirewallRulesParam,
        **options: Unpack[RequestOptions],
    ) -> builtins.list[FirewallRule]:
        """Replace every inbound rule with ``rules`` (``[]`` removes them all); returns the new
        rules. A rule is a ``FirewallRule`` or the API's dict (``FirewallRuleParam``); each is
        checked before sending (``ValidationError`` names e.g. ``rules[2].port_range``)."""
        body = {"data": _rules_json(rules)}  # the one request body the API wraps in "data"
        data = await self._request("PUT", "/firewall-rules", body=body, options=options)
        return structure(data, list[FirewallRule])


class AsyncFirewallRulesets(AsyncAPIResource):
    """Named rulesets, each in one region, and the account-wide global ruleset."""

    async def list(self, **options: Unpack[RequestOptions]) -> builtins.list[FirewallRuleset]:
        """Every ruleset in the account (not the global one: see ``get_global``)."""
        data = await self._request("GET", "/firewall-rulesets", options=options)
        return structure(data, list[FirewallRuleset])

    async def create(
        self,
        name: str,
        region: str,
        rules: FirewallRulesParam,
        **options: Unpack[RequestOptions],
    ) -> FirewallRuleset:
        """Create a ruleset in ``region``; attach it to instances at launch with
        ``firewall_rulesets=[ruleset.id]``."""
        body = {
            "name": _name(name),
            "region": check_length(region, "region", min_len=1, max_len=64),
            "rules": _rules_json(rules),
        }
        # A lost answer may still have created it, and a retry would make a second one.
        data = await self._request(
            "POST",
            "/firewall-rulesets",
            body=body,
            rule=RetryRule.UNSAFE,
            options=options,
        )
        return structure(data, FirewallRuleset)

    async def get(self, id: str, **options: Unpack[RequestOptions]) -> FirewallRuleset:
        """The ruleset with this id; ``NotFoundError`` if there is none."""
        data = await self._request("GET", f"/firewall-rulesets/{_ruleset_id(id)}", options=options)
        return structure(data, FirewallRuleset)

    async def update(
        self,
        id: str,
        *,
        name: str | None = None,
        rules: FirewallRulesParam | None = None,
        **options: Unpack[RequestOptions],
    ) -> FirewallRuleset:
        """Rename a ruleset and/or replace its rules; what is not given is left as is."""
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = _name(name)
        if rules is not None:
            body["rules"] = _rules_json(rules)
        if not body:
            raise ValidationError("name", "give name, rules or both")
        data = await self._request(
            "PATCH",
            f"/firewall-rulesets/{_ruleset_id(id)}",
            body=body,
            options=options,
        )
        return structure(data, FirewallRuleset)

    async def delete(self, id: str, **options: Unpack[RequestOptions]) -> None:
        """Delete a ruleset; ``FirewallRulesetInUseError`` while instances use it."""
        await self._request(
            "DELETE",
            f"/firewall-rulesets/{_ruleset_id(id)}",
            options=options,
            done_if=is_not_found,
        )

    async def get_global(self, **options: Unpack[RequestOptions]) -> GlobalFirewallRuleset:
        """The global ruleset, which applies in every region."""
        data = await self._request("GET", "/firewall-rulesets/global", options=options)
        return structure(data, GlobalFirewallRuleset)

    async def update_global(
        self,
        rules: FirewallRulesParam,
        **options: Unpack[RequestOptions],
    ) -> GlobalFirewallRuleset:
        """Replace the global ruleset's rules (its name cannot be changed)."""
        body = {"rules": _rules_json(rules)}
        data = await self._request("PATCH", "/firewall-rulesets/global", body=body, options=options)
        return structure(data, GlobalFirewallRuleset)


class AsyncFirewall(AsyncAPIResource):
    """``rules`` (the account's inbound rules) and ``rulesets`` (named, per-region rulesets)."""

    rules: AsyncFirewallRules
    rulesets: AsyncFirewallRulesets

    def __init__(self, api: ClientAPI) -> None:
        super().__init__(api)
        self.rules = AsyncFirewallRules(api)
        self.rulesets = AsyncFirewallRulesets(api)


def _name(name: str) -> str:
    return check_length(name, "name", max_len=64)


def _ruleset_id(id: str) -> str:
    # "global" names the global ruleset, which has its own methods and model.
    if id == "global":
        raise ValidationError("id", "use get_global() / update_global() for the global ruleset")
    return check_path_id(id)


def _rules_json(rules: FirewallRulesParam) -> builtins.list[dict[str, Any]]:
    return [unstructure(rule) for rule in _check_rules(rules)]


def _check_rules(rules: object, field: str = "rules") -> list[FirewallRule]:
    """A list of firewall rules (``FirewallRule`` objects or the API's dicts), each checked as
    the API would (see ``FirewallRule``).

    Returns normalised copies: ``protocol`` a ``NetworkProtocol``, ``port_range`` a tuple.
    """
    items = check_list(rules, field)
    return [_check_firewall_rule(rule, f"{field}[{i}]") for i, rule in enumerate(items)]


def _rule_from_dict(rule: Mapping[object, object], field: str) -> FirewallRule:
    """A rule dict in the API's shape, its keys checked (values are checked as a rule's)."""
    for key in rule:
        if key not in FIREWALL_RULE_KEYS:
            allowed = ", ".join(FIREWALL_RULE_KEYS)
            raise ValidationError(f"{field}.{key}", f"unknown rule field (allowed: {allowed})")
    for key in FIREWALL_RULE_KEYS[:2]:
        if key not in rule:
            raise ValidationError(f"{field}.{key}", "required")
    fields: dict[str, Any] = {str(key): value for key, value in rule.items()}
    return FirewallRule(**fields)


def _check_firewall_rule(rule: object, field: str) -> FirewallRule:
    if isinstance(rule, Mapping):
        rule = _rule_from_dict(rule, field)
    if not isinstance(rule, FirewallRule):
        raise ValidationError(
            field, f"expected a FirewallRule or a rule dict, got {type(rule).__name__}"
        )
    protocol = rule.protocol
    if not isinstance(protocol, NetworkProtocol):
        protocol = NetworkProtocol(check_string(protocol, f"{field}.protocol"))
    # By value: is_known is fooled by an unknown "TCP", whose pseudo-member is named like TCP.
    if protocol.value not in NetworkProtocol._value2member_map_:
        allowed = ", ".join(member.value for member in NetworkProtocol)
        raise ValidationError(f"{field}.protocol", f"must be one of {allowed}, got {protocol!r}")
    port_range = None
    if protocol is NetworkProtocol.ICMP:
        if rule.port_range is not None:
            raise ValidationError(f"{field}.port_range", "not allowed for the icmp protocol")
    elif rule.port_range is None:
        raise ValidationError(f"{field}.port_range", f"required for the {protocol} protocol")
    else:
        port_range = _check_port_range(rule.port_range, f"{field}.port_range")
    return FirewallRule(
        protocol=protocol,
        source_network=_check_source_network(rule.source_network, f"{field}.source_network"),
        port_range=port_range,
        description=check_length(rule.description, f"{field}.description", max_len=128),
    )


def _check_port_range(value: object, field: str) -> tuple[int, int]:
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        raise ValidationError(field, "expected exactly two ports, [min, max]")
    low, high = value
    for port in (low, high):
        # bool is an int subclass, but True is no port number.
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            raise ValidationError(field, f"ports must be integers from 1 to 65535, got {port!r}")
    if low > high:
        raise ValidationError(field, f"min must not exceed max, got [{low}, {high}]")
    return (low, high)


def _check_source_network(value: object, field: str) -> str:
    text = check_string(value, field)
    _, slash, prefix = text.partition("/")
    try:
        # Strict, as the API's pydantic IPv4Network is: 10.0.0.1/24 (host bits set) is refused.
        ipaddress.IPv4Network(text, strict=True)
        if slash and not prefix.isdigit():  # a netmask form such as /255.255.255.0
            raise ValueError("give the prefix length as a number, e.g. /24")
    except ValueError as exc:
        hint = ""
        with contextlib.suppress(ValueError):
            hint = f" (the network is {ipaddress.IPv4Network(text, strict=False)})"
        raise ValidationError(field, f"not an IPv4 address or CIDR block: {exc}{hint}") from None
    return text


class AsyncFirewallRulesWithRawResponse(WithRawResponse):
    """``AsyncFirewallRules``, each method returning an ``APIResponse`` of its value."""

    def __init__(self, rules: AsyncFirewallRules) -> None:
        super().__init__(rules)
        self.list = async_to_raw_response_wrapper(rules.list)
        self.replace = async_to_raw_response_wrapper(rules.replace)


class AsyncFirewallRulesetsWithRawResponse(WithRawResponse):
    """``AsyncFirewallRulesets``, each method returning an ``APIResponse`` of its value."""

    def __init__(self, rulesets: AsyncFirewallRulesets) -> None:
        super().__init__(rulesets)
        self.list = async_to_raw_response_wrapper(rulesets.list)
        self.create = async_to_raw_response_wrapper(rulesets.create)
        self.get = async_to_raw_response_wrapper(rulesets.get)
        self.update = async_to_raw_response_wrapper(rulesets.update)
        self.delete = async_to_raw_response_wrapper(rulesets.delete)
        self.get_global = async_to_raw_response_wrapper(rulesets.get_global)
        self.update_global = async_to_raw_response_wrapper(rulesets.update_global)


class AsyncFirewallWithRawResponse(WithRawResponse):
    """``AsyncFirewall``, each method returning an ``APIResponse`` of its value."""

    def __init__(self, firewall: AsyncFirewall) -> None:
        super().__init__(firewall)
        self.rules = AsyncFirewallRulesWithRawResponse(firewall.rules)
        self.rulesets = AsyncFirewallRulesetsWithRawResponse(firewall.rulesets)
