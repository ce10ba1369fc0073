"""``lambda-cloud instances launch|find-run|reclaim``: bulk launch runs, and cleaning up after
them by run id."""

from __future__ import annotations

import datetime
import secrets
from typing import TYPE_CHECKING, Any

import aiohttp
import click

from lambda_cloud import (
    LAUNCH_TOKEN_TAG,
    BulkLaunchCancelledError,
    BulkLaunchReport,
    Hunt,
    Instance,
    LaunchedInstance,
    UnresolvedLaunchError,
    ValidationError,
    check_run_id,
    parse_token,
)
from lambda_cloud.bulk import DEFAULT_POLL_INTERVAL, DEFAULT_SETTLE_TIMEOUT

from .app import State, pass_state
from .catalog import check_regions
from .instances import COLUMNS, confirm_terminate, show_terminate
from .lifecycle import duration
from .output import Mode, Output
from .params import check_names, dollars
from .progress import track

if TYPE_CHECKING:
    from lambda_cloud import LambdaCloud
    from lambda_cloud.bulk import LaunchManyOptions

__all__ = [
    "find_run",
    "interrupted_lines",
    "launch",
    "launch_data",
    "reclaim",
]


def _new_run_id() -> str:
    return secrets.token_hex(8)


def _run_id(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """The run id, checked before anything is sent."""
    try:
        return check_run_id(value)
    except ValidationError as exc:
        raise click.BadParameter(exc.message) from None


@click.command()
@click.option(
    "--type",
    "types",
    multiple=True,
    required=True,
    metavar="TYPE",
    help="Instance type, e.g. gpu_1x_a10. Repeat it in order of preference: each slot takes "
    "the first type with capacity.",
)
@click.option("--ssh-key", "ssh_keys", multiple=True, required=True, help="SSH key name.")
@click.option("--region", "regions", multiple=True, help="Region to try, in order (repeatable).")
@click.option("--count", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--name", help="Name, or name prefix: instances are named NAME-<slot>.")
@click.option("--file-system", "file_systems", multiple=True, help="File system to mount.")
@click.option("--wait", is_flag=True, help="Also wait until the instances are active.")
@click.option("--timeout", type=float, help="Seconds for the whole launch (and wait).")
@click.option("--poll-interval", type=float, default=5.0, show_default=True, help="Seconds.")
@click.option(
    "--hunt",
    type=click.FloatRange(min=0, min_open=True),
    metavar="TIMEOUT",
    help="Wait up to TIMEOUT seconds (from the start) for capacity when none is left, "
    "looking again every --hunt-poll seconds; a launch never goes where the last look "
    "showed none.",
)
@click.option(
    "--hunt-poll",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Seconds between two looks for capacity while hunting "
    f"[default: {DEFAULT_POLL_INTERVAL:g}].",
)
@click.option(
    "--max-hourly-cost",
    metavar="DOLLARS",
    callback=dollars,
    help="Refuse the launch, before anything is sent, if COUNT instances of the dearest "
    "--type, on top of what the account already runs, would cost more than this many US "
    "dollars per hour (e.g. 12.50); a slot whose price rose meanwhile is not launched past it.",
)
@click.option(
    "--run-id",
    default=_new_run_id,
    callback=_run_id,
    help="The run's id (1-32 letters, digits, '-'; default: random). Rerunning a launch with "
    "the same id only fills the slots it left empty.",
)
@click.option(
    "--settle-timeout",
    type=click.FloatRange(min=0),
    default=DEFAULT_SETTLE_TIMEOUT,
    show_default=True,
    help="Seconds to look for a launch whose answer was lost before launching its slot again.",
)
@click.option(
    "--expires-in",
    metavar="DURATION",
    callback=duration,
    help="Tag the instances to expire after DURATION (e.g. 4h, 2d): `lambda-cloud reap` then "
    "terminates them.",
)
@pass_state
def launch(
    state: State,
    types: tuple[str, ...],
    ssh_keys: tuple[str, ...],
    regions: tuple[str, ...],
    count: int,
    name: str | None,
    file_systems: tuple[str, ...],
    wait: bool,
    timeout: float | None,
    poll_interval: float,
    hunt: float | None,
    hunt_poll: float | None,
    max_hourly_cost: int | None,
    run_id: str,
    settle_timeout: float,
    expires_in: datetime.timedelta | None,
) -> None:
    """Launch instances, showing progress, and report on every one.

    The types, regions, SSH keys and file systems named are checked first. The run id is
    printed as the first launch goes out, and every instance is tagged with it: if the command
    dies, `instances reclaim RUN_ID` terminates what it left. Ctrl-C stops the launch,
    terminates what it created so far, and says so; a second stops waiting for launches whose
    outcome is unknown, a third for anything but the terminate requests.

    \b
    Example:
      lambda-cloud instances launch --type gpu_1x_a10 --ssh-key me --count 4 --wait
      lambda-cloud instances launch --type gpu_1x_a10 --ssh-key me --expires-in 4h
      lambda-cloud instances launch --type gpu_8x_h100_sxm5 --type gpu_8x_a100_80gb_sxm4 \\
          --ssh-key me --count 2 --hunt 3600 --max-hourly-cost 60
    """
    options: LaunchManyOptions = {
        "instance_type_names": types,
        "hunt": _hunt(hunt, hunt_poll),
        "max_hourly_cost_cents": max_hourly_cost,
        "ssh_key_names": ssh_keys,
        "region_names": regions or None,
        "name_prefix": name,
        "file_system_names": file_systems or None,
        "wait": wait,
        "timeout": timeout,
        "poll_interval": poll_interval,
        "settle_timeout": settle_timeout,
        "run_id": run_id,
        "expires_in": expires_in,
    }
    state.trace_configs.append(_announce(state.output, run_id))
    client = state.client()
    _check_names(client, types, regions, ssh_keys, file_systems)
    try:
        with track(state.output) as tracker:
            options["on_progress"] = tracker
            report = client.instances.launch_many(count, **options)
    except KeyboardInterrupt as exc:
        _interrupted(state.output, run_id, BulkLaunchCancelledError.find(exc))
        raise click.exceptions.Exit(130) from None
    _show_launch(state.output, report)
    report.raise_for_errors()  # exit status 1, with what went wrong


def _check_names(
    client: LambdaCloud,
    types: tuple[str, ...],
    regions: tuple[str, ...],
    ssh_keys: tuple[str, ...],
    file_systems: tuple[str, ...],
) -> None:
    """Refuse a name that does not exist, suggesting the closest, before anything is sent
    (one list call per kind): the API would refuse it in every region, one launch at a time."""
    known_types = set(client.instance_types.list())
    check_names("--type", "instance type", types, known_types, listing="types")
    check_regions(client, regions)
    known_keys = {k.name for k in client.ssh_keys.list()}
    check_names("--ssh-key", "SSH key", ssh_keys, known_keys, listing="ssh-keys list")
    if file_systems:
        known_fs = {f.name for f in client.file_systems.list()}
        check_names(
            "--file-system", "file system", file_systems, known_fs, listing="file-systems list"
        )


def _announce(output: Output, run_id: str) -> aiohttp.TraceConfig:
    """Request tracing that prints the run id as the first launch request goes out: a run
    refused unsent (spend limit, a rerun that does not match) has no id worth keeping, and one
    that sent anything has it on screen before an instance can exist."""
    trace = aiohttp.TraceConfig()
    announced = False

    async def on_request_start(
        session: aiohttp.ClientSession,
        context: object,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        nonlocal announced
        if not announced and params.url.path.endswith("/instance-operations/launch"):
            announced = True
            output.message(f"Run id: {run_id} (to clean up after a crash: {_reclaim_hint(run_id)})")

    trace.on_request_start.append(on_request_start)
    return trace


def _reclaim_hint(run_id: str) -> str:
    return f"lambda-cloud instances reclaim {run_id}"


def _hunt(timeout: float | None, poll: float | None) -> Hunt | None:
    """The ``Hunt`` that ``--hunt`` and ``--hunt-poll`` ask for, if any."""
    if timeout is None:
        if poll is not None:
            raise click.UsageError("--hunt-poll needs --hunt TIMEOUT")
        return None
    return Hunt(timeout=timeout, poll_interval=DEFAULT_POLL_INTERVAL if poll is None else poll)


def _interrupted(output: Output, run_id: str, cancelled: BulkLaunchCancelledError | None) -> None:
    """Say what an interrupted launch did, and what (if anything) is left running."""
    if cancelled is None:  # Ctrl-C before the launch began or after it ended: no report
        output.message(
            f"Interrupted before the launch accounted for its instances: some may be running. "
            f"List them: lambda-cloud instances find-run {run_id}; "
            f"terminate them: {_reclaim_hint(run_id)}"
        )
        return
    output.message(f"Interrupted: {cancelled}.")
    for line in interrupted_lines(cancelled.report):
        output.message(line)
    _show_launch(output, cancelled.report)


def interrupted_lines(report: BulkLaunchReport) -> list[str]:
    """What a cancelled launch's report says was terminated, is still running, or may yet
    appear (a launch whose outcome stayed unknown)."""
    ended = set(report.terminated)
    kept = [i.id for i in (*report.instances, *report.extras) if i.id not in ended]
    unresolved = [f.slot for f in report.failures if isinstance(f.error, UnresolvedLaunchError)]
    hint = _reclaim_hint(report.run_id)
    lines = []
    if report.terminated:
        lines.append(f"Terminated: {', '.join(report.terminated)}")
    if kept:
        lines.append(f"Still running: {', '.join(kept)} (terminate: {hint})")
    if unresolved:
        slots = ", ".join(map(str, unresolved))
        lines.append(f"Launches of slots {slots} may still create instances: later, run {hint}")
    if not kept and not unresolved:
        lines.append("Nothing this run launched is left running.")
    return lines


def _show_launch(output: Output, report: BulkLaunchReport) -> None:
    if output.mode is Mode.JSON:
        output.json(launch_data(report))
        return
    kinds = " or ".join(report.instance_type_names or [report.instance_type_name])
    hunted = f", after {report.hunted:.0f}s hunting for capacity" if report.hunted else ""
    output.table(
        ["SLOT", "ID", "NAME", "TYPE", "REGION", "STATUS"],
        (
            [i.slot, i.id, i.name, i.instance_type_name, i.region, i.status]
            for i in report.instances
        ),
        f"Run {report.run_id}: launched {len(report.instances)} of {report.requested} "
        f"{kinds}{hunted}",
    )
    if report.failures:
        output.table(
            ["SLOT", "ERROR"],
            ([f.slot, f"{type(f.error).__name__}: {f.error}"] for f in report.failures),
            "Failed",
        )


def _launched(instance: LaunchedInstance) -> dict[str, Any]:
    return {
        "id": instance.id,
        "slot": instance.slot,
        "token": instance.token,
        "instance_type_name": instance.instance_type_name,
        "region": instance.region,
        "name": instance.name,
        "status": instance.status.value if instance.status else None,
        "adopted": instance.adopted,
    }


def launch_data(report: BulkLaunchReport) -> dict[str, Any]:
    """A launch report as JSON-ready data."""
    return {
        "run_id": report.run_id,
        "instance_type_name": report.instance_type_name,
        "instance_type_names": report.instance_type_names,
        "requested": report.requested,
        "hunted": report.hunted,
        "ok": report.ok,
        "instances": [_launched(i) for i in report.instances],
        "extras": [_launched(i) for i in report.extras],
        "failures": [
            {
                "slot": f.slot,
                "name": f.name,
                "error": f"{type(f.error).__name__}: {f.error}",
                "regions_tried": f.regions_tried,
            }
            for f in report.failures
        ],
        "terminated": report.terminated,
        "cancelled": report.cancelled,
    }


@click.command("find-run")
@click.argument("run_id", callback=_run_id)
@pass_state
def find_run(state: State, run_id: str) -> None:
    """List the live instances a launch run created, by slot.

    \b
    Example:
      lambda-cloud instances find-run 3f9c2a7d5e1b8c04
    """
    state.output.rows(state.client().instances.find_run(run_id), [("SLOT", _slot), *COLUMNS])


def _slot(instance: Instance) -> int | None:
    """The launch slot an instance's launch-token tag gives it."""
    token = parse_token(instance.tag(LAUNCH_TOKEN_TAG))
    return token[1] if token else None


@click.command()
@click.argument("run_id", callback=_run_id)
@click.option("--keep", multiple=True, metavar="ID", help="An instance to leave running.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--wait", is_flag=True, help="Also wait until they are terminated.")
@pass_state
def reclaim(state: State, run_id: str, keep: tuple[str, ...], yes: bool, wait: bool) -> None:
    """Terminate what a launch run left running (all but --keep). Asks first unless --yes.

    \b
    Example:
      lambda-cloud instances reclaim 3f9c2a7d5e1b8c04 --keep 0920582c7ff041399e34823a0be62549
    """
    client = state.client()
    targets = [i for i in client.instances.find_run(run_id) if i.id not in keep]
    nothing = f"Nothing to reclaim: run {run_id} has no live instances."
    if not confirm_terminate(state.output, targets, len(targets), yes=yes, nothing=nothing):
        return
    with track(state.output) as tracker:
        report = client.instances.reclaim(run_id, keep=keep, wait=wait, on_progress=tracker)
    show_terminate(state.output, report)
    report.raise_for_errors()
