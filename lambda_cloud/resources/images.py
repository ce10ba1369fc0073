"""``/images``: the machine images instances can be launched from."""

from __future__ import annotations

import builtins

from .._compat import Unpack
from .._converter import structure
from .._options import RequestOptions
from .._raw import WithRawResponse, async_to_raw_response_wrapper
from ..types.images import Image
from ._base import AsyncAPIResource

__all__ = ["AsyncImages", "AsyncImagesWithRawResponse"]


class AsyncImages(AsyncAPIResource):
    """Images available to launch."""

    async def list(self, **options: Unpack[RequestOptions]) -> builtins.list[Image]:
        """Every available image, once per region it is available in."""
        data = await self._request("GET", "/images", options=options)
        return structure(data, list[Image])


class AsyncImagesWithRawResponse(WithRawResponse):
    """``AsyncImages``, each method returning an ``APIResponse`` of its value."""

    def __init__(self, images: AsyncImages) -> None:
        super().__init__(images)
        self.list = async_to_raw_response_wrapper(images.list)
