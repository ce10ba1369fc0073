"""The command line shares state with every other process using the key when told so: by
``--shared-state``, ``$LAMBDA_CLOUD_SHARED_STATE`` or the profile's ``shared_state``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from lambda_cloud.cli import cli
from lambda_cloud.emulator import Emulator
from lambda_cloud.shared.store import namespace

redis = pytest.importorskip("redis", reason="needs lambda-cloud[redis]")


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(time_scale=0.001) as emulator:
        yield emulator


def paced_in(url: str, emu: Emulator) -> bool:
    """Whether the store holds the emulator key's general bucket."""
    key = f"lambda-cloud:{{{namespace(emu.api_key, emu.base_url)}}}:pace:general"
    store = redis.Redis.from_url(url)
    try:
        return bool(store.exists(key))
    finally:
        store.close()


@pytest.mark.parametrize("how", ["flag", "environment", "profile"])
def test_the_cli_paces_in_the_shared_store(
    emu: Emulator, redis_url: str, tmp_path: Path, how: str
) -> None:
    env = {
        "LAMBDA_API_KEY": emu.api_key,
        "LAMBDA_BASE_URL": emu.base_url,
        "XDG_CONFIG_HOME": str(tmp_path),
        "LAMBDA_CLOUD_SHARED_STATE": redis_url if how == "environment" else None,
    }
    args = ["--shared-state", redis_url] if how == "flag" else []
    if how == "profile":
        config = tmp_path / "lambda-cloud" / "config.toml"
        config.parent.mkdir()
        config.write_text(f'[default]\nshared_state = "{redis_url}"\n')
        config.chmod(0o600)
    result = CliRunner().invoke(cli, [*args, "regions"], env=env)
    assert result.exit_code == 0, result.output
    assert paced_in(redis_url, emu)


def test_a_shared_state_that_is_not_a_redis_url_is_a_usage_error(
    emu: Emulator, tmp_path: Path
) -> None:
    env = {"LAMBDA_API_KEY": emu.api_key, "XDG_CONFIG_HOME": str(tmp_path)}
    result = CliRunner().invoke(cli, ["--shared-state", "http://x:1@h/0", "regions"], env=env)
    assert result.exit_code == 2
    assert "redis://" in result.stderr and "x:1@" not in result.stderr
