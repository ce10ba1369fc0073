"""Instance types and their regional capacity."""

from __future__ import annotations

import attrs

from ._base import Model
from .regions import Region

__all__ = ["InstanceType", "InstanceTypeSpecs", "InstanceTypesItem"]


@attrs.define(kw_only=True, repr=False)
class InstanceTypeSpecs(Model):
    """Hardware of an instance type."""

    vcpus: int
    memory_gib: int
    storage_gib: int
    gpus: int


@attrs.define(kw_only=True, repr=False)
class InstanceType(Model):
    """An instance type, e.g. ``gpu_1x_a10``, with its price in US cents per hour."""

    name: str
    description: str
    gpu_description: str
    price_cents_per_hour: int
    specs: InstanceTypeSpecs
    #: Present only on servers that report it (a later revision of the 1.10.0 spec).
    architecture: str | None = None


@attrs.define(kw_only=True, repr=False)
class InstanceTypesItem(Model):
    """An instance type and the regions that can launch it right now."""

    instance_type: InstanceType
    regions_with_capacity_available: list[Region]

    @property
    def region_names(self) -> list[str]:
        """Names of the regions with capacity, in the API's order."""
        return [region.name for region in self.regions_with_capacity_available]
