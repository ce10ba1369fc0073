"""``lambda-cloud instances ...`` and ``lambda-cloud cost``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

import lambda_cloud

from .app import LazyGroup, State, pass_state
from .output import Column, Mode, Output, price
from .params import LazyChoice, did_you_mean
from .progress import track

if TYPE_CHECKING:
    from lambda_cloud import BulkTerminateReport, Instance, LambdaCloud

__all__ = ["COLUMNS", "confirm_terminate", "cost", "instances", "resolve", "show_terminate"]

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
    return [i for i in client.instances.list() if lambda_cloud.is_live(i)]


def resolve(listed: Sequence[Instance], name_or_id: str) -> Instance:
    """The listed instance with this id, or else the one with this name: a live one first (a
    name is reused once its instance is gone). Exit 1 when there is none, 2 when the name is
    ambiguous."""
    for instance in listed:
        if instance.id == name_or_id:
            return instance
    named = [i for i in listed if i.name == name_or_id]
    named = [i for i in named if lambda_cloud.is_live(i)] or named
    if len(named) > 1:
        ids = ", ".join(i.id for i in named)
        raise click.UsageError(
            f"{len(named)} instances are named {name_or_id!r} ({ids}): give an id"
        )
    if not named:
        known = [i.name for i in listed if i.name] + [i.id for i in listed]
        raise click.ClickException(
            f"no instance has the id or name {name_or_id!r}{did_you_mean(name_or_id, known)}"
        )
    return named[0]


def hourly_cents(items: Sequence[Instance]) -> int:
    """What ``items`` cost per hour together, in US cents."""
    return sum(i.instance_type.price_cents_per_hour for i in items)


@click.group(
    cls=LazyGroup,
    # Their module loads the bulk engine's defaults for its options' help.
    lazy={"launch": ".runs:launch", "find-run": ".runs:find_run", "reclaim": ".runs:reclaim"},
)
def instances() -> None:
    """List, launch, wait for, terminate and reclaim instances.

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
@click.argument("name_or_id")
@pass_state
def get(state: State, name_or_id: str) -> None:
    """Show one instance, by id or name.

    \b
    Example:
      lambda-cloud instances get trainer-0
    """
    state.output.record(resolve(state.client().instances.list(), name_or_id), FIELDS)


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
    type=LazyChoice(lambda: lambda_cloud.InstanceStatus),
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
@click.argument("names_or_ids", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Terminate every running instance.")
@click.option("--name-prefix", help="Terminate the running instances whose name starts so.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--wait", is_flag=True, help="Also wait until they are terminated.")
@click.option(
    "--poll-interval", type=float, default=5.0, show_default=True, help="Seconds, with --wait."
)
@pass_state
def terminate(
    state: State,
    names_or_ids: tuple[str, ...],
    all_: bool,
    name_prefix: str | None,
    yes: bool,
    wait: bool,
    poll_interval: float,
) -> None:
    """Terminate instances: by id or name, --all, or --name-prefix. Asks first unless --yes.

    Every id or name must be found (one instance list) before anything is terminated.

    \b
    Example:
      lambda-cloud instances terminate trainer-0 trainer-1
      lambda-cloud instances terminate --name-prefix trainer
    """
    if sum((bool(names_or_ids), all_, name_prefix is not None)) != 1:
        raise click.UsageError("give instance ids or names, --all, or --name-prefix (one of them)")
    client = state.client()
    listed = client.instances.list()
    if names_or_ids:
        chosen = {i.id: i for i in (resolve(listed, n) for n in names_or_ids)}.values()
        for i in chosen:
            if not lambda_cloud.is_live(i):
                state.output.message(f"Instance {i.id} is already {i.status.value}.")
        targets = [i for i in chosen if lambda_cloud.is_live(i)]
    else:
        prefix = name_prefix or ""
        targets = [
            i
            for i in listed
            if lambda_cloud.is_live(i) and (all_ or (i.name or "").startswith(prefix))
        ]
    if not confirm_terminate(state.output, targets, len(targets), yes=yes):
        return
    with track(state.output) as tracker:
        report = client.instances.terminate_many(
            [i.id for i in targets], wait=wait, on_progress=tracker, poll_interval=poll_interval
        )
    show_terminate(state.output, report)
    report.raise_for_errors()


def confirm_terminate(
    output: Output,
    targets: Sequence[Instance],
    count: int,
    *,
    yes: bool,
    nothing: str = "Nothing to terminate.",
) -> bool:
    """Show the ``count`` instances about to be terminated (those known: ``targets``) and their
    hourly cost; ask unless ``yes``. False (after saying ``nothing``) when ``count`` is 0."""
    if not count:
        output.message(nothing)
        return False
    output.message(f"Terminating {count} instance(s), {price(hourly_cents(targets))} in all:")
    for i in targets:
        output.message(f"  {i.id}  {i.name or '-'}  {i.instance_type.name}")
    if not yes:
        click.confirm("Terminate them?", default=False, abort=True, err=True)
    return True


def show_terminate(output: Output, report: BulkTerminateReport) -> None:
    """What became of each id a terminate was given."""
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
@click.option("--by-type", is_flag=True, help="Also count the instances of each type.")
@pass_state
def cost(state: State, by_type: bool) -> None:
    """What your running instances cost per hour, in all (or by type).

    \b
    Example:
      lambda-cloud cost --by-type
    """
    client = state.client()
    if not by_type:
        cents = client.instances.hourly_cost_cents()
        if state.output.mode is Mode.JSON:
            state.output.json({"price_cents_per_hour": cents})
        else:
            state.output.table(["PRICE"], [[price(cents)]], None)
        return
    alive = running(client)  # one list call, so the rows add up to the total
    groups: dict[str, list[Instance]] = {}
    for i in alive:
        groups.setdefault(i.instance_type.name, []).append(i)
    cents = hourly_cents(alive)
    if state.output.mode is Mode.JSON:
        kinds = [
            {"instance_type_name": t, "instances": len(g), "price_cents_per_hour": hourly_cents(g)}
            for t, g in sorted(groups.items())
        ]
        state.output.json(
            {"price_cents_per_hour": cents, "instances": len(alive), "by_type": kinds}
        )
        return
    rows = [[t, len(g), price(hourly_cents(g))] for t, g in sorted(groups.items())]
    state.output.table(
        ["TYPE", "COUNT", "PRICE"], [*rows, ["total", len(alive), price(cents)]], None
    )
