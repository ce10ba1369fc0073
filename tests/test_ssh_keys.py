"""``ssh_keys``: list, create (uploaded or generated), delete, against the emulator."""

from __future__ import annotations

import pytest

from lambda_cloud import (
    AsyncLambdaCloud,
    GeneratedSSHKey,
    InvalidParametersError,
    NotFoundError,
    SSHKey,
)
from tests.conftest import PUBLIC_KEY


async def test_list_is_empty_for_a_new_account(client: AsyncLambdaCloud) -> None:
    assert await client.ssh_keys.list() == []


async def test_upload_a_public_key(client: AsyncLambdaCloud) -> None:
    key = await client.ssh_keys.create("laptop", PUBLIC_KEY)
    assert type(key) is SSHKey
    assert key.name == "laptop"
    assert key.public_key == PUBLIC_KEY
    assert len(key.id) == 32
    assert await client.ssh_keys.list() == [key]


async def test_generated_key_comes_back_with_its_private_key(client: AsyncLambdaCloud) -> None:
    key = await client.ssh_keys.create("generated")
    assert isinstance(key, GeneratedSSHKey)
    assert key.private_key.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert key.public_key.startswith("ssh-ed25519 ")
    assert key.private_key not in repr(key)
    # The private key is shown once: the list has only the public part.
    [listed] = await client.ssh_keys.list()
    assert type(listed) is SSHKey
    assert (listed.id, listed.name, listed.public_key) == (key.id, key.name, key.public_key)


async def test_delete(client: AsyncLambdaCloud) -> None:
    keep = await client.ssh_keys.create("keep", PUBLIC_KEY)
    drop = await client.ssh_keys.create("drop")
    assert await client.ssh_keys.delete(drop.id) is None
    assert await client.ssh_keys.list() == [keep]


async def test_delete_unknown_key(client: AsyncLambdaCloud) -> None:
    with pytest.raises(NotFoundError) as info:
        await client.ssh_keys.delete("0" * 32)
    assert info.value.status_code == 404
    assert info.value.code == "global/not-found"


async def test_duplicate_name(client: AsyncLambdaCloud) -> None:
    await client.ssh_keys.create("same", PUBLIC_KEY)
    with pytest.raises(InvalidParametersError) as info:
        await client.ssh_keys.create("same")
    assert info.value.code == "global/invalid-parameters"
    assert "same" in info.value.message
    assert info.value.suggestion


async def test_invalid_public_key_is_refused_by_the_server(client: AsyncLambdaCloud) -> None:
    with pytest.raises(InvalidParametersError) as info:
        await client.ssh_keys.create("bad", "not a key")
    assert info.value.status_code == 400
    assert info.value.code == "global/invalid-parameters"
    assert "public_key" in info.value.message
