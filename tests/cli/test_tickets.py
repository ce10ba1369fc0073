"""``tickets ...`` and ``tickets attachments ...``, in-process against the emulator."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from lambda_cloud.emulator import Emulator
from lambda_cloud.emulator import attachments as emulated_attachments

from .conftest import Run, ok_json


def _open(run: Run, subject: str, *args: str, input: str | None = None) -> dict[str, str]:
    created: dict[str, str] = ok_json(
        run("-o", "json", "tickets", "create", subject, *args, input=input)
    )
    return created


def test_create_get_update_list(run: Run, cli_emu: Emulator) -> None:
    incident = _open(
        run,
        "GPU 3 missing",
        "--type",
        "incident",
        "--severity",
        "sev_2",
        "--description",
        "-",
        input="nvidia-smi shows 7 GPUs\n",
    )
    assert incident["status"] == "open" and incident["severity"] == "sev_2"
    request = _open(run, "More quota", "--type", "service_request", "--description", "please")
    assert request["type"] == "service_request" and "severity" not in request

    got = ok_json(run("-o", "json", "tickets", "get", incident["id"]))
    assert got["subject"] == "GPU 3 missing"
    assert got["description"] == "nvidia-smi shows 7 GPUs\n"

    updated = run("tickets", "update", incident["id"], "--comment", "rebooted", "--solved")
    assert updated.exit_code == 0
    assert f"Update of ticket {incident['id']} accepted." in updated.stderr
    got = ok_json(run("-o", "json", "tickets", "get", incident["id"]))
    assert got["status"] == "solved" and got["resolved_at"]
    assert [c["body"] for c in got["comments"]][-1] == "rebooted"

    plain = run("tickets", "get", incident["id"])
    assert plain.exit_code == 0
    assert "STATUS\tsolved" in plain.stdout.splitlines()
    assert "DESCRIPTION\tnvidia-smi shows 7 GPUs\\n" in plain.stdout.splitlines()  # escaped
    assert plain.stdout.splitlines()[-1].endswith("\trebooted")

    solved = ok_json(run("-o", "json", "tickets", "list", "--status", "solved"))
    assert incident["id"] in [t["id"] for t in solved]
    assert request["id"] not in [t["id"] for t in solved]
    service = ok_json(run("-o", "json", "tickets", "list", "--type", "service_request"))
    assert request["id"] in [t["id"] for t in service]


def test_list_follows_pages_up_to_the_limit(run: Run, cli_emu: Emulator) -> None:
    for n in range(3):
        _open(run, f"paged {n}", "--type", "service_request", "--description", "x")
    kept = cli_emu.tickets_page_size
    cli_emu.tickets_page_size = 2
    try:
        everything = ok_json(run("-o", "json", "tickets", "list", "--limit", "1000"))
        two = ok_json(run("-o", "json", "tickets", "list", "--limit", "2"))
        oldest = ok_json(run("-o", "json", "tickets", "list", "--direction", "asc", "--limit", "1"))
    finally:
        cli_emu.tickets_page_size = kept
    assert len(everything) >= 3 and len({t["id"] for t in everything}) == len(everything)
    assert [t["id"] for t in two] == [t["id"] for t in everything[:2]]
    assert oldest[0]["id"] == everything[-1]["id"]


def test_bad_ticket_input_is_a_usage_error(run: Run) -> None:
    no_severity = run("tickets", "create", "x", "--type", "incident", "--description", "y")
    assert no_severity.exit_code == 2 and "severity: required for an incident" in no_severity.stderr
    assert run("tickets", "create", "x", "--type", "bogus", "--description", "y").exit_code == 2
    assert run("tickets", "update", "0" * 32).exit_code == 2  # nothing to update
    missing = run("tickets", "get", "0" * 32)
    assert missing.exit_code == 1 and missing.stderr.startswith("Error: ")


def test_attachments_upload_list_download_delete(run: Run, tmp_path: Path) -> None:
    ticket = _open(run, "logs", "--type", "service_request", "--description", "attached")
    log = tmp_path / "dmesg.log"
    log.write_bytes(b"NVRM: Xid 79, GPU has fallen off the bus\n")
    attached = ok_json(
        run("-o", "json", "tickets", "attachments", "upload", ticket["id"], str(log))
    )
    assert attached["filename"] == "dmesg.log" and attached["upload_status"] == "uploaded"
    assert attached["size_bytes"] == log.stat().st_size
    listed = ok_json(run("-o", "json", "tickets", "attachments", "list", ticket["id"]))
    assert [a["id"] for a in listed] == [attached["id"]]

    url = run("tickets", "attachments", "download-url", ticket["id"], attached["id"])
    assert url.exit_code == 0 and "Valid for " in url.stderr
    with urllib.request.urlopen(url.stdout.strip(), timeout=10) as response:
        assert response.read() == log.read_bytes()
    link = ok_json(
        run("-o", "json", "tickets", "attachments", "download-url", ticket["id"], attached["id"])
    )
    assert set(link) == {"download_url", "expires_in"}

    named = run(
        "tickets", "attachments", "upload", ticket["id"], str(log), "--filename", "renamed.txt"
    )
    assert named.exit_code == 0 and "FILENAME\trenamed.txt" in named.stdout.splitlines()

    deleted = run("tickets", "attachments", "delete", ticket["id"], attached["id"])
    assert deleted.exit_code == 0 and f"Deleted attachment {attached['id']}." in deleted.stderr
    left = ok_json(run("-o", "json", "tickets", "attachments", "list", ticket["id"]))
    assert [a["filename"] for a in left] == ["renamed.txt"]
    gone = ok_json(
        run("-o", "json", "tickets", "attachments", "list", ticket["id"], "--status", "deleted")
    )
    assert [a["id"] for a in gone] == [attached["id"]]
    missing = run("tickets", "attachments", "upload", ticket["id"], str(tmp_path / "nope"))
    assert missing.exit_code == 2


def test_a_download_url_is_printed_without_control_characters(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = _open(run, "odd url", "--type", "service_request", "--description", "x")
    log = tmp_path / "a.log"
    log.write_bytes(b"x\n")
    attached = ok_json(
        run("-o", "json", "tickets", "attachments", "upload", ticket["id"], str(log))
    )
    evil = "https://files.example/a\x1b]52;c;ZXZpbA==\x07b?sig=\x1b[2J1"
    monkeypatch.setattr(emulated_attachments, "_storage_url", lambda origin, token: evil)
    args = ("tickets", "attachments", "download-url", ticket["id"], attached["id"])
    assert run(*args).stdout == "https://files.example/ab?sig=1\n"
    assert ok_json(run("-o", "json", *args))["download_url"] == evil  # JSON is exact
