"""``lambda-cloud fleet plan|apply|status|list|delete``, in-process against the emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambda_cloud.emulator import Emulator

from .conftest import KEY_NAME, Run, ok_json

FLEET = f"""
name = "cli"
count = 3
min_count = 2
instance_type_names = ["gpu_1x_a10"]
ssh_key_names = ["{KEY_NAME}"]
"""


@pytest.fixture
def spec(tmp_path: Path) -> str:
    path = tmp_path / "cli.toml"
    path.write_text(FLEET)
    return str(path)


def _live(emu: Emulator) -> list[str]:
    return [
        i["id"]
        for i in emu.instances()
        if i["status"] not in ("terminating", "terminated", "preempted")
        and any(t["value"].startswith("fleet-cli/") for t in i.get("tags") or ())
    ]


def test_plan_apply_status_list_delete(run: Run, cli_emu: Emulator, spec: str) -> None:
    plan = ok_json(run("-o", "json", "fleet", "plan", spec))
    assert [c["slot"] for c in plan["launch"]] == [0, 1, 2] and not plan["converged"]
    assert _live(cli_emu) == []  # a plan changes nothing

    shown = run("fleet", "plan", spec)
    assert shown.exit_code == 0
    assert shown.stdout.splitlines()[0] == "ACTION\tSLOT\tREASON\tID\tTYPE\tREGION\tDETAIL"
    assert shown.stdout.splitlines()[1].startswith("launch\t0\tmissing")

    applied = run("fleet", "apply", spec)
    assert applied.exit_code == 0, applied.output
    assert "launching [3/3] launched" in applied.stderr  # the progress of instances launch
    assert "fleet cli: 3 live of 3" in applied.stderr
    live = _live(cli_emu)
    assert len(live) == 3

    again = ok_json(run("-o", "json", "fleet", "apply", spec))
    assert (
        again["converged"] and again["launched"] is None and sorted(again["live"]) == sorted(live)
    )
    quiet = run("fleet", "plan", spec)
    assert "Nothing to do." in quiet.stderr
    other_type = Path(spec).with_name("a6000.toml")
    other_type.write_text(FLEET.replace("gpu_1x_a10", "gpu_1x_a6000"))
    warned = run("fleet", "plan", str(other_type))
    assert "terminates 3 running member(s) (replace, terminate)" in warned.stderr
    assert [r.split("\t")[2] for r in warned.stdout.splitlines()[1:]] == ["mismatched"] * 3
    for region in ("us-west-1", "us-midwest-1", "asia-south-1"):
        cli_emu.set_capacity("gpu_1x_a6000", region, 0)
    deferred = run("fleet", "plan", str(other_type))
    assert "terminates" not in deferred.stderr
    assert [r.split("\t")[0] for r in deferred.stdout.splitlines()[1:]] == ["defer"] * 3
    data = ok_json(run("-o", "json", "fleet", "plan", str(other_type)))
    assert not data["replace"] and not data["converged"] and data["launch_count"] == 0
    assert [c["detail"].rpartition("; ")[2] for c in data["deferred"]] == [
        "kept: no capacity for its replacement"
    ] * 3

    status = ok_json(run("-o", "json", "fleet", "status", "cli"))
    assert status["live"] == 3 and [m["slot"] for m in status["members"]] == [0, 1, 2]
    assert [f["name"] for f in ok_json(run("-o", "json", "fleet", "list"))] == ["cli"]
    table = run("fleet", "list")
    assert table.stdout.splitlines()[1].startswith("cli\t3\t")
    assert table.stdout.splitlines()[1].endswith("\t$2.25/h")

    refused = run("fleet", "delete", "cli", input="n\n")
    assert refused.exit_code == 1 and len(_live(cli_emu)) == 3
    deleted = run("fleet", "delete", "cli", "--yes", "--wait")
    assert deleted.exit_code == 0, deleted.output
    assert _live(cli_emu) == []
    assert "Nothing to delete" in run("fleet", "delete", "cli", "--yes").stderr


def test_below_min_count_exits_1(run: Run, cli_emu: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "poor.toml"
    path.write_text(FLEET.replace('name = "cli"', 'name = "poor"') + "max_hourly_cost_cents = 75\n")
    result = run("fleet", "apply", str(path))
    assert result.exit_code == 1
    assert "1 live of 3 (min 2)" in result.stderr
    assert run("fleet", "delete", "poor", "--yes").exit_code == 0


def test_a_bad_file_is_a_usage_error(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(FLEET.replace("count = 3", 'count = "many"'))
    result = run("fleet", "plan", str(path))
    assert result.exit_code == 2
    assert "count" in result.stderr
    assert run("fleet", "status", "no/slash").exit_code == 2
