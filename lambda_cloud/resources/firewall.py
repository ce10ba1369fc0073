"""``/firewall-rules`` and ``/firewall-rulesets``: which inbound traffic reaches instances.

Firewall rules do not apply to instances in region ``us-south-1``.
"""

from __future__ import annotations

import builtins
from typing import Any

from .._api import ClientAPI
from .._compat import Unpack
from .._converter import structure, unstructure
from .._options import RequestOptions
from .._raw import WithRawResponse, async_to_raw_response_wrapper
from .._retry import RetryRule
from .._validation import check_firewall_rules, check_length, check_path_id
from ..errors import ValidationError
from ..types.firewall import FirewallRule, FirewallRuleset, GlobalFirewallRuleset
from ..types.params import FirewallRulesParam
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
    return [unstructure(rule) for rule in check_firewall_rules(rules)]


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
