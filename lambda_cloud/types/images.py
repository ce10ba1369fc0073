"""Machine images instances can be launched from."""

from __future__ import annotations

import datetime

import attrs

from ._base import Model, OpenEnum
from .regions import Region

__all__ = ["Image", "ImageArchitecture"]


class ImageArchitecture(OpenEnum):
    """The CPU architecture an image runs on."""

    X86_64 = "x86_64"
    ARM64 = "arm64"


@attrs.define(kw_only=True, repr=False)
class Image(Model):
    """An image available in one region (the API lists each image once per region).

    Launch from it with ``ImageSpecificationID(id=image.id)`` or, for the latest of its family,
    ``ImageSpecificationFamily(family=image.family)``.
    """

    id: str
    name: str
    description: str
    family: str
    version: str
    architecture: ImageArchitecture
    region: Region
    created_time: datetime.datetime
    updated_time: datetime.datetime
