"""Errors, configuration, help and ``ssh``, in-process."""

from __future__ import annotations

import logging
import os
import socket
import stat
from pathlib import Path
from typing import Any

import click
import pytest

import lambda_cloud
from lambda_cloud import LambdaCloud
from lambda_cloud.cli import cli, connect
from lambda_cloud.emulator import Emulator

from .conftest import KEY_NAME, Run, ok_json


def test_api_error_is_two_lines_and_exit_1(run: Run) -> None:
    result = run("instances", "rename", "0" * 32, "x")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "Error: global/object-does-not-exist: Specified instance does not exist."
    assert len(lines) == 2 and lines[1].startswith("  ")  # the API's suggestion


def test_bad_input_and_usage_errors_exit_2(run: Run) -> None:
    assert run("instances", "get").exit_code == 2
    assert run("no-such-command").exit_code == 2
    invalid = run("instances", "launch", "--type", "nope", "--ssh-key", KEY_NAME)
    assert invalid.exit_code == 2 and "no instance type is named 'nope'" in invalid.stderr


def test_a_wrong_key_exits_1_and_is_not_echoed(run: Run) -> None:
    result = run("regions", env={"LAMBDA_API_KEY": "secret_wrong_0123456789"})
    assert result.exit_code == 1 and "invalid-api-key" in result.stderr
    assert "secret_wrong" not in result.output


def test_a_wrong_key_says_where_it_came_from(
    run: Run, cli_emu: Emulator, config_home: Path, tmp_path: Path
) -> None:
    wrong = "secret_wrong_0123456789"
    key_file = tmp_path / "key"
    key_file.write_text(wrong)
    path = config_home / "lambda-cloud" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text(f'[work]\napi_key = "{wrong}"\n[filed]\napi_key_file = "{key_file}"\n')
    path.chmod(0o600)
    no_env = {"LAMBDA_API_KEY": None}
    sources = {
        ("--api-key", wrong): "--api-key",
        ("--api-key-file", str(key_file)): f"--api-key-file {key_file}",
        ("--profile", "work"): f"profile 'work' in {path}",
        ("--profile", "filed"): f"api_key_file {key_file} of profile 'filed' in {path}",
    }
    for flags, source in sources.items():
        result = run(*flags, "regions", env=no_env)
        assert result.exit_code == 1, flags
        assert result.stderr.splitlines()[-1] == f"  The API key came from {source}.", flags
    from_env = run("regions", env={"LAMBDA_API_KEY": wrong})
    assert from_env.stderr.splitlines()[-1] == "  The API key came from $LAMBDA_API_KEY."
    assert wrong not in from_env.output


def test_a_binary_api_key_file_is_a_clear_error(run: Run, tmp_path: Path) -> None:
    binary = tmp_path / "key.bin"
    binary.write_bytes(b"\xff\xfe\x00\x9f binary")
    result = run("--api-key-file", str(binary), "regions", env={"LAMBDA_API_KEY": None})
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == f"Error: the API key file {binary} is not text"


def test_a_binary_profile_file_is_a_clear_error(run: Run, config_home: Path) -> None:
    path = config_home / "lambda-cloud" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xff\xfe\x00\x9f binary")
    path.chmod(0o600)
    result = run("regions", env={"LAMBDA_API_KEY": None})
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == f"Error: {path} is not text"


