"""``/regions``: where instances, file systems and rulesets can live."""

from __future__ import annotations

import builtins

from .._compat import Unpack
from .._converter import structure
from .._options import RequestOptions
from .._raw import WithRawResponse, async_to_raw_response_wrapper
from ..types.regions import Region
from ._base import AsyncAPIResource

__all__ = ["AsyncRegions", "AsyncRegionsWithRawResponse"]


class AsyncRegions(AsyncAPIResource):
    """The regions of Lambda's public cloud."""

    async def list(self, **options: Unpack[RequestOptions]) -> builtins.list[Region]:
        """Every region (``us-west-1``, ...). Instance capacity per region is on
        ``instance_types.list()``."""
        data = await self._request("GET", "/regions", options=options)
        return structure(data, list[Region])


class AsyncRegionsWithRawResponse(WithRawResponse):
    """``AsyncRegions``, each method returning an ``APIResponse`` of its value."""

    def __init__(self, regions: AsyncRegions) -> None:
        super().__init__(regions)
        self.list = async_to_raw_response_wrapper(regions.list)
