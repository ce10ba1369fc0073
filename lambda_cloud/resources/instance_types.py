"""``/instance-types``: what can be launched, at what price, and where there is capacity."""

from __future__ import annotations

from .._config import Timeout
from .._converter import structure
from .._retry import RetryPolicy
from ..types.instance_types import InstanceTypesItem
from ._base import AsyncAPIResource

__all__ = ["AsyncInstanceTypes"]


class AsyncInstanceTypes(AsyncAPIResource):
    """Instance types offered on Lambda's public cloud."""

    async def list(
        self, *, timeout: Timeout | None = None, retries: int | RetryPolicy | None = None
    ) -> dict[str, InstanceTypesItem]:
        """Every instance type, keyed by its name (``gpu_1x_a10``, ...), with the regions that
        have capacity for it right now. Capacity is a hint, not a reservation."""
        data = await self._request("GET", "/instance-types", timeout=timeout, retries=retries)
        return structure(data, dict[str, InstanceTypesItem])
