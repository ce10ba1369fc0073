"""``lambda-cloud instances launch --expires-in``, ``reap`` and ``cost --since``."""

from __future__ import annotations

import datetime

import pytest

from lambda_cloud.emulator import Emulator
from lambda_cloud.lifecycle import parse_duration

from .conftest import KEY_NAME, Run, ok_json

OWNER = {"LAMBDA_CLOUD_OWNER": "cli-reaper"}


def later(hours: float) -> str:
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=hours)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def launch(run: Run, *args: str) -> list[str]:
    result = run(
        "-o", "json", "instances", "launch", "--type", "gpu_1x_a10", "--ssh-key", KEY_NAME,
        *args, env=OWNER,
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
