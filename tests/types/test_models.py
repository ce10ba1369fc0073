"""Parsing the new models from JSON shaped like the spec's examples, without a server."""

from __future__ import annotations

import datetime

import pytest

from lambda_cloud import (
    AuditEvent,
    Filesystem,
    FirewallRule,
    FirewallRuleset,
    GlobalFirewallRuleset,
    Image,
    ImageArchitecture,
    NetworkProtocol,
    UserStatus,
)
from lambda_cloud._converter import parse_datetime, structure

UTC = datetime.timezone.utc
REGION = {"name": "us-west-1", "description": "California, USA"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-09-15T10:30:45.123456Z", datetime.datetime(2025, 9, 15, 10, 30, 45, 123456, UTC)),
        ("2025-09-15T10:30:45Z", datetime.datetime(2025, 9, 15, 10, 30, 45, tzinfo=UTC)),
        ("2025-09-15T10:30:45.1z", datetime.datetime(2025, 9, 15, 10, 30, 45, 100000, UTC)),
        ("2025-09-15T10:30:45.123456789Z", datetime.datetime(2025, 9, 15, 10, 30, 45, 123456, UTC)),
        ("2025-09-15T10:30:45", datetime.datetime(2025, 9, 15, 10, 30, 45, tzinfo=UTC)),
        ("2025-09-15T12:30:45+02:00", datetime.datetime(2025, 9, 15, 10, 30, 45, tzinfo=UTC)),
        ("2025-09-15T05:30:45-0500", datetime.datetime(2025, 9, 15, 10, 30, 45, tzinfo=UTC)),
    ],
)
def test_parse_datetime(text: str, expected: datetime.datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed == expected and parsed.tzinfo is not None


def test_filesystem() -> None:
    fs = structure(
        {
            "id": "398578a2336b49079e74043f0bd2cfe8",
            "name": "my-filesystem",
            "mount_point": "/lambda/nfs/my-filesystem",
            "created": "2023-02-24T20:48:56+00:00",
            "created_by": {"id": "u1", "email": "me@example.com", "status": "suspended"},
            "is_in_use": True,
            "region": REGION,
            "unknown_new_field": 1,
        },
        Filesystem,
    )
    assert fs.created == datetime.datetime(2023, 2, 24, 20, 48, 56, tzinfo=UTC)
    assert fs.bytes_used is None
    assert fs.created_by.status == "suspended" and not fs.created_by.status.is_known
    assert UserStatus("active") is UserStatus.ACTIVE


def test_image_keeps_an_unknown_architecture() -> None:
    image = structure(
        {
            "id": "43336648-096d-4cba-9aa2-f9bb7727639d",
            "created_time": "2024-01-01T00:00:00Z",
            "updated_time": "2024-01-02T00:00:00Z",
            "name": "ubuntu-24.04.01",
            "description": "Ubuntu LTS",
            "family": "ubuntu-lts",
            "version": "24.04.01",
            "architecture": "riscv64",
            "region": REGION,
        },
        Image,
    )
    assert image.architecture == "riscv64" and image.architecture not in list(ImageArchitecture)


def test_firewall_models() -> None:
    rules = [
        {
            "protocol": "tcp",
            "port_range": [22, 22],
            "source_network": "0.0.0.0/0",
            "description": "",
        },
        {"protocol": "icmp", "source_network": "1.2.3.4", "description": "ping"},
    ]
    ruleset = structure(
        {
            "id": "0920582c7ff041399e34823a0be62548",
            "name": "web",
            "region": REGION,
            "rules": rules,
            "created": "2024-01-01T00:00:00.5Z",
            "instance_ids": ["i1"],
        },
        FirewallRuleset,
    )
    assert ruleset.rules[0] == FirewallRule(
        protocol=NetworkProtocol.TCP, port_range=(22, 22), source_network="0.0.0.0/0"
    )
    assert ruleset.rules[1].port_range is None
    assert ruleset.created.microsecond == 500000
    # A live server was seen adding a field to the global ruleset: it is ignored.
    global_ruleset = structure(
        {"id": "global", "name": "Global", "rules": rules, "workspace_id": "w"},
        GlobalFirewallRuleset,
    )
    assert global_ruleset.rules == ruleset.rules


def test_audit_event() -> None:
    event = structure(
        {
            "service_name": "cloud",
            "resource_name": "api_key",
            "action": "created",
            "catalog_version": "2025-09-06",
            "event_id": "0123456789abcdef0123456789abcdef",
            "event_time": "2025-09-15T10:30:45.123456Z",
            "actor_lrn": None,
            "resource_lrns": ["lrn:cloud:api_key:ffeeddccbbaa99887766554433221100"],
            "resource_owner_lrn": "lrn:cloud:account:fedcba9876543210fedcba9876543210",
            "request_api_key_lrn": None,
            "additional_details": {"api_key_lrn": "lrn:cloud:api_key:ff"},
        },
        AuditEvent,
    )
    assert event.event_time == datetime.datetime(2025, 9, 15, 10, 30, 45, 123456, UTC)
    assert event.resource_type == "cloud.api_key"
    assert event.actor_lrn is None
