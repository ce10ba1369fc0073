"""``fabric-partitions create|update|delete``, in-process against the emulator."""

from __future__ import annotations

from lambda_cloud.emulator import Emulator

from .conftest import KEY_NAME, Run, ok_json


def test_create_rename_delete(run: Run, cli_emu: Emulator) -> None:
    created = ok_json(run("-o", "json", "fabric-partitions", "create", "training", "us-east-1"))
    assert created["name"] == "training" and created["region"]["name"] == "us-east-1"
    assert created["id"] in cli_emu.account().partitions
    renamed = ok_json(
        run("-o", "json", "fabric-partitions", "update", created["id"], "--name", "eval")
    )
    assert renamed["id"] == created["id"] and renamed["name"] == "eval"
    plain = run("fabric-partitions", "update", created["id"], "--name", "eval-2")
    assert plain.exit_code == 0 and "NAME\teval-2" in plain.stdout.splitlines()
    deleted = run("fabric-partitions", "delete", created["id"])
    assert deleted.exit_code == 0
    assert f"Deleted fabric partition {created['id']}." in deleted.stderr
    assert created["id"] not in cli_emu.account().partitions


def test_bad_names_are_usage_errors_and_in_use_partitions_stay(run: Run, cli_emu: Emulator) -> None:
    for bad in ("bad_name", "Upper", "x" * 33):
        refused = run("fabric-partitions", "create", bad, "us-east-1")
        assert refused.exit_code == 2 and "Error: name: " in refused.stderr
    assert run("fabric-partitions", "update", "abc").exit_code == 2  # --name is required
    part = ok_json(run("-o", "json", "fabric-partitions", "create", "busy", "us-west-1"))
    launched = ok_json(
        run(
            "-o",
            "json",
            "instances",
            "launch",
            "--type",
            "gpu_1x_a10",
            "--ssh-key",
            KEY_NAME,
            "--poll-interval",
            "0.01",
        )
    )
    instance_id = launched["instances"][0]["id"]
    cli_emu.assign_partition(instance_id, part["id"])
    try:
        refused = run("fabric-partitions", "delete", part["id"])
        assert refused.exit_code == 1
        assert "the partition has instances assigned to it" in refused.stderr
        assert part["id"] in cli_emu.account().partitions
    finally:
        assert run("instances", "terminate", instance_id, "--yes", "--wait").exit_code == 0
    assert run("fabric-partitions", "delete", part["id"]).exit_code == 0
