"""``/ssh-keys``: the keys instances can be launched with."""

from __future__ import annotations

import builtins

from .._config import Timeout
from .._converter import structure
from .._retry import RetryPolicy, RetryRule
from .._validation import check_length, check_path_id
from ..types.ssh_keys import GeneratedSSHKey, SSHKey
from ._base import AsyncAPIResource

__all__ = ["AsyncSSHKeys"]


class AsyncSSHKeys(AsyncAPIResource):
    """SSH keys stored in your account."""

    async def list(
        self, *, timeout: Timeout | None = None, retries: int | RetryPolicy | None = None
    ) -> builtins.list[SSHKey]:
        """Every SSH key in the account."""
        data = await self._request("GET", "/ssh-keys", timeout=timeout, retries=retries)
        return structure(data, list[SSHKey])

    async def create(
        self,
        name: str,
        public_key: str | None = None,
        *,
        timeout: Timeout | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> SSHKey | GeneratedSSHKey:
        """Add ``public_key`` under ``name``; without a key the API generates a pair and returns a
        ``GeneratedSSHKey`` whose ``private_key`` is never shown again."""
        body = {"name": check_length(name, "name", min_len=1, max_len=64)}
        if public_key is not None:
            body["public_key"] = check_length(public_key, "public_key", min_len=1, max_len=4096)
        # A lost answer could still have created the key (and, generated, lost its private key).
        data = await self._request(
            "POST", "/ssh-keys", body=body, rule=RetryRule.UNSAFE, timeout=timeout, retries=retries
        )
        if "private_key" in data:
            return structure(data, GeneratedSSHKey)
        return structure(data, SSHKey)

    async def delete(
        self, id: str, *, timeout: Timeout | None = None, retries: int | RetryPolicy | None = None
    ) -> None:
        """Delete the SSH key with this id."""
        await self._request(
            "DELETE", f"/ssh-keys/{check_path_id(id)}", timeout=timeout, retries=retries
        )
