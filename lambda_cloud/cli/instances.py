"""``lambda-cloud instances ...`` and ``lambda-cloud cost``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from .._sync import LambdaCloud
from ..bulk import BulkLaunchCancelledError, BulkLaunchReport, BulkTerminateReport
from ..types.instances import TERMINAL_STATUSES, Instance, InstanceStatus
from .app import State, pass_state
from .output import Column, Mode, Output, price, to_data
from .progress import track

__all__ = ["cost", "instances"]

COLUMNS: list[Column[Instance]] = [
    ("ID", lambda i: i.id),
    ("NAME", lambda i: i.name),
    ("STATUS", lambda i: i.status),
    ("TYPE", lambda i: i.instance_type.name),
    ("REGION", lambda i: i.region.name),
    ("IP", lambda i: i.ip),
    ("PRICE", lambda i: price(i.instance_type.price_cents_per_hour)),
]
FIELDS: list[Column[Instance]] = [
    *COLUMNS,
    ("PRIVATE IP", lambda i: i.private_ip),
    ("HOSTNAME", lambda i: i.hostname),
    ("SSH KEYS", lambda i: i.ssh_key_names),
    ("FILE SYSTEMS", lambda i: i.file_system_names),
    ("TAGS", lambda i: [f"{t.key}={t.value}" for t in i.tags or ()]),
]


def running(client: LambdaCloud) -> list[Instance]:
    """The instances that are not terminating or gone: what is being paid for."""
    ended = {*TERMINAL_STATUSES, InstanceStatus.TERMINATING}
    return [i for i in client.instances.list() if i.status not in ended]


def hourly_cents(items: Sequence[Instance]) -> int:
    """What ``items`` cost per hour together, in US cents."""
    return sum(i.instance_type.price_cents_per_hour for i in items)


@click.group()
def instances() -> None:
    """List, launch, wait for and terminate instances.

    \b
    Example:
      lambda-cloud instances list
    """


@instances.command("list")
@pass_state
def list_(state: State) -> None:
    """List your instances.

    \b
    Example:
      lambda-cloud instances list -o json
    """
    state.output.rows(state.client().instances.list(), COLUMNS)


@instances.command()
@click.argument("instance_id")
@pass_state
def get(state: State, instance_id: str) -> None:
    """Show one instance.

    \b
    Example:
      lambda-cloud instances get 0920582c7ff041399e34823a0be62549
    """
    state.output.record(state.client().instances.get(instance_id), FIELDS)


@instances.command()
@click.argument("instance_id")
@click.argument("name")
@pass_state
def rename(state: State, instance_id: str, name: str) -> None:
    """Rename an instance ("" clears the name).

    \b
    Example:
      lambda-cloud instances rename 0920582c7ff041399e34823a0be62549 trainer-1
    """
    state.output.record(state.client().instances.update(instance_id, name=name), FIELDS)


@instances.command()
@click.argument("instance_ids", nargs=-1, required=True)
@pass_state
def restart(state: State, instance_ids: tuple[str, ...]) -> None:
    """Restart instances.

    \b
    Example:
      lambda-cloud instances restart 0920582c7ff041399e34823a0be62549
    """
    state.output.rows(state.client().instances.restart(instance_ids), COLUMNS)


@instances.command()
@click.argument("instance_ids", nargs=-1, required=True)
@click.option(
    "--status",
    type=click.Choice([s.value for s in InstanceStatus]),
    default="active",
    show_default=True,
    help="The status to wait for.",
)
@click.option("--timeout", type=float, default=1800.0, show_default=True, help="Seconds.")
@click.option("--poll-interval", type=float, default=5.0, show_default=True, help="Seconds.")
@pass_state
def wait(
    state: State, instance_ids: tuple[str, ...], status: str, timeout: float, poll_interval: float
) -> None:
    """Wait until instances reach a status (active by default).

    \b
    Example:
      lambda-cloud instances wait 0920582c7ff041399e34823a0be62549 --timeout 600
    """
    with track(state.output) as tracker:
        done = state.client().instances.wait_for(
            instance_ids,
            status,
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=tracker,
        )
    state.output.rows(done, COLUMNS)


@instances.command()
@click.option(
    "--type",
    "types",
    multiple=True,
    required=True,
    metavar="TYPE",
    help="Instance type, e.g. gpu_1x_a10 (repeat in order of preference).",
)
@click.option("--ssh-key", "ssh_keys", multiple=True, required=True, help="SSH key name.")
@click.option("--region", "regions", multiple=True, help="Region to try, in order (repeatable).")
@click.option("--count", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--name", help="Name, or name prefix: instances are named NAME-<slot>.")
@click.option("--file-system", "file_systems", multiple=True, help="File system to mount.")
@click.option("--wait", is_flag=True, help="Also wait until the instances are active.")
@click.option("--timeout", type=float, help="Seconds for the whole launch (and wait).")
@click.option("--poll-interval", type=float, default=5.0, show_default=True, help="Seconds.")
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
) -> None:
    """Launch instances, showing progress, and report on every one.

    Each instance is tagged with its run's id: after a crash, the run id printed here finds
    what the run created. Ctrl-C terminates what the launch created so far.

    \b
    Example:
      lambda-cloud instances launch --type gpu_1x_a10 --ssh-key me --count 4 --wait
    """
    options: dict[str, Any] = {
        **_type_choice(state.output, types),
        "ssh_key_names": ssh_keys,
        "region_names": regions or None,
        "name_prefix": name,
        "file_system_names": file_systems or None,
        "wait": wait,
        "timeout": timeout,
        "poll_interval": poll_interval,
    }
    client = state.client()
    try:
        with track(state.output) as tracker:
            report = client.instances.launch_many(count, on_progress=tracker, **options)
    except KeyboardInterrupt as exc:
        cancelled = BulkLaunchCancelledError.find(exc)
        if cancelled is not None:
            state.output.message(f"Interrupted: {cancelled}")
            _show_launch(state.output, cancelled.report)
        raise click.exceptions.Exit(130) from None
    _show_launch(state.output, report)
    report.raise_for_errors()  # exit status 1, with what went wrong


def _type_choice(output: Output, types: tuple[str, ...]) -> dict[str, Any]:
    """The ``launch_many`` arguments naming the instance type(s) to launch."""
    if len(types) > 1:
        output.message(f"Note: one type per launch for now; launching {types[0]} only.")
    return {"instance_type_name": types[0]}


def _show_launch(output: Output, report: BulkLaunchReport) -> None:
    output.message(f"Run id: {report.run_id}")
    if output.mode is Mode.JSON:
        output.json(launch_data(report))
        return
    output.table(
        ["SLOT", "ID", "NAME", "REGION", "STATUS"],
        ([i.slot, i.id, i.name, i.region, i.status] for i in report.instances),
        f"Launched {len(report.instances)} of {report.requested} {report.instance_type_name}",
    )
    if report.failures:
        output.table(
            ["SLOT", "ERROR"],
            ([f.slot, f"{type(f.error).__name__}: {f.error}"] for f in report.failures),
            "Failed",
        )


def launch_data(report: BulkLaunchReport) -> dict[str, Any]:
    """A launch report as JSON-ready data."""
    return {
        "run_id": report.run_id,
        "instance_type_name": report.instance_type_name,
        "requested": report.requested,
        "ok": report.ok,
        "instances": to_data(report.instances),
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


@instances.command()
@click.argument("instance_ids", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Terminate every running instance.")
@click.option("--name-prefix", help="Terminate the running instances whose name starts so.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--wait", is_flag=True, help="Also wait until they are terminated.")
@pass_state
def terminate(
    state: State,
    instance_ids: tuple[str, ...],
    all_: bool,
    name_prefix: str | None,
    yes: bool,
    wait: bool,
) -> None:
    """Terminate instances: by id, --all, or --name-prefix. Asks first unless --yes.

    \b
    Example:
      lambda-cloud instances terminate --name-prefix trainer
    """
    if sum((bool(instance_ids), all_, name_prefix is not None)) != 1:
        raise click.UsageError("give instance ids, --all, or --name-prefix (one of them)")
    client = state.client()
    alive = running(client)
    if instance_ids:
        known = {i.id: i for i in alive}
        targets, ids = [known[i] for i in instance_ids if i in known], list(instance_ids)
    else:
        prefix = name_prefix or ""
        targets = [i for i in alive if all_ or (i.name or "").startswith(prefix)]
        ids = [i.id for i in targets]
    if not ids:
        state.output.message("Nothing to terminate.")
        return
    state.output.message(
        f"Terminating {len(ids)} instance(s), {price(hourly_cents(targets))} in all:"
    )
    for i in targets:
        state.output.message(f"  {i.id}  {i.name or '-'}  {i.instance_type.name}")
    if not yes:
        click.confirm("Terminate them?", default=False, abort=True, err=True)
    with track(state.output) as tracker:
        report = client.instances.terminate_many(ids, wait=wait, on_progress=tracker)
    _show_terminate(state.output, report)
    report.raise_for_errors()


def _show_terminate(output: Output, report: BulkTerminateReport) -> None:
    errors = {i: f"{type(e).__name__}: {e}" for i, e in report.errors.items()}
    if output.mode is Mode.JSON:
        outcomes = {i: o.value for i, o in report.outcomes.items()}
        output.json({"ok": report.ok, "outcomes": outcomes, "errors": errors})
        return
    output.table(
        ["ID", "OUTCOME", "ERROR"],
        ([i, o, errors.get(i)] for i, o in report.outcomes.items()),
        None,
    )


@click.command()
@pass_state
def cost(state: State) -> None:
    """What your running instances cost per hour.

    \b
    Example:
      lambda-cloud cost
    """
    alive = running(state.client())
    cents = hourly_cents(alive)
    if state.output.mode is Mode.JSON:
        state.output.json({"instances": len(alive), "price_cents_per_hour": cents})
        return
    by_type: dict[str, list[Instance]] = {}
    for i in alive:
        by_type.setdefault(i.instance_type.name, []).append(i)
    rows = [[t, len(g), price(hourly_cents(g))] for t, g in sorted(by_type.items())]
    state.output.table(
        ["TYPE", "COUNT", "PRICE"], [*rows, ["total", len(alive), price(cents)]], None
    )
