"""``instances launch`` with several types, ``--hunt`` and ``--max-hourly-cost``, in-process.

The emulator runs on a ``ManualClock`` that moves only when the hunt says it is waiting (the
test's progress callback advances it), so capacity scheduled for later turns up on a known poll.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from click.testing import CliRunner, Result
from rich.console import Console
from rich.progress import Progress

from lambda_cloud import Hunt, LambdaCloud, ProgressEvent, ProgressKind
from lambda_cloud._sync._generated.instances import Instances
from lambda_cloud.bulk import BulkLaunchReport, Phase
from lambda_cloud.cli import cli
from lambda_cloud.cli.output import Mode, Output
from lambda_cloud.cli.progress import Tracker
from lambda_cloud.emulator import Emulator, ManualClock

from .conftest import emu_env, ok_json

A10, A100 = "gpu_1x_a10", "gpu_1x_a100_sxm4"
KEY = "hunt-key"
#: Emulator seconds each wait for capacity moves the clock on.
STEP = 10.0
LAUNCH = ("instances", "launch", "--ssh-key", KEY, "--poll-interval", "0.01")

Launch = Callable[..., Result]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1000.0)


@pytest.fixture
def emu(clock: ManualClock) -> Iterator[Emulator]:
    with Emulator(clock=clock, seed=3, capacity={}) as emulator:
        with LambdaCloud(api_key=emulator.api_key, base_url=emulator.base_url) as client:
            client.ssh_keys.create(KEY)
        yield emulator


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch, clock: ManualClock) -> list[dict[str, Any]]:
    """What the CLI passed ``launch_many``; each wait for capacity moves the clock ``STEP``."""
    seen: list[dict[str, Any]] = []
    original = Instances.launch_many

    def spy(self: Instances, count: int, **kwargs: Any) -> BulkLaunchReport:
        seen.append(kwargs)
        display = kwargs["on_progress"]

        def on_progress(event: ProgressEvent) -> None:
            display(event)
            if event.kind is ProgressKind.WAITING_FOR_CAPACITY:
                clock.advance(STEP)

        return original(self, count, **{**kwargs, "on_progress": on_progress})

    monkeypatch.setattr(Instances, "launch_many", spy)
    return seen


@pytest.fixture
def launch(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> Launch:
    # The hunt's polls would otherwise be paced by the API's 1 request/s limit.
    monkeypatch.setattr(
        "lambda_cloud.LambdaCloud", functools.partial(LambdaCloud, rate_limits=None)
    )

    def invoke(*args: str) -> Result:
        result = CliRunner().invoke(cli, [*args], env=emu_env(emu))
        assert emu.api_key not in result.output and "Traceback" not in result.output
        return result

    return invoke


def test_types_in_order_hunting_until_capacity_shows_up(
    launch: Launch, emu: Emulator, calls: list[dict[str, Any]]
) -> None:
    emu.set_capacity(A100, "us-west-2", 1)
    emu.schedule_capacity([(3 * STEP, A10, "us-east-1", 2)])
    args = ("--type", A10, "--type", A100, "--count", "3", "--hunt", "60", "--hunt-poll", "0.001")
    result = launch(*LAUNCH, *args)
    assert result.exit_code == 0, result.output
    [call] = calls
    assert call["instance_type_names"] == (A10, A100)
    assert call["hunt"] == Hunt(timeout=60.0, poll_interval=0.001)
    # Three polls found nothing: said once, as it did not change.
    assert result.stderr.count(f"waiting for capacity: {A10} or {A100}\n") == 1
    assert f"capacity found: {A10} in us-east-1\n" in result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split("\t") == ["SLOT", "ID", "NAME", "TYPE", "REGION", "STATUS"]
    emulated = {i["id"]: i for i in emu.instances()}
    shown = [row.split("\t") for row in rows]
    assert [r[0] for r in shown] == ["0", "1", "2"]
    for _, instance_id, _, kind, region, _ in shown:
        assert emulated[instance_id]["instance_type"]["name"] == kind
        assert emulated[instance_id]["region"]["name"] == region
    assert sorted((r[3], r[4]) for r in shown) == [
        (A10, "us-east-1"),
        (A10, "us-east-1"),
        (A100, "us-west-2"),
    ]


def test_json_report_names_each_slots_type_and_the_hunt(
    launch: Launch, emu: Emulator, calls: list[dict[str, Any]]
) -> None:
    emu.schedule_capacity([(STEP, A100, "us-south-1", 1)])
    report = ok_json(
        launch(
            "-o",
            "json",
            *LAUNCH,
            "--type",
            A10,
            "--type",
            A100,
            "--hunt",
            "60",
            "--hunt-poll",
            "0.001",
        )
    )
    assert report["instance_type_names"] == [A10, A100]
    assert report["hunted"] > 0
    [instance] = report["instances"]
    assert (instance["instance_type_name"], instance["region"]) == (A100, "us-south-1")


def test_a_hunt_that_times_out_fails_every_slot(
    launch: Launch, emu: Emulator, calls: list[dict[str, Any]]
) -> None:
    result = launch(*LAUNCH, "--type", A10, "--count", "2", "--hunt", "0.2", "--hunt-poll", "0.01")
    assert result.exit_code == 1
    assert result.stderr.count(f"waiting for capacity: {A10}\n") == 1
    assert "capacity found" not in result.stderr
    assert "SLOT\tERROR" in result.stdout.splitlines()
    assert result.stdout.count("CapacityExhaustedError") == 2
    assert emu.launch_attempts() == []  # it never probed with launches
    assert len(calls) == 1


def test_a_spend_limit_refusal_says_the_figures_and_launches_nothing(
    launch: Launch, emu: Emulator, calls: list[dict[str, Any]]
) -> None:
    emu.set_capacity(A100, "us-west-2", 5)
    result = launch(
        *LAUNCH, "--type", A10, "--type", A100, "--count", "3", "--max-hourly-cost", "3.00"
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-2:] == [
        f"Error: spend limit: 3 x {A100} at $1.29/h would cost $3.87/h, over "
        "--max-hourly-cost $3.00/h.",
        "  Nothing was launched.",
    ]
    assert calls[0]["max_hourly_cost_cents"] == 300
    assert emu.launch_attempts() == [] and emu.instances() == []
    fits = launch(
        "-o", "json", *LAUNCH, "--type", A100, "--count", "3", "--max-hourly-cost", "$3.87"
    )
    assert ok_json(fits)["ok"] is True
    assert calls[1]["max_hourly_cost_cents"] == 387
    # What the account runs now counts against the ceiling too.
    more = launch(*LAUNCH, "--type", A10, "--max-hourly-cost", "$4.50")
    assert more.exit_code == 1
    assert more.stderr.splitlines()[-2] == (
        f"Error: spend limit: 1 x {A10} at $0.75/h would cost $0.75/h on top of $3.87/h "
        "already running or reserved, over --max-hourly-cost $4.50/h."
    )


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("--max-hourly-cost", "abc"), "is not an amount of dollars"),
        (("--max-hourly-cost", "0"), "is not a whole number of cents, at least $0.01"),
        (("--max-hourly-cost", "0.001"), "is not a whole number of cents"),
        (("--max-hourly-cost", "-5"), "is not a whole number of cents"),
        (("--max-hourly-cost", "inf"), "is not a whole number of cents"),
        (("--hunt", "0"), "Invalid value for '--hunt'"),
        (("--hunt", "5", "--hunt-poll", "0"), "Invalid value for '--hunt-poll'"),
        (("--hunt-poll", "1"), "--hunt-poll needs --hunt TIMEOUT"),
    ],
)
def test_bad_hunt_and_cost_options_are_usage_errors_before_anything_is_sent(
    launch: Launch, emu: Emulator, args: tuple[str, ...], error: str
) -> None:
    result = launch(*LAUNCH, "--type", A10, *args)
    assert result.exit_code == 2
    assert error in result.stderr
    assert "Run id:" not in result.stderr
    assert emu.launch_attempts() == []


def _event(kind: ProgressKind, done: int = 0, **fields: Any) -> ProgressEvent:
    return ProgressEvent(kind=kind, phase=Phase.LAUNCHING, done=done, total=2, **fields)


def test_plain_progress_says_a_hunts_repeated_waits_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    tracker = Tracker(Output(Mode.PLAIN), None)
    for _ in range(3):
        tracker(_event(ProgressKind.WAITING_FOR_CAPACITY, waiting_for=(A10,)))
    tracker(_event(ProgressKind.CAPACITY_FOUND, instance_type_name=A10, region="us-east-1"))
    tracker(_event(ProgressKind.WAITING_FOR_CAPACITY, waiting_for=(A10,)))
    assert capsys.readouterr().err.splitlines() == [
        f"launching [0/2] waiting for capacity: {A10}",
        f"launching [0/2] capacity found: {A10} in us-east-1",
        f"launching [0/2] waiting for capacity: {A10}",
    ]


def test_the_live_bar_shows_what_the_hunt_is_doing() -> None:
    progress = Progress(console=Console(file=io.StringIO(), force_terminal=True))
    tracker = Tracker(Output(Mode.TABLE), progress)
    [task] = progress.tasks

    tracker(_event(ProgressKind.WAITING_FOR_CAPACITY, waiting_for=(A10, A100)))
    tracker(_event(ProgressKind.WAITING_FOR_CAPACITY, waiting_for=(A10, A100)))
    assert task.description == f"launching   (waiting for capacity: {A10} or {A100})"
    tracker(_event(ProgressKind.CAPACITY_FOUND, instance_type_name=A100, region="us-west-2"))
    tracker(_event(ProgressKind.LAUNCHED, 1, instance_type_name=A100, region="us-west-2"))
    assert task.description == f"launching   launched 1 (capacity found: {A100} in us-west-2)"
    assert (task.completed, task.total) == (1, 2)
    assert tracker.counts == {"launched": 1}  # polls are not counted as progress
