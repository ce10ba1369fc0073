"""The requests behind ``instances.reap`` and ``instances.costs``, and the lifecycle tags of a
launch (the logic is ``lambda_cloud.lifecycle``'s; this module validates and fetches)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .._config import Timeout, check_expires_in, check_owner
from .._retry import RetryPolicy
from .._validation import check_bool, check_callback, check_ids, check_list
from ..bulk.inventory import is_live
from ..bulk.options import DEFAULT_POLL_INTERVAL, EXPIRES_AT_TAG, OWNER_TAG
from ..bulk.progress import ProgressEvent
from ..bulk.wait import check_wait_options
from ..errors import SharedStateError, ValidationError
from ..lifecycle.costs import INSTANCE_EVENTS, CostReport, GroupBy, check_group_by, compute_costs
from ..lifecycle.expiry import (
    ExpiresIn,
    ExpiryExtensions,
    ExtensionsUnavailable,
    check_expires_at,
    expires_at_of,
    lifecycle_tags,
    to_utc,
)
from ..lifecycle.reap import ReapReport, expired_instances, idle_file_systems, sort_out
from ..shared.extensions import SharedExpiryExtensions
from ..shared.store import Account
from ..types.instances import RequestedTagEntry
from ._pages import MAX_PAGES

if TYPE_CHECKING:
    from .._client import AsyncLambdaCloud

__all__ = ["costs", "extend_expiry", "reap", "sdk_tags"]

_UTC = datetime.timezone.utc
_LIFECYCLE_TAGS = frozenset({EXPIRES_AT_TAG, OWNER_TAG})


def sdk_tags(
    client: AsyncLambdaCloud,
    user_tags: Sequence[RequestedTagEntry] | None,
    expires_in: ExpiresIn | None,
    expires_at: datetime.datetime | None,
) -> tuple[RequestedTagEntry, ...]:
    """The owner and expiry tags a launch adds to ``user_tags`` (``ValidationError`` if those
    set either key themselves: the SDK alone writes them)."""
    for tag in user_tags or ():
        if tag.key in _LIFECYCLE_TAGS:
            raise ValidationError("tags", f"the tag key {tag.key!r} is reserved")
    return lifecycle_tags(
        owner=client.owner,
        expires_in=expires_in,
        expires_at=expires_at,
        default_expires_in=client.default_expires_in,
    )


def _some_ids(value: object, field: str) -> list[str]:
    """Ids from a list that may be empty."""
    items = check_list(value, field)
    return check_ids(items, field) if items else []


def _moment(value: object, field: str) -> datetime.datetime:
    return datetime.datetime.now(_UTC) if value is None else to_utc(value, field)


async def reap(
    client: AsyncLambdaCloud,
    *,
    dry_run: bool,
    owner: str | None,
    now: datetime.datetime | None,
    keep: Sequence[str],
    extensions: ExpiryExtensions | None,
    account: Account | None,
    delete_file_systems: Sequence[str],
    wait: bool,
    on_progress: Callable[[ProgressEvent], object] | None,
    timeout: float | None,
    request_timeout: Timeout | None,
    retries: int | RetryPolicy | None,
) -> ReapReport:
    """See ``AsyncInstances.reap``."""
    check_bool(dry_run, "dry_run")
    # terminate_many's own options, checked before anything is listed.
    check_bool(wait, "wait")
    check_callback(on_progress, "on_progress")
    check_wait_options(timeout, DEFAULT_POLL_INTERVAL)
    whose = client.owner if owner is None else check_owner(owner)
    moment = _moment(now, "now")
    kept = frozenset(_some_ids(keep, "keep"))
    doomed = _some_ids(delete_file_systems, "delete_file_systems")
    source = _extensions(extensions, account)
    instances = await client.instances.list(timeout=request_timeout, retries=retries)
    file_systems = await client.file_systems.list(timeout=request_timeout, retries=retries)
    expired = expired_instances(instances, owner=whose, now=moment)
    extended: dict[str, datetime.datetime] | None = {}
    # Only expired instances are looked up: an extension only ever postpones.
    asked = [e.id for e in expired if e.id not in kept]
    if source is not None and asked:
        try:
            found = await source.extended_expiries(asked)
        except ExtensionsUnavailable:
            extended = None  # any of them may be extended: none is terminated
        else:
            extended = {iid: to_utc(when, f"extensions[{iid!r}]") for iid, when in found.items()}
    due, held, postponed, unknown = sort_out(expired, keep=kept, extensions=extended, now=moment)
    idle = idle_file_systems(file_systems, instances, moment)
    # Checked before anything is terminated: only a file system nothing mounts may go.
    busy = sorted(set(doomed) - {f.id for f in idle})
    if busy:
        raise ValidationError(
            "delete_file_systems",
            f"not idle (mounted, in use, or unknown): {', '.join(busy)}",
        )
    report = ReapReport(
        now=moment,
        owner=whose,
        dry_run=dry_run,
        expired=due,
        kept=held,
        extended=postponed,
        unverified=unknown,
        idle_file_systems=idle,
    )
    if not dry_run and due:
        report.terminated = await client.instances.terminate_many(
            [e.id for e in due],
            wait=wait,
            on_progress=on_progress,
            timeout=timeout,
            request_timeout=request_timeout,
            retries=retries,
        )
    if not dry_run:
        for fs_id in dict.fromkeys(doomed):
            await client.file_systems.delete(fs_id, timeout=request_timeout, retries=retries)
            report.deleted_file_systems.append(fs_id)
    return report


def _extensions(
    extensions: ExpiryExtensions | None, account: Account | None
) -> ExpiryExtensions | None:
    """The extensions a reap consults: those given, else the shared store's (if any)."""
    if extensions is None:
        return None if account is None else SharedExpiryExtensions(account)
    if not callable(getattr(extensions, "extended_expiries", None)):
        raise ValidationError(
            "extensions", f"expected an ExpiryExtensions (extended_expiries), got {extensions!r}"
        )
    return extensions


