"""``lambda-cloud reap``, ``extend`` and ``cost``: terminating what expired, postponing an
expiry, and what has been spent so far (``--expires-in`` on ``instances launch`` sets the
expiry)."""

from __future__ import annotations

import datetime
import functools
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

import lambda_cloud

from .app import State, describe, pass_state
from .instances import cost as hourly_cost
from .instances import show_terminate
from .output import Mode, Output, price
from .params import LazyChoice
from .progress import track

if TYPE_CHECKING:
    from lambda_cloud.lifecycle import (
        CostReport,
        ExpiredInstance,
        GroupBy,
        IdleFileSystem,
        ReapReport,
    )

__all__ = ["cost", "duration", "extend", "reap"]

_UTC = datetime.timezone.utc


def duration(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    """A duration option (``4h``, ``7d``) as a ``timedelta``, for ``callback=``."""
    if value is None:
        return None
    try:
        return lambda_cloud.lifecycle.parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _date_time(value: str) -> datetime.datetime:
    """An ISO 8601 date-time (UTC if naive); ``ValueError`` if it is none."""
    moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.replace(tzinfo=_UTC) if moment.tzinfo is None else moment


def _since(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    """A duration back from ``--until`` (``7d``) or an ISO 8601 date-time (UTC if naive)."""
    if value is None:
        return None
    try:
        return lambda_cloud.lifecycle.parse_duration(value)
    except ValueError:
        pass
    try:
        return _date_time(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is neither a duration (7d) nor a date-time") from None


def _until(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    """An ISO 8601 date-time (UTC if naive)."""
    if value is None:
        return None
    try:
        return _date_time(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date-time such as 2026-12-07T09:00:00"
        ) from None


def _age(delta: datetime.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.1f}d" if hours >= 48 else f"{hours:.1f}h"


def _stamp(moment: datetime.datetime) -> str:
    return moment.astimezone(_UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _expired(entry: ExpiredInstance) -> dict[str, Any]:
    return {
        "id": entry.id,
        "name": entry.instance.name,
        "instance_type_name": entry.instance.instance_type.name,
        "owner": entry.owner,
        "expires_at": _stamp(entry.expires_at),
        "price_cents_per_hour": entry.price_cents_per_hour,
    }


def _idle(entry: IdleFileSystem) -> dict[str, Any]:
    fs = entry.file_system
    return {
        "id": fs.id,
        "name": fs.name,
        "region": fs.region.name,
        "created": _stamp(fs.created),
        "age_hours": round(entry.age.total_seconds() / 3600, 2),
        "bytes_used": fs.bytes_used,
    }


def _show_idle(output: Output, idle: list[IdleFileSystem]) -> None:
    if idle:
        output.table(
            ["ID", "NAME", "REGION", "CREATED", "AGE", "BYTES USED"],
            (
                [f.id, f.file_system.name, f.file_system.region.name, _stamp(f.file_system.created),
                 _age(f.age), f.bytes_used]
                for f in idle
            ),
            "File systems no live instance mounts (they keep billing; delete one with "
            "`lambda-cloud file-systems delete ID`)",
        )  # fmt: skip


def _show_reap(output: Output, report: ReapReport) -> None:
    if output.mode is Mode.JSON:
        output.json(
            {
                "dry_run": report.dry_run,
                "owner": report.owner,
                "now": _stamp(report.now),
                "expired": [_expired(e) for e in report.expired],
                "kept": [_expired(e) for e in report.kept],
                "extended": [_expired(e) for e in report.extended],
                "unverified": [_expired(e) for e in report.unverified],
                "price_cents_per_hour": report.hourly_cost_cents,
                "idle_file_systems": [_idle(f) for f in report.idle_file_systems],
                "deleted_file_systems": report.deleted_file_systems,
                "outcomes": None
                if report.terminated is None
                else {i: o.value for i, o in report.terminated.outcomes.items()},
            }
        )
        return
    verb = "Would terminate" if report.dry_run else "Terminating"
    output.table(
        ["ID", "NAME", "TYPE", "OWNER", "EXPIRED", "PRICE"],
        (
            [e.id, e.instance.name, e.instance.instance_type.name, e.owner,
             _stamp(e.expires_at), price(e.price_cents_per_hour or 0)]
            for e in report.expired
        ),
        f"{verb} {len(report.expired)} expired instance(s) of {report.owner}, "
        f"{price(report.hourly_cost_cents)} in all",
    )  # fmt: skip
    for entry in report.kept:
        output.message(f"Kept (--keep): {entry.id}, expired {_stamp(entry.expires_at)}")
    for entry in report.extended:
        output.message(f"Extended: {entry.id}, until {_stamp(entry.expires_at)}")
    for entry in report.unverified:
        output.message(
            f"Left running (its extension could not be read: the shared store is down): "
            f"{entry.id}, expired {_stamp(entry.expires_at)}"
        )
    _show_idle(output, report.idle_file_systems)
    for fs_id in report.deleted_file_systems:
        output.message(f"Deleted file system {fs_id}")
    if report.dry_run and report.expired:
        output.message("Dry run: nothing was terminated. Pass --yes to terminate them.")
    if report.terminated is not None:
        show_terminate(output, report.terminated)


@click.command()
@click.option("--yes", "-y", is_flag=True, help="Terminate them (without: a dry run).")
@click.option("--keep", multiple=True, metavar="ID", help="An instance to leave running.")
@click.option(
    "--owner",
    help="Reap this owner's instances [default: $LAMBDA_CLOUD_OWNER, else <user>@<host>].",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d"]),
    help="Judge expiry as of this UTC time instead of now (e.g. to preview tomorrow's reap).",
)
@click.option(
    "--watch",
    metavar="INTERVAL",
    callback=duration,
    help=(
        "Keep reaping, once every INTERVAL (e.g. 10m), until interrupted; a failed pass is "
        "shown and the next one tries again (a refused key ends it)."
    ),
)
@click.option(
    "--delete-file-system",
    "delete_file_systems",
    multiple=True,
    metavar="ID",
    help="Also delete this idle file system (with --yes; refused if an instance mounts it).",
)
@click.option("--wait", is_flag=True, help="Also wait until they are terminated.")
@pass_state
def reap(
    state: State,
    yes: bool,
    keep: tuple[str, ...],
    owner: str | None,
    as_of: datetime.datetime | None,
    watch: datetime.timedelta | None,
    delete_file_systems: tuple[str, ...],
    wait: bool,
) -> None:
    """List the owner's instances whose expiry has passed, and what each costs per hour;
    terminate them with --yes. Only instances launched with the SDK's owner and expiry tags
    are ever touched; one extended with `lambda-cloud extend` runs until its extension (read
    from the shared store; while the store is down, no expired instance is terminated). File
    systems no instance mounts are listed, and deleted only when named with
    --delete-file-system.

    \b
    Example:
      lambda-cloud reap                      # a dry run
      lambda-cloud reap --yes --keep 0920582c7ff041399e34823a0be62549
      lambda-cloud reap --yes --watch 10m    # keep doing it
    """
    if watch is not None and delete_file_systems:
        raise click.UsageError("--delete-file-system deletes once: it does not go with --watch")
    client = state.client()
    reap_once = functools.partial(
        client.instances.reap,
        dry_run=not yes,
        owner=owner,
        now=as_of,
        keep=keep,
        delete_file_systems=delete_file_systems,
        wait=wait,
    )
    if watch is None:
        with track(state.output) as tracker:
            report = reap_once(on_progress=tracker)
        _show_reap(state.output, report)
        if report.dry_run and delete_file_systems:
            state.output.message(f"Would delete file system(s): {', '.join(delete_file_systems)}")
        report.raise_for_errors()  # exit status 1, with what went wrong
        return
    try:
        _watch(state, reap_once, watch)
    except KeyboardInterrupt:
        state.output.message("Stopped reaping.")
        raise click.exceptions.Exit(130) from None


def _watch(
    state: State, reap_once: Callable[..., ReapReport], interval: datetime.timedelta
) -> None:
    """Reap every ``interval`` until interrupted. A pass that fails is shown in a line and the
    next one tries again; what no pass can get past (``FINAL_ERRORS``: a refused key, bad
    input) ends the watch, as ``fleets.watch`` does."""
    while True:
        try:
            with track(state.output) as tracker:
                report = reap_once(on_progress=tracker)
        except lambda_cloud.FINAL_ERRORS:
            raise
        except lambda_cloud.LambdaCloudError as exc:
            first = describe(exc).splitlines()[0]
            state.output.message(f"Reap failed ({first}); trying again next round.")
        else:
            _show_reap(state.output, report)
            if not report.ok:  # a failed terminate is retried on the next round
                state.output.message("Some terminations failed; trying again next round.")
        time.sleep(interval.total_seconds())


@click.command()
@click.argument("ids", nargs=-1, required=True, metavar="ID...")
@click.option(
    "--by",
    callback=duration,
    metavar="DURATION",
    help="Expire DURATION (e.g. 2h) after the current expiry (or after now, if it has passed).",
)
@click.option(
    "--until",
    callback=_until,
    metavar="WHEN",
    help="Expire at WHEN, a date-time (UTC if naive), unless it already expires later.",
)
@pass_state
def extend(
    state: State,
    ids: tuple[str, ...],
    by: datetime.timedelta | None,
    until: datetime.datetime | None,
) -> None:
    """Postpone the expiry of instances launched with one (--expires-in): `reap` leaves them
    running until then. Tags cannot change after launch, so the extension is recorded in the
    shared store (--shared-state, $LAMBDA_CLOUD_SHARED_STATE or the profile's shared_state),
    where every reap using the key reads it; without a store, use `reap --keep ID`.

    \b
    Example:
      lambda-cloud extend 0920582c7ff041399e34823a0be62549 --by 2h
      lambda-cloud extend ID1 ID2 --until 2026-12-07T09:00:00
    """
    if (by is None) == (until is None):
        raise click.UsageError("give --by DURATION or --until WHEN")
    expiries = state.client().instances.extend_expiry(list(ids), by=by, until=until)
    if state.output.mode is Mode.JSON:
        state.output.json({iid: _stamp(when) for iid, when in expiries.items()})
        return
    state.output.table(
        ["ID", "EXPIRES AT"],
        ([iid, _stamp(when)] for iid, when in expiries.items()),
        f"Extended {len(expiries)} instance(s)",
    )


def _cost_data(report: CostReport) -> dict[str, Any]:
    return {
        "since": _stamp(report.since),
        "until": _stamp(report.until),
        "group_by": report.group_by,
        "total_cents": round(report.total_cents, 2),
        "running_cents_per_hour": report.running_cents_per_hour,
        "groups": [
            {
                "key": g.key,
                "cents": round(g.cents, 2),
                "instances": g.instances,
                "running_cents_per_hour": g.running_cents_per_hour,
            }
            for g in report.groups
        ],
        "unaccounted": [
            {
                "id": u.id,
                "reason": u.reason,
                "launched_at": None if u.launched_at is None else _stamp(u.launched_at),
            }
            for u in report.unaccounted
        ],
        "estimated": [c.id for c in report.instances if c.estimated],
        "idle_file_systems": [_idle(f) for f in report.idle_file_systems],
    }


def _dollars(cents: float) -> str:
    return f"${cents / 100:,.2f}"


def _show_cost(output: Output, report: CostReport) -> None:
    if output.mode is Mode.JSON:
        output.json(_cost_data(report))
        return
    rows: list[list[object]] = [
        [g.key, g.instances, _dollars(g.cents), price(g.running_cents_per_hour)]
        for g in report.groups
    ]
    rows.append(
        ["total", len(report.instances), _dollars(report.total_cents),
         price(report.running_cents_per_hour)]
    )  # fmt: skip
    output.table(
        [report.group_by.upper(), "INSTANCES", "SPENT", "RUNNING NOW"],
        rows,
        f"Spent from {_stamp(report.since)} to {_stamp(report.until)}",
    )
    if report.unaccounted:
        output.table(
            ["ID", "NOT COUNTED BECAUSE"],
            ([u.id, u.reason] for u in report.unaccounted),
            "Instances not counted",
        )
    estimated = [c.id for c in report.instances if c.estimated]
    if estimated:
        output.message(
            f"Priced at their type's current price (no longer listed): {', '.join(estimated)}"
        )
    _show_idle(output, report.idle_file_systems)


@click.command()
@click.option(
    "--since",
    callback=_since,
    metavar="WHEN",
    help="Show what was spent since WHEN: a duration back from now (7d, 12h) or a date-time.",
)
@click.option(
    "--by",
    "group_by",
    type=LazyChoice(lambda: lambda_cloud.lifecycle.GROUP_BY),
    default="run",
    show_default=True,
    help="With --since: sum by launch run, owner, instance or instance type.",
)
@click.option("--by-type", is_flag=True, help="Without --since: count the instances of each type.")
@click.pass_context
def cost(
    ctx: click.Context,
    since: datetime.timedelta | datetime.datetime | None,
    group_by: GroupBy,
    by_type: bool,
) -> None:
    """What your running instances cost per hour; with --since, what was spent so far.

    Launch and terminate times come from the audit log: instances launched before WHEN (or
    before the log's reach) are listed as not counted, rather than guessed.

    \b
    Example:
      lambda-cloud cost --by-type
      lambda-cloud cost --since 7d --by run
    """
    if since is None:
        ctx.invoke(hourly_cost, by_type=by_type)
        return
    if by_type:
        raise click.UsageError("--by-type shows the hourly cost; with --since use --by type")
    state: State = ctx.find_root().obj
    report = state.client().instances.costs(since=since, group_by=group_by)
    _show_cost(state.output, report)
