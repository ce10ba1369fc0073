"""A handful of real runs: ``python -m lambda_cloud`` as a subprocess, and one in a pty."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pexpect

from lambda_cloud import LambdaCloud
from lambda_cloud.emulator import Emulator, ManualClock

from ..ctrl_c import hold_listings, press_ctrl_c_thrice
from .conftest import KEY_NAME, PUBLIC_KEY, emu_env


def _run(
    emu: Emulator, *args: str, path: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **emu_env(emu), "XDG_CONFIG_HOME": "/nonexistent", **(env or {})}
    if path is not None:
        env["PATH"] = path
    result = subprocess.run(
        [sys.executable, "-m", "lambda_cloud", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    for text in (result.stdout, result.stderr):
        assert emu.api_key not in text
        assert "\x1b" not in text  # not a terminal: no colour, no animation
        assert "Traceback" not in text
    return result


def test_exit_codes_and_plain_output(cli_emu: Emulator) -> None:
    listed = _run(cli_emu, "types", "--available")
    assert listed.returncode == 0 and listed.stdout.startswith("NAME\tGPUS\t")
    missing = _run(cli_emu, "instances", "rename", "0" * 32, "x")
    assert missing.returncode == 1 and missing.stderr.startswith("Error: global/object-does")
    assert _run(cli_emu, "instances", "launch").returncode == 2


def test_launch_then_ssh_runs_the_system_ssh(cli_emu: Emulator, tmp_path: Path) -> None:
    launched = _run(
        cli_emu,
        "-o",
        "json",
        "instances",
        "launch",
        "--type",
        "gpu_1x_a10",
        "--ssh-key",
        KEY_NAME,
        "--name",
        "proc",
        "--wait",
        "--poll-interval",
        "0.01",
    )
    assert launched.returncode == 0, launched.stderr
    report = json.loads(launched.stdout)
    assert f"Run id: {report['run_id']}" in launched.stderr
    ip = next(i["ip"] for i in cli_emu.instances() if i["id"] == report["instances"][0]["id"])
    record = tmp_path / "argv"
    fake = tmp_path / "bin" / "ssh"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}\nexit 3\n')
    fake.chmod(0o755)
    path = f"{fake.parent}{os.pathsep}{os.environ['PATH']}"
    printed = _run(cli_emu, "ssh", "proc-0", "--no-wait", "--print", path=path)
    assert printed.stdout == f"ssh ubuntu@{ip}\n"
    ran = _run(cli_emu, "ssh", "proc-0", "--no-wait", "-l", "root", "--", "uptime", "-p", path=path)
    assert ran.returncode == 3  # ssh's own status: the CLI exec'd it
    assert record.read_text().splitlines() == [f"root@{ip}", "uptime", "-p"]
    gone = _run(cli_emu, "instances", "terminate", "--name-prefix", "proc", "--yes")
    assert gone.returncode == 0


def test_progress_bar_advances_in_a_terminal(cli_emu: Emulator) -> None:
    env = {**os.environ, **emu_env(cli_emu), "XDG_CONFIG_HOME": "/nonexistent", "TERM": "xterm"}
    child = pexpect.spawn(
        sys.executable,
        [
            "-m",
            "lambda_cloud",
            "instances",
            "launch",
            "--type",
            "gpu_1x_a10",
            "--ssh-key",
            KEY_NAME,
            "--name",
            "tty",
            "--count",
            "3",
            "--wait",
            "--poll-interval",
            "0.01",
        ],
        env=env,
        encoding="utf-8",
        dimensions=(40, 160),
        timeout=60,
    )
    # The run id comes first; then each event redraws the bar: launching 1/3, 2/3, 3/3, then
    # waiting for active up to 3/3; then the summary table.
    child.expect(r"Run id: ([0-9a-f]{16}) ")
    run_id = child.match.group(1)
    for frame in (r"launching .*1/3", r"launching .*2/3", r"launching .*3/3", r"waiting .*3/3"):
        child.expect(frame)
    child.expect(f"Run {run_id}: launched 3 of 3 gpu_1x_a10")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert cli_emu.api_key not in (child.before or "")
    tty = [i for i in cli_emu.instances() if (i.get("name") or "").startswith("tty")]
    assert len(tty) == 3 and all(i["status"] == "active" for i in tty)
    done = _run(cli_emu, "instances", "terminate", "--name-prefix", "tty", "--yes")
    assert done.returncode == 0


def test_ctrl_c_during_a_launch_terminates_and_says_what_it_did() -> None:
    # The clock never moves, so the instance stays booting and --wait runs until interrupted.
    with Emulator(clock=ManualClock(), seed=3) as emu:
        with LambdaCloud(api_key=emu.api_key, base_url=emu.base_url, rate_limits=None) as client:
            client.ssh_keys.create(KEY_NAME, PUBLIC_KEY)
        env = {**os.environ, **emu_env(emu), "XDG_CONFIG_HOME": "/nonexistent"}
        argv = ["--type", "gpu_1x_a10", "--ssh-key", KEY_NAME, "--wait", "--poll-interval", "0.01"]
        child = subprocess.Popen(
            [sys.executable, "-m", "lambda_cloud", "instances", "launch", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            assert child.stderr is not None
            seen = [child.stderr.readline()]
            while "launched slot 0" not in seen[-1]:
                seen.append(child.stderr.readline())
            child.send_signal(signal.SIGINT)
            out, err = child.communicate(timeout=60)
        finally:
            if child.poll() is None:
                child.kill()
        err = "".join(seen) + err
        assert child.returncode == 130, err
        assert emu.api_key not in err + out and "Traceback" not in err
        (launched,) = emu.instances()
        assert launched["status"] == "terminating"
    assert "Interrupted: cancelling the call and waiting for it to clean up" in err
    assert "Interrupted: launch_many cancelled: 1 launched, 1 terminated, 0 kept." in err
    assert f"Terminated: {launched['id']}" in err
    assert "Nothing this run launched is left running." in err
    assert out.splitlines()[1].split("\t")[:2] == ["0", launched["id"]]  # the report's table


def test_a_third_ctrl_c_during_the_cleanup_still_terminates_and_reports() -> None:
    """Issue 17: a third Ctrl-C during the cleanup left every instance running and said
    nothing. Now the third cuts the cleanup down to the terminate requests, and the command
    says what it did."""
    with Emulator(time_scale=0.001, seed=17) as emu:
        with LambdaCloud(api_key=emu.api_key, base_url=emu.base_url, rate_limits=None) as client:
            client.ssh_keys.create(KEY_NAME, PUBLIC_KEY)
        held = hold_listings(emu)
        env = {**os.environ, **emu_env(emu), "XDG_CONFIG_HOME": "/nonexistent"}
        argv = ["--type", "gpu_1x_a10", "--region", "us-west-1", "--ssh-key", KEY_NAME]
        child = subprocess.Popen(
            [sys.executable, "-m", "lambda_cloud", "instances", "launch", *argv, "--count", "3"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            seen = press_ctrl_c_thrice(child, held)
            out, err = child.communicate(timeout=60)
        finally:
            if child.poll() is None:
                child.kill()
        err = seen + err
        launched = emu.instances(include_gone=True)
    assert child.returncode == 130, err
    assert emu.api_key not in err + out
    assert "Traceback" not in err and "RuntimeError" not in err, err
    assert len(launched) == 3
    assert all(i["status"] in ("terminating", "terminated") for i in launched), launched
    assert "cancelled a third time" in err
    assert "Interrupted: launch_many cancelled: 3 launched, 3 terminated, 0 kept." in err
    (terminated,) = [line for line in err.splitlines() if line.startswith("Terminated: ")]
    assert sorted(terminated.removeprefix("Terminated: ").split(", ")) == sorted(
        i["id"] for i in launched
    )
    assert "Nothing this run launched is left running." in err


def test_a_closed_pipe_ends_quietly_with_0(cli_emu: Emulator) -> None:
    """``lambda-cloud regions | head``: the reader goes away; here it has gone before the
    first line, so every run meets the closed pipe."""
    env = {**os.environ, **emu_env(cli_emu), "XDG_CONFIG_HOME": "/nonexistent"}
    for mode in ("plain", "table"):
        read, write = os.pipe()
        os.close(read)
        try:
            result = subprocess.run(
                [sys.executable, "-m", "lambda_cloud", "-o", mode, "regions"],
                stdout=write,
                stderr=subprocess.PIPE,
                env=env,
                timeout=60,
                check=False,
            )
        finally:
            os.close(write)
        assert (result.returncode, result.stderr) == (0, b""), mode


def test_a_base_url_without_api_v1_is_a_one_line_warning(cli_emu: Emulator) -> None:
    root = cli_emu.base_url.removesuffix("/api/v1")
    result = _run(cli_emu, "--base-url", root, "regions")
    assert result.stderr.splitlines()[0] == (
        f"Warning: base_url {root!r} does not end in '/api/v1': every API path is appended to it"
    )
    assert "UserWarning" not in result.stderr and ".py" not in result.stderr


def test_configure_reads_a_piped_key_without_a_warning(cli_emu: Emulator, tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "lambda_cloud", "configure", "--profile", "piped"],
        input=cli_emu.api_key + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
        start_new_session=True,  # no controlling terminal: getpass cannot turn echo off
    )
    assert result.returncode == 0, result.stderr
    assert (
        result.stderr == f"Saved profile 'piped' to {tmp_path / 'lambda-cloud' / 'config.toml'}\n"
    )
    listed = _run(cli_emu, "--profile", "piped", "regions", env={"XDG_CONFIG_HOME": str(tmp_path)})
    assert listed.returncode == 0


def test_escape_sequences_from_the_server_never_reach_a_terminal(cli_emu: Emulator) -> None:
    launched = _run(
        cli_emu,
        "-o",
        "json",
        "instances",
        "launch",
        "--type",
        "gpu_1x_a10",
        "--ssh-key",
        KEY_NAME,
    )
    instance_id = json.loads(launched.stdout)["instances"][0]["id"]
    cli_emu.account().instances[instance_id].name = "ev\x1b]52;c;ZXZpbA==\x07il\x1b[2J"
    env = {**os.environ, **emu_env(cli_emu), "XDG_CONFIG_HOME": "/nonexistent", "TERM": "xterm"}
    try:
        child = pexpect.spawn(
            sys.executable,
            ["-m", "lambda_cloud", "instances", "get", instance_id],
            env=env,
            encoding="utf-8",
            dimensions=(40, 160),
            timeout=60,
        )
        child.expect(pexpect.EOF)
        child.close()
        shown = child.before or ""
        assert child.exitstatus == 0, shown
        assert "evil" in shown
        assert "\x1b]" not in shown and "ZXZpbA" not in shown and "\x1b[2J" not in shown
    finally:
        _run(cli_emu, "instances", "terminate", instance_id, "--yes")
