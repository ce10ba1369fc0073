"""An account: what one API key owns, and the knobs a test may turn.

Each noun's own records (``Instance``, ``SshKey``, ``Filesystem``, ...) live in that noun's
module, with the operations and JSON rendering that go with them.
"""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from .audit import AuditEvent
    from .fabric import Partition
    from .filesystems import Filesystem
    from .firewall import Ruleset
    from .instances import Instance
    from .launch import LaunchAttempt
    from .ssh_keys import SshKey
    from .tickets import Ticket

__all__ = ["REQUESTS_KEPT", "Account"]

#: How many of an account's latest requests it keeps (``Emulator.requests``).
REQUESTS_KEPT = 100_000


@attrs.define(kw_only=True, eq=False)
class Account:
    """One API key's world, plus the knobs a test may turn.

    ``inactive`` answers every request with 403 ``global/account-inactive``;
    ``billing_address_valid=False`` answers launches and file-system creation with 403
    ``global/invalid-address``; a quota of ``None`` means unlimited, otherwise the count of
    live instances / file systems / rulesets allowed before 400 ``global/quota-exceeded``.
    """

    api_key: str = attrs.field(repr=False)  # never in a log line or a traceback's repr
    id: str
    user_id: str
    api_key_id: str
    email: str
    inactive: bool = False
    billing_address_valid: bool = True
    instance_quota: int | None = None
    file_system_quota: int | None = None
    ruleset_quota: int | None = None
    instances: dict[str, Instance] = attrs.Factory(dict)
    gone: dict[str, Instance] = attrs.Factory(dict)
    ssh_keys: dict[str, SshKey] = attrs.Factory(dict)
    filesystems: dict[str, Filesystem] = attrs.Factory(dict)
    rulesets: dict[str, Ruleset] = attrs.Factory(dict)
    global_rules: list[dict[str, Any]] = attrs.Factory(list)
    events: list[AuditEvent] = attrs.Factory(list)
    partitions: dict[str, Partition] = attrs.Factory(dict)
    tickets: dict[str, Ticket] = attrs.Factory(dict)
    #: The ``(type, region)`` pairs the latest ``GET /instance-types`` showed with capacity.
    listed_capacity: frozenset[tuple[str, str]] = frozenset()
    #: Every launch request that passed validation, in order.
    launch_attempts: list[LaunchAttempt] = attrs.Factory(list)
    #: The latest authenticated requests, in order: ``"METHOD /path"`` (below ``/api/v1``).
    requests: collections.deque[str] = attrs.Factory(
        lambda: collections.deque(maxlen=REQUESTS_KEPT)
    )

    @property
    def lrn(self) -> str:
        return f"lrn:cloud:account:{self.id}"