def test_a_remote_http_base_url_needs_allow_insecure_http(
    run: Run, cli_emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote = "http://lambda.internal/api/v1"
    refused = run("--base-url", remote, "regions")
    assert refused.exit_code == 2
    assert "(or pass --allow-insecure-http)" in refused.stderr
    assert "allow_insecure_http" not in refused.stderr  # the SDK's name, not an option here
    built: list[dict[str, object]] = []
    real = lambda_cloud.LambdaCloud  # the CLI imports it from the package as it builds one

    def spy(**kwargs: Any) -> LambdaCloud:
        built.append(kwargs)
        return real(**{**kwargs, "base_url": cli_emu.base_url})  # the emulator stands in

    monkeypatch.setattr(lambda_cloud, "LambdaCloud", spy)
    allowed = run("--allow-insecure-http", "--base-url", remote, "regions")
    assert allowed.exit_code == 0, allowed.output
    assert [(b["base_url"], b["allow_insecure_http"]) for b in built] == [(remote, True)]


def test_api_suggestions_name_commands_not_endpoints(run: Run) -> None:
    result = run("file-systems", "create", "data", "us-est-1")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[1] == "  Use `lambda-cloud regions` to see the regions."


def test_help_names_the_config_file_where_it_is(run: Run, config_home: Path) -> None:
    path = str(config_home / "lambda-cloud" / "config.toml")
    for args in (["--help"], ["configure", "--help"]):
        shown = run(*args).stdout
        assert path in shown and "~/.config" not in shown, args


def test_no_key_at_all_is_a_usage_error(run: Run) -> None:
    result = run("regions", env={"LAMBDA_API_KEY": None})
    assert result.exit_code == 2 and "no API key" in result.stderr


def test_api_key_file_and_api_key_flag(run: Run, cli_emu: Emulator, tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(cli_emu.api_key + "\n")
    from_file = run("--api-key-file", str(key_file), "regions", env={"LAMBDA_API_KEY": None})
    assert from_file.exit_code == 0
    flagged = run("--api-key", cli_emu.api_key, "regions", env={"LAMBDA_API_KEY": None})
    assert flagged.exit_code == 0 and "process list" in flagged.stderr


def test_profiles_from_the_config_file(run: Run, cli_emu: Emulator, config_home: Path) -> None:
    path = config_home / "lambda-cloud" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text(
        f'[work]\napi_key = "{cli_emu.api_key}"\nbase_url = "{cli_emu.base_url}"\n'
        '[broken]\napi_key = "secret_nope_000000"\n'
    )
    path.chmod(0o600)
    no_env = {"LAMBDA_API_KEY": None, "LAMBDA_BASE_URL": None}
    assert run("--profile", "work", "regions", env=no_env).exit_code == 0
    assert run("regions", env={**no_env, "LAMBDA_PROFILE": "work"}).exit_code == 0
    # The environment wins over the profile.
    assert run("--profile", "broken", "regions").exit_code == 0
    missing = run("--profile", "nope", "regions", env=no_env)
    assert missing.exit_code == 2 and "profile 'nope' not found" in missing.stderr
    path.chmod(0o644)
    warned = run("--profile", "work", "regions", env=no_env)
    assert warned.exit_code == 0 and "readable by others" in warned.stderr


def test_configure_writes_a_0600_profile_without_echoing_the_key(
    run: Run, cli_emu: Emulator, config_home: Path
) -> None:
    result = run(
        "configure",
        "--profile",
        "lab",
        "--base-url",
        cli_emu.base_url,
        input=cli_emu.api_key + "\n",
    )
    assert result.exit_code == 0
    path = config_home / "lambda-cloud" / "config.toml"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    no_env = {"LAMBDA_API_KEY": None, "LAMBDA_BASE_URL": None}
    assert ok_json(run("--profile", "lab", "-o", "json", "regions", env=no_env))


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("--base-url", "{url}\n[evil]", "base_url of profile 'work'"),
        ("--base-url", "{url}\r", "base_url of profile 'work'"),
        ("--profile", "wo\nrk", "the profile name"),
    ],
)
def test_configure_refuses_a_control_character_and_keeps_every_profile(
    run: Run, cli_emu: Emulator, config_home: Path, option: str, value: str, named: str
) -> None:
    key = cli_emu.api_key + "\n"
    assert run("configure", "--profile", "lab", input=key).exit_code == 0
    path = config_home / "lambda-cloud" / "config.toml"
    before = path.read_bytes()
    args = {"--profile": "work", "--base-url": cli_emu.base_url}
    args[option] = value.format(url=cli_emu.base_url)
    bad = run("configure", *(a for item in args.items() for a in item), input=key)
    assert bad.exit_code == 2
    assert f"{named} contains a control character" in bad.stderr
    assert path.read_bytes() == before
    # The other profiles still work (before, the file no longer parsed at all).
    assert run("--profile", "lab", "regions", env={"LAMBDA_API_KEY": None}).exit_code == 0


