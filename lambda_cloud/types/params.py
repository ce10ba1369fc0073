"""Dict shapes of the firewall's nested parameters, as the API's JSON spells them, so a type
checker checks the plain dicts users copy from the API docs (launch options' shapes are in
``types.launch``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TypedDict

from .._compat import NotRequired, Required
from .firewall import FirewallRule, NetworkProtocol

__all__ = ["FIREWALL_RULE_KEYS", "FirewallRuleParam", "FirewallRulesParam"]


class FirewallRuleParam(TypedDict, total=False):
    """A firewall rule as the API spells it: ``{"protocol": "tcp", "port_range": [22, 22],
    "source_network": "0.0.0.0/0", "description": "ssh"}`` (no ``port_range`` for icmp)."""

    protocol: Required[NetworkProtocol | Literal["tcp", "udp", "icmp", "all"]]
    source_network: Required[str]
    #: Inclusive ``[min, max]``.
    port_range: NotRequired[Sequence[int] | None]
    description: NotRequired[str]


#: The keys a ``FirewallRuleParam`` may have, required ones first.
FIREWALL_RULE_KEYS = ("protocol", "source_network", "port_range", "description")

#: Firewall rules: ``FirewallRule`` objects or ``FirewallRuleParam`` dicts.
FirewallRulesParam = Sequence[FirewallRule | FirewallRuleParam]
