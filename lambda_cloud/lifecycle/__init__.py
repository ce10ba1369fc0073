"""Instances that cannot be forgotten: expiry and owner tags at launch, a reaper that only
touches what it can prove is its own, and what each run has cost so far.

``instances.launch``/``launch_many`` set the tags, ``instances.reap`` terminates what expired,
``instances.costs`` sums the spend; this package holds their pure logic and reports.
"""

from __future__ import annotations

from .._config import OWNER_ENV
from .costs import GROUP_BY, CostGroup, CostReport, GroupBy, InstanceCost, UnaccountedInstance
from .expiry import (
    ClaimingExpiryExtensions,
    ExpiresIn,
    ExpiryExtensions,
    ExtensionsUnavailable,
    parse_duration,
)
from .reap import ExpiredInstance, IdleFileSystem, ReapReport

__all__ = [
    "GROUP_BY",
    "OWNER_ENV",
    "ClaimingExpiryExtensions",
    "CostGroup",
    "CostReport",
    "ExpiredInstance",
    "ExpiresIn",
    "ExpiryExtensions",
    "ExtensionsUnavailable",
    "GroupBy",
    "IdleFileSystem",
    "InstanceCost",
    "ReapReport",
    "UnaccountedInstance",
    "parse_duration",
]
