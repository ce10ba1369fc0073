"""``/file-systems`` and ``/filesystems``: shared file systems (the spec spells the list path
``/file-systems`` and the create and delete paths ``/filesystems``)."""

from __future__ import annotations

import builtins

from .._compat import Unpack
from .._converter import structure
from .._options import RequestOptions
from .._raw import WithRawResponse, async_to_raw_response_wrapper
from .._retry import RetryRule
from .._validation import check_filesystem_name, check_length, check_path_id
from ..types.file_systems import Filesystem
from ._base import AsyncAPIResource, is_not_found

__all__ = ["AsyncFileSystems", "AsyncFileSystemsWithRawResponse"]


class AsyncFileSystems(AsyncAPIResource):
    """Shared file systems, mounted on instances at launch."""

    async def list(self, **options: Unpack[RequestOptions]) -> builtins.list[Filesystem]:
        """Every file system in the account."""
        data = await self._request("GET", "/file-systems", options=options)
        return structure(data, list[Filesystem])

    async def create(
        self,
        name: str,
        region: str,
        **options: Unpack[RequestOptions],
    ) -> Filesystem:
        """Create a file system in ``region``. ``name`` (1 to 60 characters, a letter first, then
        letters, digits and ``-``) must be unused: ``DuplicateError`` otherwise."""
        body = {
            "name": check_filesystem_name(name),
            "region": check_length(region, "region", min_len=1, max_len=64),
        }
        # A lost answer may still have created it; a blind retry would then fail as a duplicate.
        data = await self._request(
            "POST",
            "/filesystems",
            body=body,
            rule=RetryRule.UNSAFE,
            options=options,
        )
        return structure(data, Filesystem)

    async def delete(self, id: str, **options: Unpack[RequestOptions]) -> builtins.list[str]:
        """Delete a file system and return the deleted ids. ``FileSystemInUseError`` while an
        instance has it mounted; ``NotFoundError`` if there is no such file system."""
        fs_id = check_path_id(id)
        data = await self._request(
            "DELETE",
            f"/filesystems/{fs_id}",
            options=options,
            done_if=is_not_found,
        )
        return [id] if data is None else list(data["deleted_ids"])


class AsyncFileSystemsWithRawResponse(WithRawResponse):
    """``AsyncFileSystems``, each method returning an ``APIResponse`` of its value."""

    def __init__(self, file_systems: AsyncFileSystems) -> None:
        super().__init__(file_systems)
        self.list = async_to_raw_response_wrapper(file_systems.list)
        self.create = async_to_raw_response_wrapper(file_systems.create)
        self.delete = async_to_raw_response_wrapper(file_systems.delete)
