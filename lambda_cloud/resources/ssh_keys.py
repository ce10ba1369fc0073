"""``/ssh-keys``: the keys instances can be launched with."""

from __future__ import annotations

import builtins
from typing import overload

from .._compat import Unpack
from .._converter import structure
from .._options import RequestOptions
from .._raw import WithRawResponse, async_to_raw_response_wrapper
from .._retry import RetryRule
from .._validation import check_length, check_path_id
from ..errors import APIResponseError
from ..types.ssh_keys import GeneratedSSHKey, SSHKey
from ._base import AsyncAPIResource, is_not_found

__all__ = ["AsyncSSHKeys", "AsyncSSHKeysWithRawResponse"]


class AsyncSSHKeys(AsyncAPIResource):
    """SSH keys stored in your account."""

    async def list(self, **options: Unpack[RequestOptions]) -> builtins.list[SSHKey]:
        """Every SSH key in the account."""
        data = await self._request("GET", "/ssh-keys", options=options)
        return structure(data, list[SSHKey])

    # The overloads let a type checker see that a call without public_key gets a private key.
    @overload
    async def create(
        self,
        name: str,
        public_key: None = None,
        **options: Unpack[RequestOptions],
    ) -> GeneratedSSHKey: ...

    @overload
    async def create(
        self,
        name: str,
        public_key: str,
        **options: Unpack[RequestOptions],
    ) -> SSHKey: ...

    async def create(
        self,
        name: str,
        public_key: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> SSHKey | GeneratedSSHKey:
        """Add ``public_key`` (1 to 4096 characters) under ``name`` (1 to 64); without a key the
        API generates a pair and this returns a ``GeneratedSSHKey`` whose ``private_key`` is never
        shown again."""
        body = {"name": check_length(name, "name", min_len=1, max_len=64)}
        if public_key is not None:
            body["public_key"] = check_length(public_key, "public_key", min_len=1, max_len=4096)
        # A lost answer could still have created the key (and, generated, lost its private key).
        data = await self._request(
            "POST", "/ssh-keys", body=body, rule=RetryRule.UNSAFE, options=options
        )
        if public_key is not None:
            return structure(data, SSHKey)
        if not data.get("private_key"):
            raise APIResponseError(
                f"the API generated SSH key {data.get('id')!r} but returned no private key; "
                "delete the key and create another",
                method="POST",
                url=self._api.base_url + "/ssh-keys",
            )
        return structure(data, GeneratedSSHKey)

    async def delete(self, id: str, **options: Unpack[RequestOptions]) -> None:
        """Delete the SSH key with this id."""
        await self._request(
            "DELETE",
            f"/ssh-keys/{check_path_id(id)}",
            options=options,
            done_if=is_not_found,
        )


class AsyncSSHKeysWithRawResponse(WithRawResponse):
    """``AsyncSSHKeys``, each method returning an ``APIResponse`` of its value."""

    def __init__(self, ssh_keys: AsyncSSHKeys) -> None:
        super().__init__(ssh_keys)
        self.list = async_to_raw_response_wrapper(ssh_keys.list)
        self.create = async_to_raw_response_wrapper(ssh_keys.create)
        self.delete = async_to_raw_response_wrapper(ssh_keys.delete)
