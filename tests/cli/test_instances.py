"""``instances ...`` and ``cost``, in-process against the emulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result

from lambda_cloud import LambdaCloud
from lambda_cloud._sync._generated.instances import Instances
from lambda_cloud.cli import cli
from lambda_cloud.emulator import Emulator, ManualClock

from .conftest import KEY_NAME, PUBLIC_KEY, Run, emu_env, ok_json

A10 = "gpu_1x_a10"
FAST = ("--poll-interval", "0.01")


@pytest.fixture
def launched(run: Run, cli_emu: Emulator) -> Iterator[dict[str, object]]:
    report = ok_json(
        run(
            "-o",
            "json",
            "instances",
            "launch",
            "--type",
            A10,
            "--ssh-key",
            KEY_NAME,
            "--count",
            "2",
            "--name",
            "job",
            "--wait",
            *FAST,
        )
    )
    yield report
    for instance in cli_emu.instances():
        if instance["status"] not in ("terminating", "terminated"):
            run("instances", "terminate", instance["id"], "--yes")


def test_launch_reports_every_instance_active(
    launched: dict[str, object], cli_emu: Emulator
) -> None:
    instances = launched["instances"]
    assert isinstance(instances, list) and len(instances) == 2
    assert launched["ok"] is True and launched["run_id"] and launched["failures"] == []
    assert [i["name"] for i in instances] == ["job-0", "job-1"]
    assert all(i["status"] == "active" for i in instances)
    emulated = {i["id"]: i["status"] for i in cli_emu.instances()}
    assert all(emulated[i["id"]] == "active" for i in instances)


def test_launch_plain_output_prints_run_id_and_progress_lines(run: Run) -> None:
    result = run("instances", "launch", "--type", A10, "--ssh-key", KEY_NAME, "--name", "plain")
    assert result.exit_code == 0, result.output
    assert "Run id: " in result.stderr
    assert "[1/1] launched slot 0" in result.stderr
    header, row = result.stdout.splitlines()
    assert header.split("\t") == ["SLOT", "ID", "NAME", "TYPE", "REGION", "STATUS"]
    assert row.split("\t")[2:4] == ["plain-0", A10]
    instance_id = row.split("\t")[1]
    assert run("instances", "terminate", instance_id, "-y").exit_code == 0


def test_list_get_rename_restart_wait(run: Run, launched: dict[str, object]) -> None:
    ids = [i["id"] for i in launched["instances"]]  # type: ignore[attr-defined]
    listed = ok_json(run("-o", "json", "instances", "list"))
    assert set(ids) <= {i["id"] for i in listed}
    got = ok_json(run("-o", "json", "instances", "get", ids[0]))
    assert got["id"] == ids[0] and got["instance_type"]["name"] == A10
    renamed = ok_json(run("-o", "json", "instances", "rename", ids[0], "renamed"))
    assert renamed["name"] == "renamed"
    restarted = ok_json(run("-o", "json", "instances", "restart", ids[1]))
    assert [i["id"] for i in restarted] == [ids[1]]
    waited = ok_json(run("-o", "json", "instances", "wait", *ids, *FAST))
    assert sorted(i["id"] for i in waited) == sorted(ids)
    assert all(i["status"] == "active" for i in waited)


def test_cost_sums_running_instances(
    run: Run, launched: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    types = ok_json(run("-o", "json", "types"))
    price = next(
        t["instance_type"]["price_cents_per_hour"]
        for t in types
        if t["instance_type"]["name"] == A10
    )
    assert ok_json(run("-o", "json", "cost")) == {"price_cents_per_hour": 2 * price}
    assert ok_json(run("-o", "json", "cost", "--by-type")) == {
        "price_cents_per_hour": 2 * price,
        "instances": 2,
        "by_type": [{"instance_type_name": A10, "instances": 2, "price_cents_per_hour": 2 * price}],
    }
    assert run("cost").stdout.splitlines() == ["PRICE", "$1.50/h"]
    assert run("cost", "--by-type").stdout.splitlines() == [
        "TYPE\tCOUNT\tPRICE",
        f"{A10}\t2\t$1.50/h",
        "total\t2\t$1.50/h",
    ]
    # The total is the SDK's own sum: the command has no cost logic of its own.
    monkeypatch.setattr(Instances, "hourly_cost_cents", lambda self: 12345)
    assert run("cost").stdout.splitlines() == ["PRICE", "$123.45/h"]


def test_terminate_asks_first_and_no_means_nothing_is_terminated(
    run: Run, launched: dict[str, object], cli_emu: Emulator
) -> None:
    refused = run("instances", "terminate", "--name-prefix", "job", input="n\n")
    assert refused.exit_code == 1
    assert "Terminating 2 instance(s), $1.50/h in all:" in refused.stderr
    assert "Terminate them? [y/N]" in refused.stderr
    assert all(i["status"] == "active" for i in cli_emu.instances())
    accepted = run("-o", "json", "instances", "terminate", "--name-prefix", "job", input="y\n")
    outcomes = ok_json(accepted)["outcomes"]
    ids = [i["id"] for i in launched["instances"]]  # type: ignore[attr-defined]
    assert sorted(outcomes) == sorted(ids)
    assert set(outcomes.values()) <= {"terminating", "terminated"}
    assert "[2/2] terminating" in accepted.stderr


def test_terminate_all_with_yes_and_wait(run: Run, launched: dict[str, object]) -> None:
    result = run("-o", "json", "instances", "terminate", "--all", "--yes", "--wait", *FAST)
    assert set(ok_json(result)["outcomes"].values()) == {"terminated"}
    assert ok_json(run("-o", "json", "cost")) == {"price_cents_per_hour": 0}
    nothing = run("instances", "terminate", "--all", "--yes")
    assert nothing.exit_code == 0 and "Nothing to terminate." in nothing.stderr


def test_get_and_terminate_take_names() -> None:
    # The clock never moves: a terminated instance stays terminating, and listed, throughout.
    with Emulator(clock=ManualClock(), seed=5) as emu:
        with LambdaCloud(api_key=emu.api_key, base_url=emu.base_url, rate_limits=None) as client:
            client.ssh_keys.create(KEY_NAME, PUBLIC_KEY)

        def run(*args: str) -> Result:
            return CliRunner().invoke(cli, list(args), env=emu_env(emu))

        launch = ("instances", "launch", "--type", A10, "--ssh-key", KEY_NAME, "--count", "2")
        report = ok_json(run("-o", "json", *launch, "--name", "job"))
        ids = [i["id"] for i in report["instances"]]
        assert ok_json(run("-o", "json", "instances", "get", "job-1"))["id"] == ids[1]
        unknown = run("instances", "get", "job-9")
        assert unknown.exit_code == 1
        assert "no instance has the id or name 'job-9' (did you mean" in unknown.stderr
        assert run("instances", "get", "0" * 32).exit_code == 1

        terminated = ok_json(run("-o", "json", "instances", "terminate", "job-1", "--yes"))
        assert list(terminated["outcomes"]) == [ids[1]]
        status = {i["id"]: i["status"] for i in emu.instances()}
        assert status == {ids[0]: "booting", ids[1]: "terminating"}
        again = run("instances", "terminate", "job-1", "--yes")  # the name still finds it
        assert again.exit_code == 0
        assert f"Instance {ids[1]} is already terminating." in again.stderr
        assert "Nothing to terminate." in again.stderr


def test_terminate_refuses_unknown_or_ambiguous_names_before_terminating(
    run: Run, launched: dict[str, object], cli_emu: Emulator
) -> None:
    ids = [i["id"] for i in launched["instances"]]  # type: ignore[attr-defined]
    unknown = run("instances", "terminate", "job-0", "trainer-2", "--yes")
    assert unknown.exit_code == 1 and "'trainer-2'" in unknown.stderr
    missing_id = run("instances", "terminate", "f" * 32, "--yes")
    assert missing_id.exit_code == 1
    assert run("instances", "rename", ids[1], "job-0").exit_code == 0
    ambiguous = run("instances", "terminate", "job-0", "--yes")
    assert ambiguous.exit_code == 2 and "2 instances are named 'job-0'" in ambiguous.stderr
    status = {i["id"]: i["status"] for i in cli_emu.instances()}
    assert [status[i] for i in ids] == ["active", "active"]  # nothing was terminated


def test_terminate_needs_exactly_one_selection(run: Run) -> None:
    assert run("instances", "terminate").exit_code == 2
    assert run("instances", "terminate", "abc", "--all").exit_code == 2


def test_a_failed_launch_exits_1_with_the_reason(run: Run, cli_emu: Emulator) -> None:
    region = "us-west-1"
    kept = cli_emu.capacity(A10, region)
    cli_emu.set_capacity(A10, region, 0)
    try:
        result = run(
            "instances",
            "launch",
            "--type",
            A10,
            "--ssh-key",
            KEY_NAME,
            "--region",
            region,
            # Fails on the refusal, not the deadline: room for a loaded machine.
            "--timeout",
            "60",
        )
    finally:
        cli_emu.set_capacity(A10, region, kept)
    assert result.exit_code == 1
    assert "CapacityExhaustedError" in result.stdout  # the failures table
    assert result.stderr.splitlines()[-1] == (
        "Error: BulkLaunchError: 1 of 1 slots failed (1 CapacityExhaustedError)"
    )
