"""``client.firewall.rules`` and ``client.firewall.rulesets``, and rulesets at launch."""

from __future__ import annotations

import datetime
from typing import Any

import aiohttp
import attrs
import pytest

from lambda_cloud import (
    ConflictError,
    FirewallRule,
    FirewallRuleset,
    FirewallRulesetInUseError,
    GlobalFirewallRuleset,
    InvalidParametersError,
    NetworkProtocol,
    NotFoundError,
    QuotaExceededError,
    ValidationError,
)
from lambda_cloud._converter import unstructure
from lambda_cloud.emulator import Emulator, Fault, ManualClock
from lambda_cloud.types.params import FirewallRuleParam

from .conftest import Api, launch, tcp, terminate

ANY_SSH = "Allow SSH from anywhere"
ICMP = FirewallRule(protocol=NetworkProtocol.ICMP, source_network="10.0.0.0/8", description="ping")


async def test_rules_replace_and_list(api: Api) -> None:
    # A new account allows SSH from anywhere.
    assert await api(lambda c: c.firewall.rules.list()) == [tcp(22, description=ANY_SSH)]
    rules = [tcp(22, description="ssh"), ICMP]
    assert await api(lambda c: c.firewall.rules.replace(rules)) == rules
    assert await api(lambda c: c.firewall.rules.list()) == rules
    assert await api(lambda c: c.firewall.rules.replace([])) == []
    assert await api(lambda c: c.firewall.rules.list()) == []


async def test_rules_are_normalised_before_sending(api: Api) -> None:
    # A list port range and a plain-string protocol are accepted; "description" defaults to "".
    rule = FirewallRule(protocol="udp", port_range=[53, 53], source_network="1.2.3.4")  # type: ignore[arg-type]
    [sent] = await api(lambda c: c.firewall.rules.replace([rule]))
    assert sent == FirewallRule(
        protocol=NetworkProtocol.UDP, port_range=(53, 53), source_network="1.2.3.4"
    )
    assert rule.port_range == [53, 53]  # the caller's object is left alone


async def test_global_ruleset(api: Api) -> None:
    ruleset = await api(lambda c: c.firewall.rulesets.get_global())
    assert isinstance(ruleset, GlobalFirewallRuleset)
    assert (ruleset.id, ruleset.rules) == ("global", [tcp(22, description=ANY_SSH)])
    updated = await api(lambda c: c.firewall.rulesets.update_global([tcp(443)]))
    assert updated.rules == [tcp(443)]
    assert (await api(lambda c: c.firewall.rulesets.get_global())).rules == [tcp(443)]
    # The legacy rule list is the global ruleset under another name.
    assert await api(lambda c: c.firewall.rules.list()) == [tcp(443)]


async def test_ruleset_lifecycle(api: Api) -> None:
    created = await api(lambda c: c.firewall.rulesets.create("web", "us-west-1", [tcp(80)]))
    assert isinstance(created, FirewallRuleset)
    assert (created.name, created.region.name, created.rules) == ("web", "us-west-1", [tcp(80)])
    assert created.instance_ids == []
    assert isinstance(created.created, datetime.datetime)
    assert await api(lambda c: c.firewall.rulesets.list()) == [created]
    assert await api(lambda c: c.firewall.rulesets.get(created.id)) == created

    renamed = await api(lambda c: c.firewall.rulesets.update(created.id, name="www"))
    assert (renamed.name, renamed.rules) == ("www", [tcp(80)])  # rules untouched
    reruled = await api(lambda c: c.firewall.rulesets.update(created.id, rules=[ICMP]))
    assert (reruled.name, reruled.rules) == ("www", [ICMP])  # name untouched
    both = await api(lambda c: c.firewall.rulesets.update(created.id, name="", rules=[]))
    assert (both.name, both.rules) == ("", [])

    assert await api(lambda c: c.firewall.rulesets.delete(created.id)) is None
    assert await api(lambda c: c.firewall.rulesets.list()) == []


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.firewall.rulesets.get("0" * 32),
        lambda c: c.firewall.rulesets.update("0" * 32, name="x"),
        lambda c: c.firewall.rulesets.delete("0" * 32),
    ],
    ids=["get", "update", "delete"],
)
async def test_unknown_ruleset(api: Api, call: Any) -> None:
    with pytest.raises(NotFoundError) as caught:
        await api(call)
    assert caught.value.code == "global/object-does-not-exist"


async def test_create_errors(api: Api, emu: Emulator) -> None:
    with pytest.raises(InvalidParametersError):
        await api(lambda c: c.firewall.rulesets.create("x", "mars-north-1", []))
    emu.account().ruleset_quota = 0
    with pytest.raises(QuotaExceededError):
        await api(lambda c: c.firewall.rulesets.create("x", "us-west-1", []))


