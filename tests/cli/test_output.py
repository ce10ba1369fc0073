"""What reaches the terminal: server text without control characters (JSON exact), tables that
keep ids and IPs whole, and ``-o`` after the subcommand as well as before it."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from rich.console import Console

from lambda_cloud.bulk import Phase, ProgressEvent, ProgressKind
from lambda_cloud.cli.output import Mode, Output, clean
from lambda_cloud.cli.progress import Tracker, track
from lambda_cloud.emulator import Emulator, Fault

from .conftest import KEY_NAME, Run, ok_json

#: A name that writes the clipboard (OSC 52), clears the screen and colours (CSI, 7- and 8-bit).
EVIL = "ev\x1b]52;c;ZXZpbA==\x07il\x1b[2J\x9b31m\r\x00-box"
#: What may remain of it: the text, with no control character at all.
SHOWN = "evil-box"
#: Control characters, but for the newlines and tabs that lay plain output out.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.fixture
def evil(run: Run, cli_emu: Emulator) -> Iterator[str]:
    """An instance whose name, as the server gives it, carries escape sequences."""
    launched = ok_json(
        run("-o", "json", "instances", "launch", "--type", "gpu_1x_a10", "--ssh-key", KEY_NAME)
    )
    instance_id: str = launched["instances"][0]["id"]
    cli_emu.account().instances[instance_id].name = EVIL
    yield instance_id
    run("instances", "terminate", instance_id, "--yes")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a\x1b]52;c;ZXZpbA==\x07b", "ab"),  # OSC, BEL-terminated
        ("a\x1b]8;;http://x\x1b\\b", "ab"),  # OSC, ST-terminated
        ("a\x1b[31;1mb\x1b[0m", "ab"),  # CSI
        ("a\x9d52;c;Zg==\x9cb\x9b2Jc", "abc"),  # 8-bit OSC and CSI
        ("a\x1b(Bb\x1b", "ab"),  # a short escape; a lone ESC
        ("tab\tnew\nline\r\x00\x7f\x85", "tabnewline"),
        ("1.2.3.4; touch x ü 日本", "1.2.3.4; touch x ü 日本"),  # printable text stays
    ],
)
def test_clean_removes_escape_sequences_and_control_characters(text: str, shown: str) -> None:
    assert clean(text) == shown


@pytest.mark.parametrize("mode", ["table", "plain"])
def test_server_text_is_shown_without_control_characters(run: Run, evil: str, mode: str) -> None:
    for args in (["instances", "list"], ["instances", "get", evil]):
        result = run("-o", mode, *args, env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        assert not CONTROL.search(result.stdout), repr(result.stdout)
        assert SHOWN in result.stdout
    asked = run("-o", mode, "instances", "terminate", evil, input="n\n")
    assert asked.exit_code == 1  # answered no
    assert not CONTROL.search(asked.stderr) and f"{evil}  {SHOWN}  gpu_1x_a10" in asked.stderr


def test_json_output_keeps_server_text_exact(run: Run, evil: str) -> None:
    result = run("-o", "json", "instances", "get", evil)
    assert not CONTROL.search(result.stdout)  # JSON escapes them
    assert ok_json(result)["name"] == EVIL


def test_the_live_bar_shows_server_text_cleaned_and_unstyled() -> None:
    output = Output(Mode.TABLE)
    screen = io.StringIO()
    output.err = Console(file=screen, force_terminal=True, width=200)
    with track(output) as tracker:
        assert isinstance(tracker, Tracker)
        tracker(
            ProgressEvent(
                kind=ProgressKind.CAPACITY_FOUND,
                phase=Phase.LAUNCHING,
                done=0,
                total=1,
                instance_type_name="gpu\x1b]52;c;ZXZpbA==\x07_1x",
                region="[link=https://x.example]us-east-1[/link]",
            )
        )
    shown = screen.getvalue()
    assert "capacity found: gpu_1x in [link=https://x.example]us-east-1[/link]" in shown
    assert "\x1b]" not in shown  # neither the server's OSC 52 nor a hyperlink made of markup


def test_error_messages_from_the_server_are_cleaned(run: Run, cli_emu: Emulator) -> None:
    cli_emu.faults.add(
        Fault(
            kind="status",
            path="/regions",
            status=400,
            code="global/invalid-parameters",
            message="bad\x1b]52;c;ZXZpbA==\x07 thing\x1b[2J",
            times=1,
        )
    )
    result = run("regions")
    assert result.exit_code == 1
    assert result.stderr == "Error: global/invalid-parameters: bad thing\n"


@pytest.mark.parametrize("columns", ["80", "100"])
def test_table_ids_and_ips_never_wrap(run: Run, cli_emu: Emulator, evil: str, columns: str) -> None:
    ip = next(i["ip"] for i in cli_emu.instances() if i["id"] == evil)
    table = run("-o", "table", "instances", "list", env={"COLUMNS": columns}).stdout
    assert evil in table and ip in table
    assert all(len(line) <= int(columns) for line in table.splitlines())


def test_output_option_after_the_subcommand(run: Run) -> None:
    before = ok_json(run("-o", "json", "regions"))
    assert ok_json(run("regions", "-o", "json")) == before
    assert ok_json(run("regions", "--output", "json")) == before
    nested = run("ssh-keys", "list", "-o", "plain")
    assert nested.exit_code == 0 and nested.stdout.startswith("ID\tNAME\t")
    # After the subcommand wins over before it: the nearer flag is the one meant.
    assert ok_json(run("-o", "plain", "regions", "-o", "json")) == before
    assert run("regions", "-o", "yaml").exit_code == 2
