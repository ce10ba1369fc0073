"""The fleet description: checked when made, read from TOML and JSON, written back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest

from lambda_cloud import Hunt, ValidationError
from lambda_cloud.fleets import Fleet, fleet_name_of, fleet_run_id, load_fleet

TOML = """
name = "trainers"
count = 4
min_count = 2
instance_type_names = ["gpu_1x_a100_sxm4", "gpu_1x_a10"]
ssh_key_names = ["laptop"]
region_names = ["us-east-1", "us-west-1"]
max_hourly_cost_cents = 600
expires_in = "8h"
unhealthy_timeout = "5m"

[hunt]
timeout = "1h"
poll_interval = 10
"""


def test_a_toml_file_describes_a_fleet_and_json_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "fleet.toml"
    path.write_text(TOML)
    fleet = load_fleet(path)
    assert fleet == Fleet(
        name="trainers",
        count=4,
        min_count=2,
        instance_type_names=("gpu_1x_a100_sxm4", "gpu_1x_a10"),
        ssh_key_names=("laptop",),
        region_names=("us-east-1", "us-west-1"),
        max_hourly_cost_cents=600,
        expires_in=8 * 3600,
        unhealthy_timeout=300,
        hunt=Hunt(timeout=3600, poll_interval=10),
    )
    assert fleet.run_id == "fleet-trainers" and fleet.prefix == "trainers" and fleet.floor == 2
    json_path = tmp_path / "fleet.json"
    json_path.write_text(fleet.to_json())
    assert load_fleet(json_path) == fleet
    assert Fleet.from_dict(fleet.to_dict()) == fleet
    assert "boot_timeout" not in fleet.to_dict()  # the defaults stay out


def test_lists_become_tuples_and_evolve_checks_again() -> None:
    fleet = Fleet(name="a", count=1, instance_type_names=["t"], ssh_key_names=["k"])
    assert fleet.instance_type_names == ("t",)
    with pytest.raises(ValidationError, match="min_count"):
        attrs.evolve(fleet, min_count=2)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "x" * 27}, "name"),
        ({"name": "a/b"}, "name"),
        ({"count": -1}, "count"),
        ({"count": 10_001}, "count"),
        ({"count": True}, "count"),
        ({"instance_type_names": []}, "instance_type_names"),
        ({"instance_type_names": "gpu"}, "instance_type_names"),
        ({"ssh_key_names": ["a", "b"]}, "ssh_key_names"),
        ({"region_names": [""]}, "region_names"),
        ({"max_hourly_cost_cents": 0}, "max_hourly_cost_cents"),
        ({"hunt": {"timeout": 1}}, "hunt"),
        ({"expires_in": -5}, "expires_in"),
        ({"unhealthy_timeout": float("nan")}, "unhealthy_timeout"),
        ({"boot_timeout": "soon"}, "boot_timeout"),
        ({"name_prefix": "x" * 64}, "name_prefix"),
    ],
)
def test_a_bad_field_is_named(change: dict[str, Any], field: str) -> None:
    fields: dict[str, Any] = {
        "name": "web",
        "count": 2,
        "instance_type_names": ["gpu_1x_a10"],
        "ssh_key_names": ["k"],
        **change,
    }
    with pytest.raises(ValidationError) as caught:
        Fleet(**fields)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("text", "suffix", "match"),
    [
        (
            'name = "a"\ncount = 1\ninstance_type_names = ["t"]\nssh_key_names = ["k"]\nsize = 2',
            ".toml",
            "unknown field",
        ),
        (
            'name = "a"\ncount = 1\ninstance_type_name = ["t"]\nssh_key_names = ["k"]',
            ".toml",
            r"instance_type_name \(did you mean instance_type_names\?\)",
        ),
        (
            '{"name": "a", "count": 1, "instance_type_names": ["t"], "ssh_key_names": ["k"], '
            '"count": 9}',
            ".json",
            "fleet: key\\(s\\) given twice: count",
        ),
        ('name = "a"', ".toml", "required"),
        ("name = ", ".toml", "not valid TOML"),
        ("[1, 2]", ".json", "expected a table"),
        ("{}", ".yaml", "a .toml or .json file"),
        (
            '{"name": "a", "count": 1, "instance_type_names": ["t"], "ssh_key_names": ["k"], '
            '"expires_in": "tomorrow"}',
            ".json",
            "not a duration",
        ),
    ],
)
def test_a_bad_file_is_refused(tmp_path: Path, text: str, suffix: str, match: str) -> None:
    path = tmp_path / f"fleet{suffix}"
    path.write_text(text)
    with pytest.raises(ValidationError, match=match):
        load_fleet(path)


def test_run_ids_name_their_fleet() -> None:
    assert fleet_run_id("web") == "fleet-web"
    assert fleet_name_of("fleet-web") == "web"
    assert fleet_name_of("web") is None and fleet_name_of("fleet-") is None
    with pytest.raises(ValidationError):
        load_fleet(Path("/no/such/fleet.toml"))


def test_a_limit_turned_off_stays_off_through_a_file(tmp_path: Path) -> None:
    """``None`` (never replace for it) is not the default: written as "never", not left out,
    or the file read back would replace unhealthy and slow-booting members after all."""
    fleet = Fleet(
        name="a",
        count=1,
        instance_type_names=["t"],
        ssh_key_names=["k"],
        unhealthy_timeout=None,
        boot_timeout=None,
    )
    assert fleet.to_dict()["unhealthy_timeout"] == fleet.to_dict()["boot_timeout"] == "never"
    assert Fleet.from_dict(fleet.to_dict()) == fleet
    path = tmp_path / "a.json"
    path.write_text(fleet.to_json())
    assert load_fleet(path) == fleet
    toml = tmp_path / "a.toml"
    toml.write_text(
        'name = "a"\ncount = 1\ninstance_type_names = ["t"]\nssh_key_names = ["k"]\n'
        'boot_timeout = "never"\n'
    )
    assert load_fleet(toml) == attrs.evolve(fleet, unhealthy_timeout=300)