async def test_ruleset_in_use_at_launch(api: Api, clock: ManualClock) -> None:
    ruleset = await api(lambda c: c.firewall.rulesets.create("ssh", "us-west-1", [tcp(22)]))
    instance_id = await launch(api, firewall_rulesets=[ruleset.id])
    instance = await api(lambda c: c.instances.get(instance_id))
    assert [entry.id for entry in instance.firewall_rulesets] == [ruleset.id]
    assert (await api(lambda c: c.firewall.rulesets.get(ruleset.id))).instance_ids == [instance_id]
    with pytest.raises(FirewallRulesetInUseError) as caught:
        await api(lambda c: c.firewall.rulesets.delete(ruleset.id))
    assert caught.value.code == "firewall-rulesets/firewall-ruleset-in-use"
    with pytest.raises(InvalidParametersError):  # rulesets must be in the instance's region
        await launch(api, region="us-east-1", firewall_rulesets=[ruleset.id])
    await terminate(api, clock, instance_id)
    await api(lambda c: c.firewall.rulesets.delete(ruleset.id))


async def test_internal_error_409_retried_only_when_safe(api: Api, emu: Emulator) -> None:
    conflict = {"kind": "status", "status": 409, "code": "global/internal-error", "times": 1}
    emu.faults.add(Fault(method="POST", **conflict))
    with pytest.raises(ConflictError) as caught:
        await api(lambda c: c.firewall.rulesets.create("x", "us-west-1", []))
    assert (caught.value.status_code, caught.value.code) == (409, "global/internal-error")
    ruleset = await api(lambda c: c.firewall.rulesets.create("x", "us-west-1", []))
    for method in ("PATCH", "DELETE"):
        emu.faults.add(Fault(method=method, **conflict))
    await api(lambda c: c.firewall.rulesets.update(ruleset.id, name="y"))
    await api(lambda c: c.firewall.rulesets.delete(ruleset.id))
    assert await api(lambda c: c.firewall.rulesets.list()) == []


def _rule(**changes: Any) -> FirewallRule:
    fields: dict[str, Any] = {
        "protocol": NetworkProtocol.TCP,
        "port_range": (22, 22),
        "source_network": "0.0.0.0/0",
        "description": "",
        **changes,
    }
    return FirewallRule(**fields)


BAD_RULES = [
    ("port_range", _rule(protocol=NetworkProtocol.ICMP)),
    ("port_range", _rule(port_range=None)),
    ("port_range", _rule(protocol=NetworkProtocol.ALL, port_range=None)),
    ("port_range", _rule(port_range=(0, 22))),
    ("port_range", _rule(port_range=(22, 65536))),
    ("port_range", _rule(port_range=(80, 22))),
    ("port_range", _rule(port_range=(22,))),
    ("port_range", _rule(port_range=(22, 23, 24))),
    ("port_range", _rule(port_range=("22", "22"))),
    ("port_range", _rule(port_range=(True, 22))),
    ("port_range", _rule(port_range="22")),
    ("source_network", _rule(source_network="300.1.1.1")),
    ("source_network", _rule(source_network="1.2.3.4/33")),
    ("source_network", _rule(source_network="::/0")),
    ("source_network", _rule(source_network="anywhere")),
    ("source_network", _rule(source_network="10.0.0.0/255.0.0.0")),  # CIDR prefixes only
    ("source_network", _rule(source_network="10.0.0.1/24")),  # host bits set: the API refuses
    ("description", _rule(description="d" * 129)),
    ("protocol", _rule(protocol="sctp")),
    ("protocol", _rule(protocol="TCP")),
]


@pytest.mark.parametrize(
    "call",
    [
        lambda c, rules: c.firewall.rules.replace(rules),
        lambda c, rules: c.firewall.rulesets.create("x", "us-west-1", rules),
        lambda c, rules: c.firewall.rulesets.update("0" * 32, rules=rules),
        lambda c, rules: c.firewall.rulesets.update_global(rules),
    ],
    ids=["replace", "create", "update", "update_global"],
)
@pytest.mark.parametrize(("field", "bad"), BAD_RULES)
@pytest.mark.usefixtures("unsent")
async def test_rule_validation_names_the_field(
    api: Api, call: Any, field: str, bad: FirewallRule
) -> None:
    rules = [_rule(), _rule(), bad]
    with pytest.raises(ValidationError) as caught:
        await api(lambda c: call(c, rules))
    assert caught.value.field == f"rules[2].{field}"


def _as_dict(rule: FirewallRule) -> dict[str, Any]:
    """The rule in the API's JSON shape, its (possibly bad) values kept as they are."""
    shape = {
        "protocol": rule.protocol,
        "port_range": rule.port_range,
        "source_network": rule.source_network,
        "description": rule.description,
    }
    return {key: value for key, value in shape.items() if value is not None}


