"""``/fabric``: partitions of a region's compute fabric."""

from __future__ import annotations

import re

from .._compat import Unpack
from .._converter import structure
from .._options import RequestOptions
from .._raw import WithRawResponse, async_to_raw_response_wrapper
from .._retry import RetryRule
from .._validation import check_length, check_path_id, check_pattern, check_string
from ..types.fabric import FabricPartition
from ._base import AsyncAPIResource, is_not_found

__all__ = [
    "AsyncFabricPartitions",
    "AsyncFabricPartitionsWithRawResponse",
    "PARTITION_NAME_PATTERN",
]

PARTITION_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")


def _name(name: object) -> str:
    text = check_length(name, "name", min_len=1, max_len=32)
    return check_pattern(text, "name", PARTITION_NAME_PATTERN, max_len=32)


class AsyncFabricPartitions(AsyncAPIResource):
    """Fabric partitions: create, rename, delete."""

    async def create(
        self,
        name: str,
        region: str,
        *,
        workspace_id: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> FabricPartition:
        """Create a partition named ``name`` (1 to 32 of ``a-z``, ``0-9``, ``-``; not starting
        with ``-``) in ``region``, in ``workspace_id`` (default: your default workspace)."""
        body = {
            "name": _name(name),
            "region": check_string(region, "region"),
        }
        if workspace_id is not None:
            body["workspace_id"] = check_string(workspace_id, "workspace_id")
        # A lost answer may still have created it, and a retry would make a second one.
        data = await self._request(
            "POST", "/fabric", body=body, rule=RetryRule.UNSAFE, options=options
        )
        return structure(data, FabricPartition)

    async def update(
        self,
        id: str,
        *,
        name: str,
        **options: Unpack[RequestOptions],
    ) -> FabricPartition:
        """Rename the partition with this id; returns it as it now is."""
        data = await self._request(
            "POST",
            f"/fabric/{check_path_id(id)}",
            body={"name": _name(name)},
            options=options,
        )
        return structure(data, FabricPartition)

    async def delete(self, id: str, **options: Unpack[RequestOptions]) -> None:
        """Delete the partition with this id; ``BadRequestError`` while instances use it."""
        await self._request(
            "DELETE",
            f"/fabric/{check_path_id(id)}",
            options=options,
            done_if=is_not_found,
        )


class AsyncFabricPartitionsWithRawResponse(WithRawResponse):
    """``AsyncFabricPartitions``, each method returning an ``APIResponse`` of its value."""

    def __init__(self, partitions: AsyncFabricPartitions) -> None:
        super().__init__(partitions)
        self.create = async_to_raw_response_wrapper(partitions.create)
        self.update = async_to_raw_response_wrapper(partitions.update)
        self.delete = async_to_raw_response_wrapper(partitions.delete)
