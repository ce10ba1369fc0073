"""The launch options, declared once: ``launch``, ``launch_many`` and the seed SDK's
``launch_instance`` all take them as ``**options: Unpack[LaunchOptions]``.

Nested options accept the SDK's classes or plain dicts in the API's JSON shape (as its docs
show them); the ``*Param`` ``TypedDict``s let a type checker check those dicts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypedDict

from .._compat import NotRequired, Required
from .instances import (
    FirewallRulesetEntry,
    ImageSpecification,
    RequestedFilesystemMountEntry,
    RequestedTagEntry,
)

__all__ = [
    "BulkLaunchOptions",
    "FileSystemMountParam",
    "FirewallRulesetParam",
    "ImageFamilyParam",
    "ImageIdParam",
    "ImageParam",
    "LaunchOptions",
    "RulesetsParam",
    "TagParam",
    "TagsParam",
]


class TagParam(TypedDict):
    """A tag as the API spells it: ``{"key": ..., "value": ...}``."""

    key: str
    value: str


class FileSystemMountParam(TypedDict):
    """A file-system mount as the API spells it."""

    mount_point: str
    file_system_id: str


class ImageIdParam(TypedDict):
    """An image by id: ``{"id": ...}``."""

    id: str


class ImageFamilyParam(TypedDict):
    """The latest image of a family: ``{"family": ...}``."""

    family: str


class FirewallRulesetParam(TypedDict):
    """A firewall ruleset by id: ``{"id": ...}``."""

    id: str


#: Tags as a ``{key: value}`` mapping, or a sequence of tags (objects or dicts).
TagsParam = Mapping[str, str] | Sequence[RequestedTagEntry | TagParam]
#: An image: ``ImageSpecificationID``/``ImageSpecificationFamily`` or their dict shapes.
ImageParam = ImageSpecification | ImageIdParam | ImageFamilyParam
#: Firewall rulesets: ids, ``FirewallRulesetEntry`` objects or ``{"id": ...}`` dicts.
RulesetsParam = Sequence[str | FirewallRulesetEntry | FirewallRulesetParam]


class _CommonLaunchOptions(TypedDict, total=False):
    """The launch options every launch method takes alike."""

    #: Exactly one SSH key name, as the API requires.
    ssh_key_names: Required[Sequence[str]]
    #: File systems to attach (at most one), by name.
    file_system_names: NotRequired[Sequence[str] | None]
    #: File systems to mount, and where.
    file_system_mounts: NotRequired[
        Sequence[RequestedFilesystemMountEntry | FileSystemMountParam] | None
    ]
    #: The hostname (``launch_many`` suffixes it with ``-<slot>``).
    hostname: NotRequired[str | None]
    #: The image to boot; the default image when absent.
    image: NotRequired[ImageParam | None]
    #: A cloud-init user-data script, at most 1 MB.
    user_data: NotRequired[str | None]
    #: Tags to set on the instance.
    tags: NotRequired[TagsParam | None]
    #: Firewall rulesets to apply, by id (or ``FirewallRulesetEntry``/``{"id": ...}``).
    firewall_rulesets: NotRequired[
        Sequence[str | FirewallRulesetEntry | FirewallRulesetParam] | None
    ]


class LaunchOptions(_CommonLaunchOptions, total=False):
    """What to launch: the body of ``POST /instance-operations/launch`` less the region and
    the name, which ``launch`` and ``launch_many`` each take their own way."""

    #: The instance type (``gpu_1x_a10``, ...).
    instance_type_name: Required[str]


class BulkLaunchOptions(_CommonLaunchOptions, total=False):
    """``LaunchOptions`` as ``launch_many`` takes them: the instance type is optional, since
    ``launch_many(instance_type_names=[...])`` may name several instead."""

    #: The instance type (``gpu_1x_a10``, ...), unless ``instance_type_names`` is given.
    instance_type_name: NotRequired[str]
