"""Fixtures for the command line, run against an emulator on a background thread.

- ``cli_emu``: the emulator (one per module, time compressed).
- ``run(*args, input=None, env=None)``: the CLI in-process (click's ``CliRunner``), its stdout
  not a terminal; every run's output is checked to be free of the API key.
- ``config_home``: an empty ``$XDG_CONFIG_HOME`` for profiles.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from lambda_cloud import LambdaCloud
from lambda_cloud.cli import cli
from lambda_cloud.emulator import Emulator

PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJ0ZXN0a2V5Zm9ydGhlY2xpdGVzdHN1aXRlMTIz me@cli"
KEY_NAME = "cli-key"

Run = Callable[..., Result]


@pytest.fixture(scope="module")
def cli_emu() -> Iterator[Emulator]:
    with Emulator(time_scale=0.001, seed=7) as emu:
        with LambdaCloud(api_key=emu.api_key, base_url=emu.base_url, rate_limits=None) as client:
            client.ssh_keys.create(KEY_NAME, PUBLIC_KEY)
        yield emu


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


def emu_env(emu: Emulator) -> dict[str, str]:
    return {"LAMBDA_API_KEY": emu.api_key, "LAMBDA_BASE_URL": emu.base_url}


@pytest.fixture
def run(cli_emu: Emulator, config_home: Path) -> Run:
    def invoke(*args: str, input: str | None = None, env: dict[str, Any] | None = None) -> Result:
        result = CliRunner().invoke(
            cli, list(args), input=input, env={**emu_env(cli_emu), **(env or {})}
        )
        for text in (result.stdout, result.stderr):
            assert cli_emu.api_key not in text
            assert "Traceback" not in text
        return result

    return invoke


def ok_json(result: Result) -> Any:
    """The JSON a successful run printed."""
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)
