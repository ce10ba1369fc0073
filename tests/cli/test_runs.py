"""``instances launch`` run ids, ``instances find-run`` and ``instances reclaim``, in-process."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from lambda_cloud._sync._generated.instances import Instances
from lambda_cloud.bulk import (
    BulkLaunchReport,
    LaunchedInstance,
    SlotFailure,
    UnresolvedLaunchError,
)
from lambda_cloud.cli.runs import interrupted_lines
from lambda_cloud.emulator import Emulator

from .conftest import KEY_NAME, Run, ok_json

A10 = "gpu_1x_a10"
FAST = ("--poll-interval", "0.01")


def _launch(run: Run, *args: str) -> dict[str, object]:
    return ok_json(
        run("-o", "json", "instances", "launch", "--type", A10, "--ssh-key", KEY_NAME, *FAST, *args)
    )


@pytest.fixture
def clean(run: Run, cli_emu: Emulator) -> Iterator[None]:
    yield
    for instance in cli_emu.instances():
        if instance["status"] not in ("terminating", "terminated"):
            run("instances", "terminate", instance["id"], "--yes")


def _live(emu: Emulator) -> list[str]:
    return [i["id"] for i in emu.instances() if i["status"] not in ("terminating", "terminated")]


@pytest.mark.usefixtures("clean")
def test_the_run_id_comes_first_and_is_the_one_given(run: Run, cli_emu: Emulator) -> None:
    result = run(
        "instances", "launch", "--type", A10, "--ssh-key", KEY_NAME, "--run-id", "nightly-7"
    )
    assert result.exit_code == 0, result.output
    first, *rest = result.stderr.splitlines()
    assert first == (
        "Run id: nightly-7 (to clean up after a crash: lambda-cloud instances reclaim nightly-7)"
    )
    assert rest[0].startswith("launching [1/1] launched slot 0")
    tagged = [
        t["value"]
        for i in cli_emu.instances()
        for t in i.get("tags") or ()
        if t["key"] == "lambda-cloud-launch-token"
    ]
    assert "nightly-7/0" in tagged


@pytest.mark.usefixtures("clean")
def test_a_random_run_id_by_default(run: Run) -> None:
    report = _launch(run)
    assert re.fullmatch(r"[0-9a-f]{16}", str(report["run_id"]))


def test_a_bad_run_id_is_a_usage_error_before_anything_is_sent(run: Run, cli_emu: Emulator) -> None:
    before = {i["id"] for i in cli_emu.instances()}
    bad = run("instances", "launch", "--type", A10, "--ssh-key", KEY_NAME, "--run-id", "a b")
    assert bad.exit_code == 2
    assert "Invalid value for '--run-id': expected 1 to 32 letters" in bad.stderr
    assert "Run id:" not in bad.stderr
    assert {i["id"] for i in cli_emu.instances()} <= before  # nothing launched
    assert run("instances", "find-run", "x" * 33).exit_code == 2
    assert run("instances", "reclaim", "no/slash", "--yes").exit_code == 2


@pytest.mark.parametrize(
    ("flag", "value", "refusal"),
    [
        ("--ssh-key", "cli-kye", "--ssh-key: no SSH key is named 'cli-kye' (did you mean "),
        ("--ssh-key", "nokey", "see `lambda-cloud ssh-keys list`"),
        ("--type", "gpu_1x_a1O", "--type: no instance type is named 'gpu_1x_a1O' (did you "),
        ("--region", "us-est-1", "--region: no region is named 'us-est-1' (did you mean "),
        ("--file-system", "datsets", "--file-system: no file system is named 'datsets'"),
    ],
)
def test_launch_names_are_checked_before_anything_is_sent(
    run: Run, cli_emu: Emulator, flag: str, value: str, refusal: str
) -> None:
    options = {"--type": A10, "--ssh-key": KEY_NAME, "--count": "3", flag: value}
    attempts = len(cli_emu.account().launch_attempts)
    result = run("instances", "launch", *(x for pair in options.items() for x in pair))
    assert result.exit_code == 2
    assert refusal in result.stderr
    assert "Run id:" not in result.stderr
    assert len(cli_emu.account().launch_attempts) == attempts  # no launch was sent


def test_no_run_id_for_a_run_refused_unsent(run: Run, cli_emu: Emulator) -> None:
    attempts = len(cli_emu.account().launch_attempts)
    refused = run(
        "instances", "launch", "--type", A10, "--ssh-key", KEY_NAME, "--max-hourly-cost", "0.01"
    )
    assert refused.exit_code == 1 and "spend limit" in refused.stderr
    assert "Run id:" not in refused.output
    assert len(cli_emu.account().launch_attempts) == attempts


@pytest.mark.usefixtures("clean")
def test_find_run_then_reclaim_keeping_one(run: Run, cli_emu: Emulator) -> None:
    report = _launch(run, "--count", "3", "--run-id", "crashed", "--name", "rc")
    ids = [i["id"] for i in report["instances"]]  # type: ignore[attr-defined]
    found = ok_json(run("-o", "json", "instances", "find-run", "crashed"))
    assert [i["id"] for i in found] == ids  # by slot
    header, *rows = run("instances", "find-run", "crashed").stdout.splitlines()
    assert header.startswith("SLOT\tID\tNAME\t")
    assert [row.split("\t")[:3] for row in rows] == [
        [str(n), i, f"rc-{n}"] for n, i in enumerate(ids)
    ]
    assert ok_json(run("-o", "json", "instances", "find-run", "other")) == []

    refused = run("instances", "reclaim", "crashed", "--keep", ids[0], input="n\n")
    assert refused.exit_code == 1
    assert "Terminating 2 instance(s), $1.50/h in all:" in refused.stderr
    assert f"  {ids[1]}  rc-1  {A10}" in refused.stderr
    assert ids[0] not in refused.stderr
    assert "Terminate them? [y/N]" in refused.stderr
    assert set(ids) <= set(_live(cli_emu))

    accepted = run("-o", "json", "instances", "reclaim", "crashed", "--keep", ids[0], input="y\n")
    outcomes = ok_json(accepted)["outcomes"]
    assert sorted(outcomes) == sorted(ids[1:])
    assert "terminating [2/2]" in accepted.stderr
    assert [i["id"] for i in ok_json(run("-o", "json", "instances", "find-run", "crashed"))] == [
        ids[0]
    ]

    done = ok_json(run("-o", "json", "instances", "reclaim", "crashed", "--yes", "--wait"))
    assert done["outcomes"] == {ids[0]: "terminated"}
    again = run("instances", "reclaim", "crashed", "--yes")
    assert again.exit_code == 0
    assert "Nothing to reclaim: run crashed has no live instances." in again.stderr


@pytest.mark.usefixtures("clean")
def test_settle_timeout_and_run_id_reach_launch_many(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[dict[str, Any]] = []
    original = Instances.launch_many

    def spy(self: Instances, count: int, **kwargs: Any) -> BulkLaunchReport:
        seen.append(kwargs)
        return original(self, count, **kwargs)

    monkeypatch.setattr(Instances, "launch_many", spy)
    report = _launch(run, "--settle-timeout", "7.5", "--run-id", "spied")
    assert report["run_id"] == "spied"
    assert [(k["settle_timeout"], k["run_id"]) for k in seen] == [(7.5, "spied")]
    assert (
        run(
            "instances", "launch", "--type", A10, "--ssh-key", KEY_NAME, "--settle-timeout", "-1"
        ).exit_code
        == 2
    )


def test_interrupted_lines_say_what_was_terminated_and_what_is_left() -> None:
    def launched(slot: int) -> LaunchedInstance:
        return LaunchedInstance(
            id=f"i{slot}",
            slot=slot,
            token=f"r/{slot}",
            region="us-west-1",
            instance_type_name="gpu_1x_a10",
        )

    report = BulkLaunchReport(
        run_id="r",
        instance_type_name=A10,
        requested=3,
        instances=[launched(0), launched(1)],
        terminated=["i0"],
        cancelled=True,
    )
    assert interrupted_lines(report) == [
        "Terminated: i0",
        "Still running: i1 (terminate: lambda-cloud instances reclaim r)",
    ]
    report.terminated.append("i1")
    assert interrupted_lines(report)[-1] == "Nothing this run launched is left running."
    lost = UnresolvedLaunchError("r/2", 60.0)
    report.failures.append(SlotFailure(slot=2, token="r/2", error=lost))
    assert interrupted_lines(report)[-1] == (
        "Launches of slots 2 may still create instances: later, run "
        "lambda-cloud instances reclaim r"
    )
