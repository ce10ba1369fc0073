"""``lambda-cloud fleet plan|apply|status|list|delete``: named sets of instances kept at a
count, described in a TOML or JSON file (see docs/fleets.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

import lambda_cloud

from .app import State, pass_state
from .instances import confirm_terminate, show_terminate
from .output import Mode, Output, price
from .progress import track

if TYPE_CHECKING:
    from lambda_cloud.fleets import Fleet, FleetApplyReport, FleetMember, FleetPlan, FleetStatus

__all__ = ["fleet"]

_FILE = click.Path(exists=True, dir_okay=False)


@click.group()
def fleet() -> None:
    """Fleets: COUNT instances kept running, replaced when they end, under a spend ceiling.

    \b
    A fleet file (TOML or JSON):
      name = "trainers"
      count = 4
      instance_type_names = ["gpu_1x_a100_sxm4", "gpu_1x_a10"]
      ssh_key_names = ["laptop"]
      max_hourly_cost_cents = 600

    \b
    Example:
      lambda-cloud fleet plan trainers.toml
      lambda-cloud fleet apply trainers.toml --watch 60
    """


def _load(path: str) -> Fleet:
    from lambda_cloud.fleets import load_fleet

    return load_fleet(path)


@fleet.command()
@click.argument("file", type=_FILE)
@pass_state
def plan(state: State, file: str) -> None:
    """Show what `fleet apply FILE` would do now; sends nothing that changes state.

    \b
    Example:
      lambda-cloud fleet plan trainers.toml
    """
    _show_plan(state.output, state.client().fleets.plan(_load(file)))


@fleet.command()
@click.argument("file", type=_FILE)
@click.option(
    "--watch",
    type=click.FloatRange(min=0, min_open=True),
    metavar="INTERVAL",
    help="Keep applying, every INTERVAL seconds, until Ctrl-C: replaces what ends.",
)
@pass_state
def apply(state: State, file: str, watch: float | None) -> None:
    """Bring the fleet to its file: terminate what it no longer wants, launch what it lacks.

    Exits 1 if it has fewer than min_count live members afterwards. Ctrl-C keeps what was
    launched (they are the fleet's; `fleet delete NAME` ends them).

    \b
    Example:
      lambda-cloud fleet apply trainers.toml
      lambda-cloud fleet apply trainers.toml --watch 60
    """
    from .runs import interrupted_lines  # the bulk engine's report lines: not for `--help`

    spec = _load(file)
    client = state.client()
    if watch is not None:
        return _watch(state, spec, watch)
    try:
        with track(state.output) as tracker:
            report = client.fleets.apply(spec, on_progress=tracker)
    except KeyboardInterrupt as exc:
        state.output.message(f"Interrupted: what was launched is kept. {_delete_hint(spec.name)}")
        cancelled = lambda_cloud.BulkLaunchCancelledError.find(exc)
        for line in [] if cancelled is None else interrupted_lines(cancelled.report):
            state.output.message(line)
        raise click.exceptions.Exit(130) from None
    _show_apply(state.output, report)
    report.raise_for_errors()  # exit status 1, with what is missing


def _watch(state: State, spec: Fleet, interval: float) -> None:
    try:
        for report in state.client().fleets.watch(spec, interval=interval):
            _show_apply(state.output, report)
    except KeyboardInterrupt:
        state.output.message(
            f"Stopped watching; the fleet keeps running. {_delete_hint(spec.name)}"
        )
        raise click.exceptions.Exit(130) from None


def _delete_hint(name: str) -> str:
    return f"To end it: lambda-cloud fleet delete {name}"


@fleet.command()
@click.argument("name")
@pass_state
def status(state: State, name: str) -> None:
    """Show a fleet's members, read from their tags (no file needed).

    \b
    Example:
      lambda-cloud fleet status trainers
    """
    _show_status(state.output, state.client().fleets.status(name))


@fleet.command("list")
@pass_state
def list_fleets(state: State) -> None:
    """List the fleets that have instances, with their live members and cost.

    \b
    Example:
      lambda-cloud fleet list -o json
    """
    fleets = state.client().fleets.list()
    if state.output.mode is Mode.JSON:
        state.output.json([_status_data(s) for s in fleets])
        return
    state.output.table(
        ["NAME", "LIVE", "STATUSES", "PRICE"],
        ([s.name, s.live, _statuses(s), price(s.hourly_cost_cents)] for s in fleets),
        None,
    )


@fleet.command()
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--wait", is_flag=True, help="Also wait until they are terminated.")
@pass_state
def delete(state: State, name: str, yes: bool, wait: bool) -> None:
    """Terminate every instance of a fleet. Asks first unless --yes; stop its watchers first.

    \b
    Example:
      lambda-cloud fleet delete trainers --yes
    """
    client = state.client()
    members = [m.instance for m in client.fleets.status(name).members]
    nothing = f"Nothing to delete: fleet {name} has no live instances."
    if not confirm_terminate(state.output, members, len(members), yes=yes, nothing=nothing):
        return
    with track(state.output) as tracker:
        report = client.fleets.delete(name, wait=wait, on_progress=tracker)
    show_terminate(state.output, report)
    report.raise_for_errors()


# -- showing ---------------------------------------------------------------------------------


def plan_data(plan: FleetPlan) -> dict[str, Any]:
    """A plan as JSON-ready data."""

    def changes(items: Any) -> list[dict[str, Any]]:
        return [
            {
                "slot": c.slot,
                "reason": c.reason.value,
                "instance_id": c.instance_id,
                "instance_type_name": c.instance_type_name,
                "region": c.region,
                "price_cents_per_hour": c.price_cents_per_hour,
                "detail": c.detail,
            }
            for c in items
        ]

    return {
        "name": plan.name,
        "run_id": plan.run_id,
        "count": plan.count,
        "min_count": plan.min_count,
        "converged": plan.converged,
        "kept": [_member_data(m) for m in plan.kept],
        "rename": changes(plan.rename),
        "launch": changes(plan.launch),
        "replace": changes(plan.replace),
        "terminate": changes(plan.terminate),
        "deferred": changes(plan.deferred),
        "held_back": plan.held_back,
        "launch_count": plan.launch_count,
        "hourly_cost_cents": plan.hourly_cost_cents,
        "hourly_cost_cents_after": plan.hourly_cost_cents_after,
        "max_hourly_cost_cents": plan.max_hourly_cost_cents,
    }


def _show_plan(output: Output, plan: FleetPlan) -> None:
    if output.mode is Mode.JSON:
        output.json(plan_data(plan))
        return
    rows = [
        [verb, c.slot, c.reason, c.instance_id, c.instance_type_name, c.region, c.detail]
        for verb, changes in (
            ("rename", plan.rename),
            ("launch", plan.launch),
            ("replace", plan.replace),
            ("terminate", plan.terminate),
            ("defer", plan.deferred),
        )
        for c in changes
    ]
    held = "deferred replacement" if plan.deferred else "spend ceiling"
    rows += [["hold back", slot, held, None, None, None, None] for slot in plan.held_back]
    title = (
        f"Fleet {plan.name}: {len(plan.kept) + len(plan.replace)} live of {plan.count}; "
        f"{price(plan.hourly_cost_cents)} now, at most {price(plan.hourly_cost_cents_after)} after"
    )
    if plan.doomed:  # what cannot be undone, said apart from the rows
        title += f"; terminates {len(plan.doomed)} running member(s) (replace, terminate)"
    # On stderr in every mode: a plain table has no title, and the costs matter.
    output.message(f"{title}." + (" Nothing to do." if plan.converged else ""))
    if not plan.converged:
        output.table(["ACTION", "SLOT", "REASON", "ID", "TYPE", "REGION", "DETAIL"], rows, None)


def _show_apply(output: Output, report: FleetApplyReport) -> None:
    from .runs import launch_data  # the bulk engine's report shape: not for `--help`

    if output.mode is Mode.JSON:
        output.json(
            {
                "ok": report.ok,
                "converged": report.converged,
                "live": report.live,
                "renamed": report.renamed,
                "plan": None if report.plan is None else plan_data(report.plan),
                "launched": None if report.launched is None else launch_data(report.launched),
                "terminated": None
                if report.terminated is None
                else {i: o.value for i, o in report.terminated.outcomes.items()},
                "error": None
                if report.error is None
                else f"{type(report.error).__name__}: {report.error}",
            }
        )
        return
    for line in report.summary().splitlines():
        output.message(line)


def _member_data(member: FleetMember) -> dict[str, Any]:
    i = member.instance
    return {
        "slot": member.slot,
        "id": i.id,
        "name": i.name,
        "status": i.status.value,
        "instance_type_name": i.instance_type.name,
        "region": i.region.name,
    }


def _status_data(status: FleetStatus) -> dict[str, Any]:
    return {
        "name": status.name,
        "run_id": status.run_id,
        "live": status.live,
        "statuses": status.statuses,
        "hourly_cost_cents": status.hourly_cost_cents,
        "members": [_member_data(m) for m in status.members],
        "ended": [_member_data(m) for m in status.ended],
    }


def _statuses(status: FleetStatus) -> str:
    return ", ".join(f"{s} {n}" for s, n in sorted(status.statuses.items())) or "-"


def _show_status(output: Output, status: FleetStatus) -> None:
    if output.mode is Mode.JSON:
        output.json(_status_data(status))
        return
    output.table(
        ["SLOT", "ID", "NAME", "STATUS", "TYPE", "REGION", "PRICE"],
        (
            [
                m.slot,
                m.id,
                m.instance.name,
                m.status,
                m.instance.instance_type.name,
                m.instance.region.name,
                price(m.instance.instance_type.price_cents_per_hour),
            ]
            for m in (*status.members, *status.ended)
        ),
        f"Fleet {status.name}: {status.live} live, {price(status.hourly_cost_cents)}",
    )
