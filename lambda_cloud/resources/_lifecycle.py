"""The requests behind ``instances.reap`` and ``instances.costs`` (the logic is
``lambda_cloud.lifecycle``'s; this module validates and fetches)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence

from .._api import ClientAPI
from .._config import Timeout, check_expires_in, check_owner
from .._options import RequestOptions
from .._validation import check_bool, check_callback, check_ids, check_list
from ..bulk.inventory import is_live
from ..bulk.options import DEFAULT_BATCH_SIZE, DEFAULT_POLL_INTERVAL
from ..bulk.progress import ProgressEvent
from ..bulk.terminate import terminate_many
from ..bulk.wait import check_wait_options
from ..errors import SharedStateError, ValidationError
from ..lifecycle.costs import INSTANCE_EVENTS, CostReport, GroupBy, check_group_by, compute_costs
from ..lifecycle.expiry import (
    ClaimingExpiryExtensions,
    ExpiresIn,
    ExpiryExtensions,
    ExtensionsUnavailable,
    check_expires_at,
    expires_at_of,
    to_utc,
)
from ..lifecycle.reap import ReapReport, expired_instances, idle_file_systems, sort_out
from ..shared.extensions import SharedExpiryExtensions
from ._bulk_port import BulkRequests
from ._instance_requests import InstanceRequests
from ._pages import MAX_PAGES
from .audit_events import AsyncAuditEvents
from .file_systems import AsyncFileSystems
from .instance_types import AsyncInstanceTypes

__all__ = ["costs", "extend_expiry", "reap"]

_UTC = datetime.timezone.utc


def _some_ids(value: object, field: str) -> list[str]:
    """Ids from a list that may be empty."""
    items = check_list(value, field)
    return check_ids(items, field) if items else []


def _moment(value: object, field: str) -> datetime.datetime:
    return datetime.datetime.now(_UTC) if value is None else to_utc(value, field)


async def _extended(
    source: ExpiryExtensions | None, asked: list[str], claim_at: datetime.datetime | None
) -> dict[str, datetime.datetime] | None:
    """The extended expiries ``source`` holds for ``asked``; ``None`` when it cannot tell, as
    any of them may then be extended (and none is terminated). With ``claim_at`` (a reap that
    terminates), a source that can claims the ones it is to terminate in the same step, so an
    extension arriving before the terminate is refused rather than ignored."""
    if source is None or not asked:
        return {}
    try:
        if claim_at is not None and isinstance(source, ClaimingExpiryExtensions):
            found = await source.claim_expired(asked, claim_at)
        else:
            found = await source.extended_expiries(asked)
    except ExtensionsUnavailable:
        return None
    return {iid: to_utc(when, f"extensions[{iid!r}]") for iid, when in found.items()}


async def reap(
    api: ClientAPI,
    *,
    dry_run: bool,
    owner: str | None,
    now: datetime.datetime | None,
    keep: Sequence[str],
    extensions: ExpiryExtensions | None,
    delete_file_systems: Sequence[str],
    wait: bool,
    on_progress: Callable[[ProgressEvent], object] | None,
    timeout: float | None,
    request_timeout: Timeout | None,
) -> ReapReport:
    """See ``AsyncInstances.reap``."""
    check_bool(dry_run, "dry_run")
    # terminate_many's own options, checked before anything is listed.
    check_bool(wait, "wait")
    check_callback(on_progress, "on_progress")
    check_wait_options(timeout, DEFAULT_POLL_INTERVAL)
    whose = api.owner if owner is None else check_owner(owner)
    moment = _moment(now, "now")
    kept = frozenset(_some_ids(keep, "keep"))
    doomed = _some_ids(delete_file_systems, "delete_file_systems")
    source = _extensions(extensions, api)
    port = BulkRequests(api, request_timeout)
    sent = port.options
    instances = await InstanceRequests(api).list(options=sent)
    file_systems = await AsyncFileSystems(api).list(**sent)
    idle = idle_file_systems(file_systems, instances, moment)
    # Checked before anything is claimed or terminated: only a file system nothing mounts may go.
    busy = sorted(set(doomed) - {f.id for f in idle})
    if busy:
        raise ValidationError(
            "delete_file_systems",
            f"not idle (mounted, in use, or unknown): {', '.join(busy)}",
        )
    expired = expired_instances(instances, owner=whose, now=moment)
    # Only expired instances are looked up: an extension only ever postpones.
    asked = [e.id for e in expired if e.id not in kept]
    extended = await _extended(source, asked, None if dry_run else moment)
    due, held, postponed, unknown = sort_out(expired, keep=kept, extensions=extended, now=moment)
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
        report.terminated = await terminate_many(
            port,
            [e.id for e in due],
            batch_size=DEFAULT_BATCH_SIZE,
            wait=wait,
            on_progress=on_progress,
            poll_interval=DEFAULT_POLL_INTERVAL,
            timeout=timeout,
        )
    if not dry_run:
        for fs_id in dict.fromkeys(doomed):
            await AsyncFileSystems(api).delete(fs_id, **sent)
            report.deleted_file_systems.append(fs_id)
    return report


def _extensions(extensions: ExpiryExtensions | None, api: ClientAPI) -> ExpiryExtensions | None:
    """The extensions a reap consults: those given, else the shared store's (if any)."""
    if extensions is None:
        account = api.shared_account()
        return None if account is None else SharedExpiryExtensions(account)
    if not callable(getattr(extensions, "extended_expiries", None)):
        raise ValidationError(
            "extensions", f"expected an ExpiryExtensions (extended_expiries), got {extensions!r}"
        )
    return extensions


async def extend_expiry(
    api: ClientAPI,
    ids: Sequence[str],
    *,
    by: ExpiresIn | None,
    until: datetime.datetime | None,
    options: RequestOptions,
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
    account = api.shared_account()
    if account is None:
        raise ValidationError(
            "shared",
            "an extension is kept in the shared store, and this client has none "
            "(RateLimits(shared=...) or $LAMBDA_CLOUD_SHARED_STATE); without one, pass "
            "keep=[id] to reap (or `lambda-cloud reap --keep ID`) on every reap",
        )
    listed = {i.id: i for i in await InstanceRequests(api).list(options=options)}
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
    api: ClientAPI,
    *,
    since: datetime.datetime | datetime.timedelta,
    until: datetime.datetime | None,
    group_by: GroupBy,
    max_pages: int | None,
    options: RequestOptions,
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
        async for event in AsyncAuditEvents(api).list(
            start=start,
            resource_type=INSTANCE_EVENTS,
            max_pages=MAX_PAGES if max_pages is None else max_pages,
            **options,
        )
    ]
    instances = await InstanceRequests(api).list(options=options)
    types = await AsyncInstanceTypes(api).list(**options)
    file_systems = await AsyncFileSystems(api).list(**options)
    return compute_costs(
        events=events,
        instances=instances,
        types=types,
        since=start,
        until=end,
        group_by=by,
        idle=idle_file_systems(file_systems, instances, end),
    )
