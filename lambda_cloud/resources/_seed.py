"""The seed SDK's operation names on ``client.instances``, for code migrating from it.

Each is a thin delegation to the method with the new name; ``security=`` swaps the credentials
for that one call. They return this SDK's models, not the seed SDK's response wrappers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .._compat import Unpack
from .._config import Timeout
from .._retry import RetryPolicy
from .._security import Security, authorization_of
from ..types.instance_types import InstanceTypesItem
from ..types.instances import Instance
from ..types.launch import LaunchOptions
from ._base import AsyncAPIResource

if TYPE_CHECKING:
    from .._client import AsyncLambdaCloud

__all__ = ["SeedInstancesMixin"]


class SeedInstancesMixin(AsyncAPIResource):
    """``list_instances``, ``get_instance``, ``post_instance``, ``list_instance_types``,
    ``launch_instance``, ``restart_instance`` and ``terminate_instance``."""

    def _as(self, security: Security | None) -> AsyncLambdaCloud:
        if security is None:
            return self._client
        return self._client._with_authorization(authorization_of(security))

    async def list_instances(
        self,
        *,
        security: Security | None = None,
        timeout: Timeout | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> list[Instance]:
        """Seed name of ``instances.list()``."""
        return await self._as(security).instances.list(timeout=timeout, retries=retries)

    async def get_instance(
        self,
        *,
        id: str,
        security: Security | None = None,
        timeout: Timeout | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> Instance:
        """Seed name of ``instances.get(id)``."""
        return await self._as(security).instances.get(id, timeout=timeout, retries=retries)

    async def post_instance(
        self,
        *,
        id: str,
        name: str | None = None,
        security: Security | None = None,
        timeout: Timeout | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> Instance:
        """Seed name of ``instances.update(id, name=...)``; without a name, the instance as is."""
        client = self._as(security)
        if name is None:
            return await client.instances.get(id, timeout=timeout, retries=retries)
        return await client.instances.update(id, name=name, timeout=timeout, retries=retries)

    async def list_instance_types(
        self,
        *,
        security: Security | None = None,
        timeout: Timeout | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> dict[str, InstanceTypesItem]:
        """Seed name of ``instance_types.list()``."""
        return await self._as(security).instance_types.list(timeout=timeout, retries=retries)

    async def launch_instance(
        self,
        *,
        region_name: str,
        name: str | None = None,
        security: Security | None = None,
        timeout: Timeout | None = None,
        retries: int | RetryPolicy | None = None,
        **options: Unpack[LaunchOptions],
    ) -> list[str]:
        """Seed name of ``instances.launch(...)``."""
        return await self._as(security).instances.launch(
            region_name=region_name, name=name, timeout=timeout, retries=retries, **options
        )

    async def restart_instance(
        self,
        *,
        instance_ids: Sequence[str],
        security: Security | None = None,
        timeout: Timeout | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> list[Instance]:
        """Seed name of ``instances.restart(ids)``."""
        return await self._as(security).instances.restart(
            instance_ids, timeout=timeout, retries=retries
        )

    async def terminate_instance(
        self,
        *,
        instance_ids: Sequence[str],
        security: Security | None = None,
        timeout: Timeout | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> list[Instance]:
        """Seed name of ``instances.terminate(ids)``."""
        return await self._as(security).instances.terminate(
            instance_ids, timeout=timeout, retries=retries
        )
