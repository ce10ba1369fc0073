"""The seed SDK's operation names on ``client.instances``, for code migrating from it.

Each is a thin delegation to the method with the new name; ``security=`` swaps the credentials
for that one call. They return this SDK's models, not the seed SDK's response wrappers.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._api import ClientAPI
from .._compat import Unpack
from .._options import LaunchCallOptions, RequestOptions
from .._security import Security, authorization_of
from ..types.instance_types import InstanceTypesItem
from ..types.instances import Instance
from ._instance_endpoints import InstanceEndpoints
from .instance_types import AsyncInstanceTypes

__all__ = ["SeedInstancesMixin"]


class SeedInstancesMixin(InstanceEndpoints):
    """``list_instances``, ``get_instance``, ``post_instance``, ``list_instance_types``,
    ``launch_instance``, ``restart_instance`` and ``terminate_instance``."""

    def _api_as(self, security: Security | None) -> ClientAPI:
        if security is None:
            return self._api
        return self._api.with_authorization(authorization_of(security))

    def _as(self, security: Security | None) -> InstanceEndpoints:
        return self if security is None else InstanceEndpoints(self._api_as(security))

    async def list_instances(
        self,
        *,
        security: Security | None = None,
        **options: Unpack[RequestOptions],
    ) -> list[Instance]:
        """Seed name of ``instances.list()``."""
        return await self._as(security).list(**options)

    async def get_instance(
        self,
        *,
        id: str,
        security: Security | None = None,
        **options: Unpack[RequestOptions],
    ) -> Instance:
        """Seed name of ``instances.get(id)``."""
        return await self._as(security).get(id, **options)

    async def post_instance(
        self,
        *,
        id: str,
        name: str | None = None,
        security: Security | None = None,
        **options: Unpack[RequestOptions],
    ) -> Instance:
        """Seed name of ``instances.update(id, name=...)``; without a name, the instance as is."""
        instances = self._as(security)
        if name is None:
            return await instances.get(id, **options)
        return await instances.update(id, name=name, **options)

    async def list_instance_types(
        self,
        *,
        security: Security | None = None,
        **options: Unpack[RequestOptions],
    ) -> dict[str, InstanceTypesItem]:
        """Seed name of ``instance_types.list()``."""
        return await AsyncInstanceTypes(self._api_as(security)).list(**options)

    async def launch_instance(
        self,
        *,
        region_name: str,
        name: str | None = None,
        security: Security | None = None,
        **options: Unpack[LaunchCallOptions],
    ) -> list[str]:
        """Seed name of ``instances.launch(...)``."""
        return await self._as(security).launch(region_name=region_name, name=name, **options)

    async def restart_instance(
        self,
        *,
        instance_ids: Sequence[str],
        security: Security | None = None,
        **options: Unpack[RequestOptions],
    ) -> list[Instance]:
        """Seed name of ``instances.restart(ids)``."""
        return await self._as(security).restart(instance_ids, **options)

    async def terminate_instance(
        self,
        *,
        instance_ids: Sequence[str],
        security: Security | None = None,
        **options: Unpack[RequestOptions],
    ) -> list[Instance]:
        """Seed name of ``instances.terminate(ids)``."""
        return await self._as(security).terminate(instance_ids, **options)
