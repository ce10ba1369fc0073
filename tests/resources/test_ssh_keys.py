"""``client.ssh_keys``: add (uploaded or generated), list, delete, and their errors."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_cloud import (
    APIResponseError,
    AsyncLambdaCloud,
    GeneratedSSHKey,
    InvalidParametersError,
    NotFoundError,
    SSHKey,
    ValidationError,
)

from .conftest import Api

PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBm0Y8yXhJ1iVb3wV1k0n4B1l7d3G8k5a2Q9x0f2r4Zq me"


async def test_upload_list_delete(api: Api) -> None:
    key = await api(lambda c: c.ssh_keys.create("laptop", PUBLIC_KEY))
    assert type(key) is SSHKey
    assert (key.name, key.public_key) == ("laptop", PUBLIC_KEY)
    assert await api(lambda c: c.ssh_keys.list()) == [key]
    assert await api(lambda c: c.ssh_keys.delete(key.id)) is None
    assert await api(lambda c: c.ssh_keys.list()) == []


async def test_generated_key_is_its_own_type_and_hides_the_private_key(api: Api) -> None:
    key = await api(lambda c: c.ssh_keys.create("generated"))
    assert isinstance(key, GeneratedSSHKey)
    assert key.private_key.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert key.private_key not in repr(key)
    listed = await api(lambda c: c.ssh_keys.list())
    assert [type(k) for k in listed] == [SSHKey]  # the API keeps no private key


async def test_errors(api: Api) -> None:
    await api(lambda c: c.ssh_keys.create("taken", PUBLIC_KEY))
    with pytest.raises(InvalidParametersError):  # the spec has no duplicate code for keys
        await api(lambda c: c.ssh_keys.create("taken"))
    with pytest.raises(InvalidParametersError) as caught:
        await api(lambda c: c.ssh_keys.create("bad", "not a public key"))
    assert caught.value.code == "global/invalid-parameters"
    with pytest.raises(NotFoundError):
        await api(lambda c: c.ssh_keys.delete("0" * 32))


@pytest.mark.parametrize(
    ("name", "public_key", "field"),
    [
        ("", None, "name"),
        ("k" * 65, None, "name"),
        (None, None, "name"),
        ("ok", "", "public_key"),
        ("ok", "k" * 4097, "public_key"),
    ],
)
@pytest.mark.usefixtures("unsent")
async def test_validation(api: Api, name: str, public_key: str | None, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        await api(lambda c: c.ssh_keys.create(name, public_key))
    assert caught.value.field == field


@pytest.mark.usefixtures("unsent")
async def test_delete_needs_an_id(api: Api) -> None:
    with pytest.raises(ValidationError, match="id"):
        await api(lambda c: c.ssh_keys.delete(""))


async def test_a_generated_key_without_private_key_is_an_error(
    client: AsyncLambdaCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def no_private_key(*_: Any, **__: Any) -> dict[str, str]:
        return {"id": "k1", "name": "n", "public_key": PUBLIC_KEY}

    monkeypatch.setattr(client.ssh_keys, "_request", no_private_key)
    with pytest.raises(APIResponseError, match="'k1'"):
        await client.ssh_keys.create("n")


# -- through the async client alone ----------------------------------------------------------


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
