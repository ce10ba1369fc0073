"""Fabric partitions: named slices of a region's compute fabric."""

from __future__ import annotations

import datetime

import attrs

from ._base import Model
from .regions import Region

__all__ = ["FabricPartition"]


@attrs.define(kw_only=True, repr=False)
class FabricPartition(Model):
    """A partition of the compute fabric in one region, owned by a workspace."""

    id: str
    created: datetime.datetime
    name: str
    workspace_id: str
    region: Region
