"""Firewall: the global rules (``GET/PUT /firewall-rules`` and the ``global`` ruleset are one
list) and regional rulesets (``/firewall-rulesets``), with the rule validation they share."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

import attrs

from .catalog import REGIONS, region_json
from .errors import ApiError, invalid
from .model import Account
from .routing import Call, Route
from .validation import array, integer, obj, optional_string, string

if TYPE_CHECKING:
    from .audit import AuditLog
    from .world import World

__all__ = [
    "Firewall",
    "Ruleset",
    "default_global_rules",
    "find_ruleset",
    "firewall_rules",
    "ruleset_not_found",
]

Rules = list[dict[str, Any]]


@attrs.define(kw_only=True, eq=False)
class Ruleset:
    id: str
    name: str
    region: str
    rules: Rules
    created: str


def default_global_rules() -> Rules:
    """What a new account starts with: SSH from anywhere."""
    return [
        {
            "protocol": "tcp",
            "port_range": [22, 22],
            "source_network": "0.0.0.0/0",
            "description": "Allow SSH from anywhere",
        }
    ]


def ruleset_not_found() -> ApiError:
    return ApiError(
        "global/object-does-not-exist",
        "Firewall ruleset does not exist or you do not have permission to access it.",
        "Check your firewall ruleset ID and try again.",
    )


def find_ruleset(account: Account, ruleset_id: str) -> Ruleset:
    """The account's ruleset with this id (404 if none)."""
    ruleset = account.rulesets.get(ruleset_id)
    if ruleset is None:
        raise ruleset_not_found()
    return ruleset


def _copy_rules(rules: Rules) -> Rules:
    return [{k: list(v) if isinstance(v, list) else v for k, v in rule.items()} for rule in rules]


# -- rule validation ---------------------------------------------------------------------------


def firewall_rules(value: Any, path: str) -> Rules:
    """A list of FirewallRule objects, echoed back as given once valid."""
    return [_rule(item, f"{path}[{i}]") for i, item in enumerate(array(value, path))]


def _rule(item: Any, where: str) -> dict[str, Any]:
    rule = obj(
        item,
        where,
        required=("protocol", "source_network", "description"),
        optional=("port_range",),
    )
    protocol = rule["protocol"]
    if protocol not in ("tcp", "udp", "icmp", "all"):
        raise invalid(f"{where}.protocol: must be one of tcp, udp, icmp, all")
    out: dict[str, Any] = {"protocol": protocol}
    if protocol == "icmp":
        if "port_range" in rule:
            raise invalid(f"{where}.port_range: not allowed for the icmp protocol")
    else:
        if "port_range" not in rule:
            raise invalid(f"{where}.port_range: required for the {protocol} protocol")
        out["port_range"] = _port_range(rule["port_range"], f"{where}.port_range")
    out["source_network"] = _source_network(rule["source_network"], f"{where}.source_network")
    out["description"] = string(rule["description"], f"{where}.description", max_length=128)
    return out


def _port_range(value: Any, where: str) -> list[int]:
    ports = array(value, where)
    if len(ports) != 2:
        raise invalid(f"{where}: must be exactly [min, max]")
    low, high = (integer(p, f"{where}[{j}]") for j, p in enumerate(ports))
    for j, port in enumerate((low, high)):
        if not 1 <= port <= 65535:
            raise invalid(f"{where}[{j}]: must be between 1 and 65535")
    if low > high:
        raise invalid(f"{where}: min must not be greater than max")
    return [low, high]


def _source_network(value: Any, where: str) -> str:
    network = string(value, where, min_length=1)
    try:
        ipaddress.IPv4Network(network, strict=True)
    except ValueError:
        raise invalid(
            f"{where}: must be an IPv4 address or CIDR network",
            "Use CIDR notation such as 203.0.113.0/24, or 0.0.0.0/0 for any address.",
        ) from None
    return network


def _optional_rules(body: dict[str, Any]) -> Rules | None:
    return firewall_rules(body["rules"], "rules") if "rules" in body else None


# -- the endpoints -----------------------------------------------------------------------------


