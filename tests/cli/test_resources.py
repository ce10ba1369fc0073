"""Every read-mostly command, in-process, its JSON parsed and checked."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from lambda_cloud._sync._generated.instance_types import InstanceTypes
from lambda_cloud.emulator import Emulator
from lambda_cloud.types.instance_types import InstanceTypesItem

from .conftest import KEY_NAME, PUBLIC_KEY, Run, ok_json


def test_types_sorted_by_price_with_filters(run: Run) -> None:
    everything = ok_json(run("-o", "json", "types"))
    prices = [t["instance_type"]["price_cents_per_hour"] for t in everything]
    assert prices == sorted(prices) and len(prices) > 3
    h100 = ok_json(run("-o", "json", "types", "--gpu", "h100", "--min-gpus", "8"))
    assert h100 and all(
        "H100" in t["instance_type"]["gpu_description"] and t["instance_type"]["specs"]["gpus"] >= 8
        for t in h100
    )
    cheap = ok_json(run("-o", "json", "types", "--max-price", "1"))
    assert cheap and all(t["instance_type"]["price_cents_per_hour"] <= 100 for t in cheap)
    region = everything[0]["regions_with_capacity_available"][0]["name"]
    there = ok_json(run("-o", "json", "types", "--region", region, "--available"))
    assert there and all(
        region in [r["name"] for r in t["regions_with_capacity_available"]] for t in there
    )


def test_types_filters_are_find_s(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, Any]] = []
    original = InstanceTypes.find

    def spy(self: InstanceTypes, **kwargs: Any) -> list[InstanceTypesItem]:
        seen.append(kwargs)
        return original(self, **kwargs)

    monkeypatch.setattr(InstanceTypes, "find", spy)
    args = ("--gpu", "A100", "--gpus", "8", "--max-price", "$20.5", "--region", "us-east-1")
    listed = ok_json(run("-o", "json", "types", *args, "--region", "us-west-1"))
    assert seen == [
        {
            "gpus": 8,
            "min_gpus": None,
            "gpu_name": "A100",
            "max_price_cents_per_hour": 2050,
            "regions": ("us-east-1", "us-west-1"),
            "available_only": True,  # a region asked for is a region with capacity
        }
    ]
    assert [t["instance_type"]["name"] for t in listed] == ["gpu_8x_a100_80gb_sxm4"]
    for t in listed:
        kind = t["instance_type"]
        assert kind["specs"]["gpus"] == 8 and "A100" in kind["gpu_description"]
        assert kind["price_cents_per_hour"] <= 2050
        shown = {r["name"] for r in t["regions_with_capacity_available"]}
        assert shown and shown <= {"us-east-1", "us-west-1"}
    ok_json(run("-o", "json", "types"))
    assert seen[-1]["available_only"] is False  # without filters, every type


def test_bad_types_filters_are_usage_errors(run: Run) -> None:
    both = run("types", "--gpus", "1", "--min-gpus", "1")
    assert both.exit_code == 2 and "give --gpus or --min-gpus, not both" in both.stderr
    cheap = run("types", "--max-price", "0.001")
    assert cheap.exit_code == 2 and "is not a whole number of cents" in cheap.stderr
    assert run("types", "--max-price", "two").exit_code == 2
    assert run("types", "--gpus", "-1").exit_code == 2
    for args in (["types", "--region", "us-est-1"], ["images", "--region", "us-est-1"]):
        typo = run(*args)
        assert typo.exit_code == 2 and typo.stdout == ""
        assert "no region is named 'us-est-1' (did you mean " in typo.stderr
        assert "'us-east-1'" in typo.stderr


def test_types_plain_output_is_tab_separated(run: Run) -> None:
    result = run("types", "--gpu", "A10")
    assert result.exit_code == 0
    header, *rows = result.stdout.splitlines()
    assert header.split("\t") == ["NAME", "GPUS", "GPU", "PRICE", "REGIONS WITH CAPACITY"]
    assert rows and all(row.count("\t") == 4 and "$" in row for row in rows)


def test_regions_and_images(run: Run) -> None:
    regions = ok_json(run("-o", "json", "regions"))
    assert {"name", "description"} <= set(regions[0])
    name = regions[0]["name"]
    images = ok_json(run("-o", "json", "images", "--region", name))
    assert images and all(i["region"]["name"] == name for i in images)


def test_ssh_keys_add_list_delete(run: Run, tmp_path: Path) -> None:
    public = tmp_path / "k.pub"
    public.write_text(PUBLIC_KEY.replace("me@cli", "other@cli") + "\n")
    added = ok_json(run("-o", "json", "ssh-keys", "add", "added-key", str(public)))
    assert added["name"] == "added-key" and added["public_key"].endswith("other@cli")
    names = [k["name"] for k in ok_json(run("-o", "json", "ssh-keys", "list"))]
    assert {"added-key", KEY_NAME} <= set(names)
    assert run("ssh-keys", "delete", added["id"]).exit_code == 0
    names = [k["name"] for k in ok_json(run("-o", "json", "ssh-keys", "list"))]
    assert "added-key" not in names


def test_ssh_keys_add_refuses_a_private_or_binary_key_unsent(run: Run, tmp_path: Path) -> None:
    private = tmp_path / "id_ed25519"
    private.write_text(
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
        "-----END OPENSSH PRIVATE KEY-----\n"
    )
    binary = tmp_path / "key.bin"
    binary.write_bytes(b"\x00\xff\xfe\x9f")
    before = ok_json(run("-o", "json", "ssh-keys", "list"))
    refused = run("ssh-keys", "add", "leak", str(private))
    assert refused.exit_code == 2
    assert f"{private} holds a private key" in refused.stderr
    assert "b3BlbnNzaC1rZXktdjEAAAAA" not in refused.output
    garbled = run("ssh-keys", "add", "garbled", str(binary))
    assert garbled.exit_code == 2 and f"{binary} is not text" in garbled.stderr
    assert ok_json(run("-o", "json", "ssh-keys", "list")) == before  # nothing was sent


def test_ssh_keys_generate_writes_the_private_key_to_a_0600_file_only(
    run: Run, tmp_path: Path
) -> None:
    target = tmp_path / "gen.pem"
    result = run("-o", "json", "ssh-keys", "generate", "gen-key", "-f", str(target))
    data = ok_json(result)
    private = target.read_text()
    assert "PRIVATE KEY" in private
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert data["private_key_file"] == str(target) and "private_key" not in data
    assert private.strip() not in result.output
    # Never overwritten: a second run refuses before asking the API for a key.
    again = run("ssh-keys", "generate", "gen-key-2", "-f", str(target))
    assert again.exit_code == 2 and target.read_text() == private


def test_file_systems_create_list_delete(run: Run, cli_emu: Emulator) -> None:
    region = ok_json(run("-o", "json", "regions"))[0]["name"]
    created = ok_json(run("-o", "json", "file-systems", "create", "cli-fs", region))
    assert created["name"] == "cli-fs" and created["region"]["name"] == region
    listed = ok_json(run("-o", "json", "file-systems", "list"))
    assert created["id"] in [f["id"] for f in listed]
    assert run("file-systems", "delete", created["id"]).exit_code == 0
    assert created["id"] not in [
        f["id"] for f in ok_json(run("-o", "json", "file-systems", "list"))
    ]


def test_firewall_rules_and_rulesets(run: Run) -> None:
    rules = ok_json(
        run(
            "-o",
            "json",
            "firewall",
            "rules",
            "set",
            "--rule",
            "tcp:22:0.0.0.0/0:ssh",
            "--rule",
            "icmp::10.0.0.0/8",
        )
    )
    assert rules == ok_json(run("-o", "json", "firewall", "rules", "list"))
    assert {
        "protocol": "tcp",
        "source_network": "0.0.0.0/0",
        "port_range": [22, 22],
        "description": "ssh",
    } in rules
    region = ok_json(run("-o", "json", "regions"))[0]["name"]
    created = ok_json(
        run(
            "-o",
            "json",
            "firewall",
            "rulesets",
            "create",
            "web",
            region,
            "--rule",
            "tcp:8000-8080:0.0.0.0/0",
        )
    )
    assert created["rules"][0]["port_range"] == [8000, 8080]
    got = ok_json(run("-o", "json", "firewall", "rulesets", "get", created["id"]))
    assert got["name"] == "web"
    assert created["id"] in [
        r["id"] for r in ok_json(run("-o", "json", "firewall", "rulesets", "list"))
    ]
    assert "rules" in ok_json(run("-o", "json", "firewall", "rulesets", "global"))
    assert run("firewall", "rulesets", "delete", created["id"]).exit_code == 0
    bad = run("firewall", "rules", "set", "--rule", "tcp:ssh:0.0.0.0/0")
    assert bad.exit_code == 2 and "ports must be N or N-M" in bad.stderr


def test_audit_events(run: Run) -> None:
    events = ok_json(run("-o", "json", "audit-events", "--start", "2020-01-01", "--limit", "5"))
    assert 1 <= len(events) <= 5  # the fixture created a key: at least that is recorded
    assert all({"event_id", "action", "event_time"} <= set(e) for e in events)
