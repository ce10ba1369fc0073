"""What a reap finds: expired instances that provably belong to an owner, and idle file
systems. Pure functions over one listing; ``instances.reap`` does the requests."""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable, Mapping

import attrs

from ..bulk.inventory import is_live
from ..bulk.options import OWNER_TAG
from ..bulk.reports import BulkTerminateReport
from ..types.file_systems import Filesystem
from ..types.instances import Instance
from .expiry import expires_at_of

__all__ = [
    "ExpiredInstance",
    "IdleFileSystem",
    "ReapReport",
    "expired_instances",
    "idle_file_systems",
    "price_of",
    "sort_out",
]


@attrs.define(kw_only=True)
class ExpiredInstance:
    """A live instance of the owner whose expiry has passed."""

    instance: Instance
    #: When it expired: its tag, or the extension if one was recorded.
    expires_at: datetime.datetime
    owner: str
    #: Its price as the instance listing shows it (``None`` if it shows none).
    price_cents_per_hour: int | None

    @property
    def id(self) -> str:
        """The instance's id."""
        return self.instance.id


@attrs.define(kw_only=True)
class IdleFileSystem:
    """A file system no live instance mounts: it keeps billing for its storage."""

    file_system: Filesystem
    #: How long ago it was created.
    age: datetime.timedelta

    @property
    def id(self) -> str:
        """The file system's id."""
        return self.file_system.id

    @property
    def bytes_used(self) -> int | None:
        """Its size as the API last measured it."""
        return self.file_system.bytes_used


@attrs.define(kw_only=True)
class ReapReport:
    """What ``instances.reap`` found, and (unless a dry run) what it terminated."""

    now: datetime.datetime
    owner: str
    dry_run: bool
    #: The instances to terminate: expired, owned, not kept, not extended past ``now``.
    expired: list[ExpiredInstance] = attrs.Factory(list)
    #: Expired instances left alone because they were in ``keep``.
    kept: list[ExpiredInstance] = attrs.Factory(list)
    #: Instances whose tag expired but whose extension has not (``expires_at`` is the extension).
    extended: list[ExpiredInstance] = attrs.Factory(list)
    #: Expired instances left alone because their extensions could not be read (the shared
    #: store was down): any of them may have been extended. The next reap decides.
    unverified: list[ExpiredInstance] = attrs.Factory(list)
    idle_file_systems: list[IdleFileSystem] = attrs.Factory(list)
    #: The idle file systems deleted, as ``delete_file_systems`` asked (never in a dry run).
    deleted_file_systems: list[str] = attrs.Factory(list)
    #: The terminate's report; ``None`` for a dry run or when nothing had expired.
    terminated: BulkTerminateReport | None = None

    @property
    def hourly_cost_cents(self) -> int:
        """What the expired instances cost per hour (those with a listed price)."""
        return sum(e.price_cents_per_hour or 0 for e in self.expired)

    @property
    def ok(self) -> bool:
        """False if a terminate failed."""
        return self.terminated is None or self.terminated.ok

    def raise_for_errors(self) -> None:
        """Raise the terminate's first error, if any."""
        if self.terminated is not None:
            self.terminated.raise_for_errors()


def price_of(instance: Instance) -> int | None:
    """The instance's listed price in whole cents per hour, or ``None`` if it is not one."""
    price = instance.instance_type.price_cents_per_hour
    return price if isinstance(price, int) and not isinstance(price, bool) else None


def expired_instances(
    instances: Iterable[Instance], *, owner: str, now: datetime.datetime
) -> list[ExpiredInstance]:
    """The live instances of ``owner`` whose expiry tag passed by ``now``. An instance without
    both SDK tags (or with an unreadable expiry) is never among them."""
    expired = []
    for instance in instances:
        expires_at = expires_at_of(instance)
        if (
            expires_at is not None
            and expires_at <= now
            and instance.tag(OWNER_TAG) == owner
            and is_live(instance)
        ):
            expired.append(
                ExpiredInstance(
                    instance=instance,
                    expires_at=expires_at,
                    owner=owner,
                    price_cents_per_hour=price_of(instance),
                )
            )
    return expired


def sort_out(
    expired: Iterable[ExpiredInstance],
    *,
    keep: Collection[str],
    extensions: Mapping[str, datetime.datetime] | None,
    now: datetime.datetime,
) -> tuple[
    list[ExpiredInstance], list[ExpiredInstance], list[ExpiredInstance], list[ExpiredInstance]
]:
    """Split ``expired`` into those to terminate, those in ``keep``, those extended past
    ``now`` (their ``expires_at`` becomes the extension), and those whose extensions are
    unknown (``extensions`` is ``None``: they could not be read, so none may go)."""
    due: list[ExpiredInstance] = []
    kept: list[ExpiredInstance] = []
    extended: list[ExpiredInstance] = []
    unverified: list[ExpiredInstance] = []
    for entry in expired:
        extension = None if extensions is None else extensions.get(entry.id)
        if entry.id in keep:
            kept.append(entry)
        elif extensions is None:
            unverified.append(entry)
        elif extension is not None and extension > now:
            extended.append(attrs.evolve(entry, expires_at=extension))
        else:
            due.append(entry)
    return due, kept, extended, unverified


def idle_file_systems(
    file_systems: Iterable[Filesystem], instances: Iterable[Instance], now: datetime.datetime
) -> list[IdleFileSystem]:
    """The file systems that no live instance in ``instances`` mounts and the API does not show
    in use, oldest first."""
    live = [i for i in instances if is_live(i)]
    mounted = {m.file_system_id for i in live for m in i.file_system_mounts or ()}
    named = {(n, i.region.name) for i in live for n in i.file_system_names}
    idle = [
        IdleFileSystem(file_system=fs, age=now - fs.created)
        for fs in file_systems
        if not fs.is_in_use and fs.id not in mounted and (fs.name, fs.region.name) not in named
    ]
    return sorted(idle, key=lambda f: f.file_system.created)