async def test_rules_may_be_the_apis_dicts(api: Api) -> None:
    ssh: FirewallRuleParam = {
        "protocol": "tcp",
        "port_range": [22, 22],
        "source_network": "0.0.0.0/0",
        "description": "ssh",
    }
    ping: FirewallRuleParam = {"protocol": "icmp", "source_network": "10.0.0.0/8"}
    expected = [tcp(22, description="ssh"), attrs.evolve(ICMP, description="")]
    assert await api(lambda c: c.firewall.rules.replace([ssh, ping])) == expected
    ruleset = await api(lambda c: c.firewall.rulesets.create("x", "us-west-1", [ssh, ICMP]))
    assert ruleset.rules == [tcp(22, description="ssh"), ICMP]
    # What the API returns goes back in as is.
    back = [rule.to_dict() for rule in ruleset.rules]
    updated = await api(lambda c: c.firewall.rulesets.update(ruleset.id, rules=back))
    assert updated.rules == ruleset.rules
    assert (await api(lambda c: c.firewall.rulesets.update_global([ping]))).rules == [expected[1]]


@pytest.mark.parametrize(("field", "bad"), BAD_RULES)
@pytest.mark.usefixtures("unsent")
async def test_rule_dicts_are_validated_as_rules_are(
    api: Api, field: str, bad: FirewallRule
) -> None:
    rules = [_as_dict(_rule()), _as_dict(bad)]
    with pytest.raises(ValidationError) as caught:
        await api(lambda c: c.firewall.rules.replace(rules))
    assert caught.value.field == f"rules[1].{field}"


@pytest.mark.parametrize(
    ("rule", "field", "message"),
    [
        ({"source_network": "0.0.0.0/0"}, "protocol", "required"),
        ({"protocol": "all"}, "source_network", "required"),
        ({**_as_dict(_rule()), "port": 22}, "port", "unknown rule field"),
        ({**_as_dict(_rule()), "protocol": None}, "protocol", "expected a string"),
    ],
)
@pytest.mark.usefixtures("unsent")
async def test_rule_dict_keys_are_checked(
    api: Api, rule: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message) as caught:
        await api(lambda c: c.firewall.rulesets.create("x", "us-west-1", [_rule(), rule]))
    assert caught.value.field == f"rules[1].{field}"


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda c: c.firewall.rules.replace(_rule()), "rules"),
        (lambda c: c.firewall.rules.replace({"protocol": "tcp"}), "rules"),
        (lambda c: c.firewall.rules.replace(["tcp"]), "rules[0]"),
        (lambda c: c.firewall.rulesets.create("n" * 65, "us-west-1", []), "name"),
        (lambda c: c.firewall.rulesets.create("x", "", []), "region"),
        (lambda c: c.firewall.rulesets.update("0" * 32), "name"),
        (lambda c: c.firewall.rulesets.update("0" * 32, name="n" * 65), "name"),
        (lambda c: c.firewall.rulesets.get("global"), "id"),
        (lambda c: c.firewall.rulesets.delete(""), "id"),
    ],
)
@pytest.mark.usefixtures("unsent")
async def test_argument_validation(api: Api, call: Any, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        await api(call)
    assert caught.value.field == field


async def test_valid_edge_rules_are_accepted(api: Api) -> None:
    rules = [
        _rule(port_range=(1, 65535), source_network="0.0.0.0/0"),
        _rule(protocol=NetworkProtocol.ALL, port_range=(1, 1), source_network="10.0.0.0/8"),
        _rule(description="d" * 128),
    ]
    assert await api(lambda c: c.firewall.rules.replace(rules)) == rules


async def test_sdk_and_emulator_agree_on_source_networks(api: Api, emu: Emulator) -> None:
    # One decision, both sides: host bits set are refused (the API's pydantic IPv4Network is
    # strict); a bare address means /32.
    for network, accepted in [("10.0.0.0/24", True), ("1.2.3.4", True), ("10.0.0.1/24", False)]:
        rule = _rule(source_network=network)
        if accepted:
            saved = await api(lambda c, r=rule: c.firewall.rules.replace([r]))
            assert saved[0].source_network == network
            continue
        with pytest.raises(ValidationError, match=r"the network is 10\.0\.0\.0/24"):
            await api(lambda c, r=rule: c.firewall.rules.replace([r]))
        async with aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {emu.api_key}"}
        ) as session:
            body = {"data": [{**unstructure(rule), "port_range": [22, 22]}]}
            async with session.put(f"{emu.base_url}/firewall-rules", json=body) as reply:
                assert reply.status == 400
