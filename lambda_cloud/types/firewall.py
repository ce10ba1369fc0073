"""Inbound firewall rules, and the rulesets that group them."""

from __future__ import annotations

import datetime

import attrs

from ._base import Model, OpenEnum
from .regions import Region

__all__ = ["FirewallRule", "FirewallRuleset", "GlobalFirewallRuleset", "NetworkProtocol"]


class NetworkProtocol(OpenEnum):
    """The protocol a firewall rule allows."""

    TCP = "tcp"
    UDP = "udp"
    ICMP = "icmp"
    ALL = "all"


@attrs.define(kw_only=True, repr=False)
class FirewallRule(Model):
    """Allow inbound ``protocol`` traffic from ``source_network`` to ports ``port_range``.

    ``port_range`` is an inclusive ``(min, max)`` (one port: ``(22, 22)``), required for every
    protocol but ``icmp``, which forbids it. ``source_network`` is an IPv4 CIDR block; a bare
    address means ``/32`` and ``0.0.0.0/0`` means anywhere.
    """

    protocol: NetworkProtocol
    source_network: str
    port_range: tuple[int, int] | None = None
    description: str = ""


@attrs.define(kw_only=True, repr=False)
class FirewallRuleset(Model):
    """A named set of rules in one region, applied to the instances launched with it."""

    id: str
    name: str
    region: Region
    rules: list[FirewallRule]
    created: datetime.datetime
    instance_ids: list[str]


@attrs.define(kw_only=True, repr=False)
class GlobalFirewallRuleset(Model):
    """The account-wide ruleset (``id`` is ``"global"``), applied in every region."""

    id: str
    name: str
    rules: list[FirewallRule]