def test_debug_turns_on_the_sdk_logger(run: Run) -> None:
    logger = logging.getLogger("lambda_cloud")
    level, handlers = logger.level, list(logger.handlers)
    try:
        assert run("--debug", "regions").exit_code == 0
        assert logger.level == logging.DEBUG
    finally:
        logger.setLevel(level)
        logger.handlers[:] = handlers


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    context = click.Context(group)
    for name in group.list_commands(context):  # the lazily loaded commands too
        command = group.get_command(context, name)
        assert command is not None, (*path, name)
        if isinstance(command, click.Group):
            found += _commands(command, (*path, name))
        else:
            found.append((*path, name))
    return found


def test_every_command_has_help_with_an_example(run: Run) -> None:
    commands = _commands(cli)
    assert len(commands) > 30
    for path in commands:
        result = run(*path, "--help")
        assert result.exit_code == 0, path
        assert "Example:" in result.stdout and "lambda-cloud" in result.stdout, path


def test_ssh_print_waits_for_the_port_then_prints_the_command(
    run: Run, cli_emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
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
            "--name",
            "box",
            "--poll-interval",
            "0.01",
        )
    )
    instance_id = launched["instances"][0]["id"]
    probes: list[tuple[str, int]] = []
    monkeypatch.setattr(connect, "PROBE_INTERVAL", 0.0)

    def port_open(host: str, port: int) -> bool:
        probes.append((host, port))
        return len(probes) > 2  # answers on the third try

    monkeypatch.setattr(connect, "port_open", port_open)
    try:
        result = run("ssh", "box-0", "--print", "-i", "k.pem", "--", "nvidia-smi", "-L")
        assert result.exit_code == 0, result.output
        ip = ok_json(run("-o", "json", "instances", "get", instance_id))["ip"]
        assert result.stdout == f"ssh -i k.pem ubuntu@{ip} nvidia-smi -L\n"
        assert probes == [(ip, 22)] * 3  # it waited until port 22 answered
        unknown = run("ssh", "bax-0", "--print")
        assert unknown.exit_code == 1
        assert unknown.stderr == (
            "Error: no instance has the id or name 'bax-0' (did you mean 'box-0'?)\n"
        )
    finally:
        run("instances", "terminate", instance_id, "--yes")


def test_ssh_refuses_an_ip_that_is_not_an_address(
    run: Run, cli_emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    launched = ok_json(
        run("-o", "json", "instances", "launch", "--type", "gpu_1x_a10", "--ssh-key", KEY_NAME)
    )
    instance_id = launched["instances"][0]["id"]
    cli_emu.account().instances[instance_id].ip = "1.2.3.4; touch x"
    ran: list[list[str]] = []
    monkeypatch.setattr(connect.os, "execvp", lambda file, argv: ran.append(argv))
    try:
        for args in (["--print"], []):
            result = run("ssh", instance_id, "--no-wait", *args)
            assert result.exit_code == 1 and result.stdout == ""
            assert result.stderr == (
                f"Error: instance {instance_id} has no usable IP: the API gave '1.2.3.4; touch x'\n"
            )
        assert ran == []  # ssh never saw it
    finally:
        run("instances", "terminate", instance_id, "--yes")


def test_emulator_serve_on_a_busy_port_is_one_line(run: Run) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("emulator", "serve", "--port", str(port))
    assert result.exit_code == 1
    assert result.stderr == f"Error: cannot serve on 127.0.0.1:{port}: Address already in use\n"


def test_port_open_against_a_real_listener() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert connect.port_open("127.0.0.1", port)
    assert not connect.port_open("127.0.0.1", port, timeout=1.0)