class Firewall:
    """The firewall endpoints: global rules and rulesets."""

    def __init__(self, world: World, audit: AuditLog) -> None:
        self.world = world
        self.audit = audit

    def routes(self) -> list[Route]:
        return [
            Route("GET", "/firewall-rules", self._get_rules),
            Route("PUT", "/firewall-rules", self._put_rules),
            Route("GET", "/firewall-rulesets", self._list),
            Route("POST", "/firewall-rulesets", self._create),
            # "global" must come before "{id}", or it would be looked up as a ruleset id.
            Route("GET", "/firewall-rulesets/global", self._get_global),
            Route("PATCH", "/firewall-rulesets/global", self._patch_global),
            Route("GET", "/firewall-rulesets/{id}", self._get),
            Route("PATCH", "/firewall-rulesets/{id}", self._patch),
            Route("DELETE", "/firewall-rulesets/{id}", self._delete),
        ]

    # -- the global rules --------------------------------------------------------------------

    def firewall_rules(self, account: Account) -> Rules:
        with self.world.lock:
            return _copy_rules(account.global_rules)

    def replace_firewall_rules(self, account: Account, rules: Rules) -> Rules:
        with self.world.lock:
            account.global_rules = _copy_rules(rules)
            # The legacy rule list and the global ruleset are one and the same.
            self.audit.record(account, "firewall_ruleset", "updated", ["global"])
            return _copy_rules(rules)

    def global_ruleset(self, account: Account) -> dict[str, Any]:
        with self.world.lock:
            return _global_json(account)

    def update_global_ruleset(self, account: Account, rules: Rules | None) -> dict[str, Any]:
        with self.world.lock:
            if rules is not None:
                account.global_rules = _copy_rules(rules)
                self.audit.record(account, "firewall_ruleset", "updated", ["global"])
            return _global_json(account)

    # -- rulesets ----------------------------------------------------------------------------

    def list_rulesets(self, account: Account) -> list[dict[str, Any]]:
        with self.world.lock:
            now = self.world.settle()
            return [_ruleset_json(account, r, now) for r in account.rulesets.values()]

    def create_ruleset(
        self, account: Account, name: str, region: str, rules: Rules
    ) -> dict[str, Any]:
        with self.world.lock:
            now = self.world.settle()
            if region not in REGIONS:
                raise invalid(
                    f"region: unknown region {region!r}", "Use GET /regions to see the regions."
                )
            quota = account.ruleset_quota
            if quota is not None and len(account.rulesets) >= quota:
                raise ApiError("global/quota-exceeded")
            ruleset = Ruleset(
                id=self.world.new_id(),
                name=name,
                region=region,
                rules=_copy_rules(rules),
                created=self.world.iso(now),
            )
            account.rulesets[ruleset.id] = ruleset
            self.audit.record(
                account, "firewall_ruleset", "created", [ruleset.id], name=name, region=region
            )
            return _ruleset_json(account, ruleset, now)

    def get_ruleset(self, account: Account, ruleset_id: str) -> dict[str, Any]:
        with self.world.lock:
            now = self.world.settle()
            return _ruleset_json(account, find_ruleset(account, ruleset_id), now)

    def update_ruleset(
        self, account: Account, ruleset_id: str, name: str | None, rules: Rules | None
    ) -> dict[str, Any]:
        with self.world.lock:
            now = self.world.settle()
            ruleset = find_ruleset(account, ruleset_id)
            if name is not None:
                ruleset.name = name
            if rules is not None:
                ruleset.rules = _copy_rules(rules)
            if name is not None or rules is not None:
                self.audit.record(account, "firewall_ruleset", "updated", [ruleset.id])
            return _ruleset_json(account, ruleset, now)

    def delete_ruleset(self, account: Account, ruleset_id: str) -> dict[str, Any]:
        with self.world.lock:
            now = self.world.settle()
            ruleset = find_ruleset(account, ruleset_id)
            if _attached(account, ruleset, now):
                raise ApiError("firewall-rulesets/firewall-ruleset-in-use")
            del account.rulesets[ruleset_id]
            self.audit.record(account, "firewall_ruleset", "deleted", [ruleset_id])
            return {}

    # -- handlers ----------------------------------------------------------------------------

    def _get_rules(self, call: Call) -> Rules:
        return self.firewall_rules(call.account)

    def _put_rules(self, call: Call) -> Rules:
        body = obj(call.body(), "", required=("data",))
        rules = firewall_rules(body["data"], "data")
        return self.replace_firewall_rules(call.account, rules)

    def _get_global(self, call: Call) -> dict[str, Any]:
        return self.global_ruleset(call.account)

    def _patch_global(self, call: Call) -> dict[str, Any]:
        body = obj(call.body(), "", optional=("rules",))
        return self.update_global_ruleset(call.account, _optional_rules(body))

    def _list(self, call: Call) -> list[dict[str, Any]]:
        return self.list_rulesets(call.account)

    def _create(self, call: Call) -> dict[str, Any]:
        body = obj(call.body(), "", required=("name", "region", "rules"))
        name = string(body["name"], "name", max_length=64)
        region = string(body["region"], "region", min_length=1)
        rules = firewall_rules(body["rules"], "rules")
        return self.create_ruleset(call.account, name, region, rules)

    def _get(self, call: Call) -> dict[str, Any]:
        return self.get_ruleset(call.account, call.params["id"])

    def _patch(self, call: Call) -> dict[str, Any]:
        body = obj(call.body(), "", optional=("name", "rules"))
        name = optional_string(body, "name", max_length=64)
        rules = _optional_rules(body)
        return self.update_ruleset(call.account, call.params["id"], name, rules)

    def _delete(self, call: Call) -> dict[str, Any]:
        return self.delete_ruleset(call.account, call.params["id"])


def _global_json(account: Account) -> dict[str, Any]:
    return {
        "id": "global",
        "name": "Global Firewall Rules",
        "rules": _copy_rules(account.global_rules),
    }


def _attached(account: Account, ruleset: Ruleset, now: float) -> list[str]:
    """The ids of the instances that have not terminated and use ``ruleset``."""
    return [
        instance.id
        for instance in account.instances.values()
        if ruleset.id in instance.firewall_ruleset_ids and instance.holds_capacity(now)
    ]


def _ruleset_json(account: Account, ruleset: Ruleset, now: float) -> dict[str, Any]:
    return {
        "id": ruleset.id,
        "name": ruleset.name,
        "region": region_json(ruleset.region),
        "rules": _copy_rules(ruleset.rules),
        "created": ruleset.created,
        "instance_ids": _attached(account, ruleset, now),
    }