async def extend_expiry(
    client: AsyncLambdaCloud,
    ids: Sequence[str],
    *,
    account: Account | None,
    by: ExpiresIn | None,
    until: datetime.datetime | None,
    timeout: Timeout | None,
    retries: int | RetryPolicy | None,
) -> dict[str, datetime.datetime]:
    """See ``AsyncInstances.extend_expiry``."""
    wanted = list(dict.fromkeys(check_ids(ids, "ids")))
    if (by is None) == (until is None):
        raise ValidationError("by", "give by or until (one of them)")
    target = (
        check_expires_in(by, "by")
        if until is None
        else check_expires_at(until, "until", datetime.datetime.now(_UTC))
    )
    if account is None:
        raise ValidationError(
            "shared",
            "an extension is kept in the shared store, and this client has none "
            "(RateLimits(shared=...) or $LAMBDA_CLOUD_SHARED_STATE); without one, pass "
            "keep=[id] to reap (or `lambda-cloud reap --keep ID`) on every reap",
        )
    listed = {i.id: i for i in await client.instances.list(timeout=timeout, retries=retries)}
    tagged: dict[str, datetime.datetime] = {}
    for iid in wanted:
        instance = listed.get(iid)
        expires_at = None if instance is None or not is_live(instance) else expires_at_of(instance)
        if expires_at is not None:
            tagged[iid] = expires_at
    refused = [iid for iid in wanted if iid not in tagged]
    if refused:
        raise ValidationError(
            "ids", f"not a live instance launched with an expiry: {', '.join(refused)}"
        )
    store = SharedExpiryExtensions(account)
    if isinstance(target, datetime.datetime):
        new = dict.fromkeys(wanted, target)
    else:
        new = await _later_by(store, tagged, target)
    held = await store.extend(new)
    # An extension earlier than the tag changes nothing: the tag still holds.
    return {iid: max(tagged[iid], held.get(iid, tagged[iid])) for iid in wanted}


async def _later_by(
    store: SharedExpiryExtensions,
    tagged: dict[str, datetime.datetime],
    delta: datetime.timedelta,
) -> dict[str, datetime.datetime]:
    """``delta`` after each instance's current expiry (its tag's, or a later extension's), or
    after now if that has passed."""
    try:
        current = await store.extended_expiries(list(tagged))
    except ExtensionsUnavailable as exc:
        raise SharedStateError("the shared store is down: the extension was not recorded") from exc
    now = datetime.datetime.now(_UTC)
    return {
        iid: max(expires_at, current.get(iid, expires_at), now) + delta
        for iid, expires_at in tagged.items()
    }


async def costs(
    client: AsyncLambdaCloud,
    *,
    since: datetime.datetime | datetime.timedelta,
    until: datetime.datetime | None,
    group_by: GroupBy,
    max_pages: int | None,
    timeout: Timeout | None,
    retries: int | RetryPolicy | None,
) -> CostReport:
    """See ``AsyncInstances.costs``."""
    end = _moment(until, "until")
    if isinstance(since, datetime.timedelta):
        try:
            start = end - check_expires_in(since, "since")
        except OverflowError:
            raise ValidationError("since", f"{since!r} before {end} is out of range") from None
    else:
        start = to_utc(since, "since")
    if start >= end:
        raise ValidationError("since", "must be before until")
    by = check_group_by(group_by)
    # Every event from ``since`` to now: a termination after ``until`` still ends a lifetime
    # the window has to clip.
    events = [
        event
        async for event in client.audit_events.list(
            start=start,
            resource_type=INSTANCE_EVENTS,
            max_pages=MAX_PAGES if max_pages is None else max_pages,
            timeout=timeout,
            retries=retries,
        )
    ]
    instances = await client.instances.list(timeout=timeout, retries=retries)
    types = await client.instance_types.list(timeout=timeout, retries=retries)
    file_systems = await client.file_systems.list(timeout=timeout, retries=retries)
    return compute_costs(
        events=events,
        instances=instances,
        types=types,
        since=start,
        until=end,
        group_by=by,
        idle=idle_file_systems(file_systems, instances, end),
    )
