"""Regions."""

from __future__ import annotations

import attrs

from ._base import Model

__all__ = ["Region"]


@attrs.define(kw_only=True, repr=False)
class Region(Model):
    """A region, e.g. ``us-west-1`` ("California, USA")."""

    name: str
    description: str
