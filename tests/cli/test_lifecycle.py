"""``lambda-cloud instances launch --expires-in``, ``reap`` and ``cost --since``."""

from __future__ import annotations

import datetime

import pytest

import lambda_cloud.cli.lifecycle
from lambda_cloud.emulator import Emulator, Fault
from lambda_cloud.lifecycle import parse_duration

from .conftest import KEY_NAME, Run, ok_json

OWNER = {"LAMBDA_CLOUD_OWNER": "cli-reaper"}


def later(hours: float) -> str:
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=hours)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def launch(run: Run, *args: str, env: dict[str, str] = OWNER) -> list[str]:
    result = run(
        "-o", "json", "instances", "launch", "--type", "gpu_1x_a10", "--ssh-key", KEY_NAME,
        *args, env=env,
    )  # fmt: skip
    return [i["id"] for i in ok_json(result)["instances"]]


def test_reap_is_a_dry_run_until_told_yes(run: Run, cli_emu: Emulator) -> None:
    ids = launch(run, "--count", "2", "--expires-in", "1h")
    kept = launch(run, "--expires-in", "30m")[0]
    launch(run)  # no expiry: never reaped
    dry = run("reap", "--as-of", later(2), "--keep", kept, env=OWNER)
    assert dry.exit_code == 0, dry.output
    lines = dry.stdout.splitlines()
    assert lines[0].split("\t") == ["ID", "NAME", "TYPE", "OWNER", "EXPIRED", "PRICE"]
    assert sorted(line.split("\t")[0] for line in lines[1:3]) == sorted(ids)
    assert all(line.split("\t")[3] == "cli-reaper" and "/h" in line for line in lines[1:3])
    assert "Dry run" in dry.stderr and kept in dry.stderr
    statuses = {i["id"]: i["status"] for i in cli_emu.instances()}
    assert all(statuses[i] != "terminating" for i in [*ids, kept])

    shown = ok_json(run("-o", "json", "reap", "--as-of", later(2), "--keep", kept, env=OWNER))
    assert shown["dry_run"] is True and shown["outcomes"] is None
    assert sorted(e["id"] for e in shown["expired"]) == sorted(ids)
    assert [e["id"] for e in shown["kept"]] == [kept]

    done = ok_json(
        run("-o", "json", "reap", "--yes", "--as-of", later(2), "--keep", kept, env=OWNER)
    )
    assert sorted(done["outcomes"]) == sorted(ids)
    others = ok_json(run("-o", "json", "reap", "--as-of", later(2), "--owner", "someone-else"))
    assert others["expired"] == []


def test_cost_since_sums_by_run(run: Run) -> None:
    ids = launch(run, "--count", "2", "--run-id", "cost-run")
    data = ok_json(run("-o", "json", "cost", "--since", "1h", "--by", "run"))
    group = next(g for g in data["groups"] if g["key"] == "cost-run")
    assert group["instances"] == 2 and group["running_cents_per_hour"] > 0
    assert data["group_by"] == "run" and data["running_cents_per_hour"] >= 2 * 1
    table = run("cost", "--since", "1h", "--by", "instance")
    assert table.exit_code == 0, table.output
    assert table.stdout.splitlines()[0].split("\t") == [
        "INSTANCE", "INSTANCES", "SPENT", "RUNNING NOW"
    ]  # fmt: skip
    assert all(i in table.stdout for i in ids)
    assert run("cost", "--by-type").exit_code == 0  # the hourly view is unchanged
    assert run("cost", "--since", "7d", "--by-type").exit_code == 2


@pytest.mark.parametrize("args", [["--expires-in", "4x"], ["--expires-in", "0h"]])
def test_a_bad_duration_is_a_usage_error(run: Run, args: list[str]) -> None:
    result = run("instances", "launch", "--type", "gpu_1x_a10", "--ssh-key", KEY_NAME, *args)
    assert result.exit_code == 2 and "duration" in result.stderr


def test_deleting_a_file_system_is_once_not_watched(run: Run) -> None:
    result = run("reap", "--watch", "10m", "--delete-file-system", "abc")
    assert result.exit_code == 2 and "--watch" in result.stderr


def test_durations() -> None:
    assert parse_duration("90") == datetime.timedelta(seconds=90)
    assert parse_duration("1h30m") == datetime.timedelta(minutes=90)
    assert parse_duration("7d") == datetime.timedelta(days=7)
    for bad in ("", "h", "4x", "-1h", "1h x"):
        with pytest.raises(ValueError):
            parse_duration(bad)


class Rounds:
    """Stands in for ``reap --watch``'s ``time``: records each wait between passes, and after
    ``passes`` passes interrupts it (as Ctrl-C would), so the number of passes is fixed."""

    def __init__(self, passes: int) -> None:
        self.passes = passes
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        if len(self.waits) >= self.passes:
            raise KeyboardInterrupt


WATCHER = {"LAMBDA_CLOUD_OWNER": "cli-watcher"}


def test_reap_watch_carries_on_after_a_failed_pass(
    run: Run, cli_emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    (iid,) = launch(run, "--expires-in", "1h", env=WATCHER)
    rounds = Rounds(passes=2)
    monkeypatch.setattr(lambda_cloud.cli.lifecycle, "time", rounds)
    # A network blip outlasting the client's retries (3 attempts): the first pass fails.
    blip = cli_emu.faults.add(
        Fault(kind="reset_before_commit", method="GET", path="/instances", times=3)
    )
    try:
        result = run("reap", "--watch", "10m", "--as-of", later(2), env=WATCHER)
    finally:
        cli_emu.faults.remove(blip)
    assert blip.fired == 3
    assert result.exit_code == 130, result.output
    assert rounds.waits == [600.0, 600.0]
    failed = [line for line in result.stderr.splitlines() if "Reap failed" in line]
    assert len(failed) == 1 and "APIConnectionError" in failed[0], result.stderr
    assert "trying again next round" in failed[0]
    # The second pass went through: it shows the expired instance.
    assert [line.split("\t")[0] for line in result.stdout.splitlines()[1:]] == [iid]
    assert "Stopped reaping" in result.stderr


@pytest.mark.parametrize(
    ("status", "code"), [(401, "global/invalid-api-key"), (403, "global/account-inactive")]
)
def test_reap_watch_ends_on_a_refused_key(
    run: Run, cli_emu: Emulator, monkeypatch: pytest.MonkeyPatch, status: int, code: str
) -> None:
    rounds = Rounds(passes=2)
    monkeypatch.setattr(lambda_cloud.cli.lifecycle, "time", rounds)
    refused = cli_emu.faults.add(
        Fault(kind="status", status=status, code=code, method="GET", path="/instances", times=1)
    )
    try:
        result = run("reap", "--yes", "--watch", "10m", env=WATCHER)
    finally:
        if refused.fired == 0:
            cli_emu.faults.remove(refused)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"Error: {code}: "), result.stderr
    assert "Reap failed" not in result.stderr
    assert rounds.waits == []  # no second pass: it would be refused the same way
