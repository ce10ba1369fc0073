"""``lambda-cloud firewall rules|rulesets ...``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

import lambda_cloud

from .app import State, pass_state
from .output import Column

if TYPE_CHECKING:
    from lambda_cloud import FirewallRule, FirewallRuleset

__all__ = ["firewall"]


def _ports(rule: FirewallRule) -> str:
    if rule.port_range is None:
        return "-"
    low, high = rule.port_range
    return str(low) if low == high else f"{low}-{high}"


RULE_COLUMNS: list[Column[FirewallRule]] = [
    ("PROTOCOL", lambda r: r.protocol),
    ("PORTS", _ports),
    ("SOURCE", lambda r: r.source_network),
    ("DESCRIPTION", lambda r: r.description),
]
RULESET_COLUMNS: list[Column[FirewallRuleset]] = [
    ("ID", lambda r: r.id),
    ("NAME", lambda r: r.name),
    ("REGION", lambda r: r.region.name),
    ("RULES", lambda r: len(r.rules)),
    ("INSTANCES", lambda r: len(r.instance_ids)),
]
RULE_HELP = "PROTOCOL:PORTS:SOURCE[:DESCRIPTION], e.g. tcp:22:0.0.0.0/0 or icmp::10.0.0.0/8."


def parse_rule(text: str) -> FirewallRule:
    """A rule from ``PROTOCOL:PORTS:SOURCE[:DESCRIPTION]`` (PORTS ``22``, ``8000-8080``, or
    empty for icmp)."""
    parts = text.split(":", 3)
    if len(parts) < 3:
        raise click.BadParameter(f"{text!r}: expected {RULE_HELP}")
    protocol, ports, source = parts[:3]
    low, _, high = ports.partition("-")
    try:
        port_range = (int(low), int(high or low)) if ports else None
    except ValueError:
        raise click.BadParameter(f"{text!r}: ports must be N or N-M") from None
    return lambda_cloud.FirewallRule(
        protocol=lambda_cloud.NetworkProtocol(protocol),
        source_network=source,
        port_range=port_range,
        description=parts[3] if len(parts) > 3 else "",
    )


def _rules(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> list[FirewallRule]:
    return [parse_rule(v) for v in value]


@click.group()
def firewall() -> None:
    """Inbound firewall rules and rulesets.

    \b
    Example:
      lambda-cloud firewall rules list
    """


@firewall.group()
def rules() -> None:
    """The account's inbound rules.

    \b
    Example:
      lambda-cloud firewall rules set --rule tcp:22:0.0.0.0/0:ssh
    """


@rules.command("list")
@pass_state
def rules_list(state: State) -> None:
    """List the inbound rules.

    \b
    Example:
      lambda-cloud firewall rules list
    """
    state.output.rows(state.client().firewall.rules.list(), RULE_COLUMNS)


@rules.command("set")
@click.option("--rule", "rule_list", multiple=True, callback=_rules, help=RULE_HELP)
@pass_state
def rules_set(state: State, rule_list: list[FirewallRule]) -> None:
    """Replace every inbound rule (no --rule removes them all).

    \b
    Example:
      lambda-cloud firewall rules set --rule tcp:22:0.0.0.0/0 --rule icmp::0.0.0.0/0
    """
    state.output.rows(state.client().firewall.rules.replace(rule_list), RULE_COLUMNS)


@firewall.group()
def rulesets() -> None:
    """Named per-region rulesets, and the global one.

    \b
    Example:
      lambda-cloud firewall rulesets list
    """


@rulesets.command("list")
@pass_state
def rulesets_list(state: State) -> None:
    """List the rulesets.

    \b
    Example:
      lambda-cloud firewall rulesets list
    """
    state.output.rows(state.client().firewall.rulesets.list(), RULESET_COLUMNS)


@rulesets.command("get")
@click.argument("ruleset_id")
@pass_state
def rulesets_get(state: State, ruleset_id: str) -> None:
    """Show one ruleset's rules.

    \b
    Example:
      lambda-cloud firewall rulesets get c4d291f47f9d436fa39f58493ce3b50d
    """
    ruleset = state.client().firewall.rulesets.get(ruleset_id)
    title = f"{ruleset.name} ({ruleset.id})"
    state.output.nested(ruleset, ruleset.rules, RULE_COLUMNS, title=title)


@rulesets.command("create")
@click.argument("name")
@click.argument("region")
@click.option("--rule", "rule_list", multiple=True, callback=_rules, help=RULE_HELP)
@pass_state
def rulesets_create(state: State, name: str, region: str, rule_list: list[FirewallRule]) -> None:
    """Create a ruleset in a region.

    \b
    Example:
      lambda-cloud firewall rulesets create web us-west-1 --rule tcp:443:0.0.0.0/0
    """
    created = state.client().firewall.rulesets.create(name, region, rule_list)
    state.output.record(created, RULESET_COLUMNS)


@rulesets.command("delete")
@click.argument("ruleset_id")
@pass_state
def rulesets_delete(state: State, ruleset_id: str) -> None:
    """Delete a ruleset (no instance may use it).

    \b
    Example:
      lambda-cloud firewall rulesets delete c4d291f47f9d436fa39f58493ce3b50d
    """
    state.client().firewall.rulesets.delete(ruleset_id)
    state.output.message(f"Deleted ruleset {ruleset_id}.")


@rulesets.command("global")
@pass_state
def rulesets_global(state: State) -> None:
    """Show the global ruleset, which applies in every region.

    \b
    Example:
      lambda-cloud firewall rulesets global
    """
    ruleset = state.client().firewall.rulesets.get_global()
    title = f"{ruleset.name} ({ruleset.id})"
    state.output.nested(ruleset, ruleset.rules, RULE_COLUMNS, title=title)
