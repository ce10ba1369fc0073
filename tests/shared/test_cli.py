"""The command line shares state with every other process using the key when told so: by
``--shared-state``, ``$LAMBDA_CLOUD_SHARED_STATE`` or the profile's ``shared_state``."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from lambda_cloud import LambdaCloud
from lambda_cloud.cli import cli
from lambda_cloud.emulator import Emulator
from lambda_cloud.shared.store import namespace

PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJ0ZXN0a2V5Zm9ydGhlY2xpdGVzdHN1aXRlMTIz me@cli"

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


def test_extend_records_in_the_store_and_reap_honours_it(
    emu: Emulator, redis_url: str, tmp_path: Path
) -> None:
    owner = "cli-extender"
    with LambdaCloud(
        api_key=emu.api_key, base_url=emu.base_url, rate_limits=None, owner=owner
    ) as client:
        client.ssh_keys.create("extend-key", PUBLIC_KEY)
        ids = client.instances.launch_many(
            2, instance_type_name="gpu_1x_a10", ssh_key_names=["extend-key"], expires_in=3600
        ).ids
        (stamp,) = {
            i.tag("lambda-cloud-expires-at") for i in client.instances.list() if i.id in ids
        }
    assert stamp is not None
    expires_at = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    extended, plain = ids
    env = {
        "LAMBDA_API_KEY": emu.api_key,
        "LAMBDA_BASE_URL": emu.base_url,
        "XDG_CONFIG_HOME": str(tmp_path),
        "LAMBDA_CLOUD_OWNER": owner,
        "LAMBDA_CLOUD_SHARED_STATE": None,
    }
    # Without a store: refused, pointing at --keep.
    refused = CliRunner().invoke(cli, ["extend", extended, "--by", "2h"], env=env)
    assert refused.exit_code != 0 and "--keep ID" in refused.stderr
    result = CliRunner().invoke(
        cli, ["-o", "json", "--shared-state", redis_url, "extend", extended, "--by", "2h"], env=env
    )
    assert result.exit_code == 0, result.output
    until = expires_at + datetime.timedelta(hours=2)
    assert json.loads(result.stdout) == {extended: until.strftime("%Y-%m-%dT%H:%M:%SZ")}
    # Another process's reap, told of the store by the environment, honours it.
    as_of = (expires_at + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    shown = CliRunner().invoke(
        cli,
        ["-o", "json", "reap", "--as-of", as_of],
        env={**env, "LAMBDA_CLOUD_SHARED_STATE": redis_url},
    )
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.stdout)
    assert [e["id"] for e in report["expired"]] == [plain]
    assert [e["id"] for e in report["extended"]] == [extended]
    assert report["extended"][0]["expires_at"] == until.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert CliRunner().invoke(cli, ["extend", extended], env=env).exit_code == 2
