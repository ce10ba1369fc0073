"""Instances, their status and actions, and the bodies of the instance operations."""

from __future__ import annotations

from typing import Any

import attrs

from .._converter import converter
from ._base import Lazy, LazyModel, Model, OpenEnum, lazy_field, raw_field
from .instance_types import InstanceType
from .regions import Region

__all__ = [
    "FilesystemMountEntry",
    "FirewallRulesetEntry",
    "ImageSpecification",
    "ImageSpecificationFamily",
    "ImageSpecificationID",
    "Instance",
    "InstanceActionAvailability",
    "InstanceActionAvailabilityDetails",
    "InstanceActionUnavailableCode",
    "InstanceStatus",
    "LaunchInstanceRequest",
    "RequestedFilesystemMountEntry",
    "RequestedTagEntry",
    "TagEntry",
    "TERMINAL_STATUSES",
]


class InstanceStatus(OpenEnum):
    """The lifecycle state of an instance."""

    BOOTING = "booting"
    ACTIVE = "active"
    UNHEALTHY = "unhealthy"
    TERMINATING = "terminating"
    TERMINATED = "terminated"
    PREEMPTED = "preempted"


#: States an instance never leaves.
TERMINAL_STATUSES = frozenset({InstanceStatus.TERMINATED, InstanceStatus.PREEMPTED})


class InstanceActionUnavailableCode(OpenEnum):
    """Why an action is blocked."""

    VM_HAS_NOT_LAUNCHED = "vm-has-not-launched"
    VM_IS_TOO_OLD = "vm-is-too-old"
    VM_IS_TERMINATING = "vm-is-terminating"
    VM_ACTION_IN_PROGRESS = "vm-action-in-progress"


@attrs.define(kw_only=True, repr=False)
class InstanceActionAvailabilityDetails(Model):
    """Whether one action is possible now, and if not, why."""

    available: bool
    reason_code: InstanceActionUnavailableCode | None = None
    reason_description: str | None = None


@attrs.define(kw_only=True, repr=False)
class InstanceActionAvailability(Model):
    """Which common operations the instance allows in its current state."""

    migrate: InstanceActionAvailabilityDetails
    rebuild: InstanceActionAvailabilityDetails
    restart: InstanceActionAvailabilityDetails
    cold_reboot: InstanceActionAvailabilityDetails
    terminate: InstanceActionAvailabilityDetails


@attrs.define(kw_only=True, repr=False)
class FilesystemMountEntry(Model):
    """Where a file system is mounted on an instance."""

    mount_point: str
    file_system_id: str


@attrs.define(kw_only=True, repr=False)
class TagEntry(Model):
    """A key/value tag on an instance."""

    key: str
    value: str


@attrs.define(kw_only=True, repr=False)
class FirewallRulesetEntry(Model):
    """A reference to a firewall ruleset by id."""

    id: str


# Model's repr and LazyModel's equality see the lazy fields by public name, built.
@attrs.define(kw_only=True, repr=False, eq=False)
class Instance(LazyModel):
    """An instance. ``ip``, ``hostname`` and the Jupyter fields are ``None`` while booting."""

    id: str
    status: InstanceStatus
    ssh_key_names: list[str]
    file_system_names: list[str]
    # Nested parts stay raw JSON (kept once, in ``_raw``) until first read (``Lazy``): most
    # callers of a large list read a few fields of each instance, and building every nested
    # object dominated parsing.
    _region: Region = lazy_field(alias="region")
    _instance_type: InstanceType = lazy_field(alias="instance_type")
    _actions: InstanceActionAvailability = lazy_field(alias="actions")
    name: str | None = None
    ip: str | None = None
    private_ip: str | None = None
    hostname: str | None = None
    jupyter_token: str | None = attrs.field(default=None, repr=False)
    jupyter_url: str | None = attrs.field(default=None, repr=False)
    _file_system_mounts: list[FilesystemMountEntry] | None = lazy_field(
        alias="file_system_mounts", default=None
    )
    _tags: list[TagEntry] | None = lazy_field(alias="tags", default=None)
    _firewall_rulesets: list[FirewallRulesetEntry] | None = lazy_field(
        alias="firewall_rulesets", default=None
    )
    _raw: tuple[Any, ...] | None = raw_field()

    region = Lazy[Region](Region)
    """The region the instance runs in."""
    instance_type = Lazy[InstanceType](InstanceType)
    """The instance's type, with its price and specs."""
    actions = Lazy[InstanceActionAvailability](InstanceActionAvailability)
    """Which operations the instance allows now."""
    file_system_mounts = Lazy[list[FilesystemMountEntry] | None](list[FilesystemMountEntry] | None)
    """Where file systems are mounted; ``None`` when none are."""
    tags = Lazy[list[TagEntry] | None](list[TagEntry] | None)
    """The instance's tags."""
    firewall_rulesets = Lazy[list[FirewallRulesetEntry] | None](list[FirewallRulesetEntry] | None)
    """The firewall rulesets attached to the instance."""

    def tag(self, key: str) -> str | None:
        """The value of tag ``key``, or ``None``."""
        for entry in self.tags or ():
            if entry.key == key:
                return entry.value
        return None


@attrs.define(kw_only=True, repr=False)
class RequestedFilesystemMountEntry(Model):
    """Mount file system ``file_system_id`` at ``mount_point`` (under /home, /lambda/nfs, /data)."""

    mount_point: str
    file_system_id: str


@attrs.define(kw_only=True, repr=False)
class RequestedTagEntry(Model):
    """A tag to set at launch: key ``^[a-z][a-z0-9-:]+$`` up to 55 chars, value up to 128."""

    key: str
    value: str


@attrs.define(kw_only=True, repr=False)
class ImageSpecificationID(Model):
    """Launch from the image with this id."""

    id: str


@attrs.define(kw_only=True, repr=False)
class ImageSpecificationFamily(Model):
    """Launch from the latest image of this family."""

    family: str


ImageSpecification = ImageSpecificationID | ImageSpecificationFamily


def _structure_image(value: Any, _: Any) -> ImageSpecification:
    if "id" in value:
        return ImageSpecificationID(id=value["id"])
    return ImageSpecificationFamily(family=value["family"])


# The union's members share no field, so the key present says which one it is.
converter.register_structure_hook(ImageSpecification, _structure_image)


@attrs.define(kw_only=True, repr=False)
class LaunchInstanceRequest(Model):
    """The body of ``POST /instance-operations/launch`` (one instance per call)."""

    region_name: str
    instance_type_name: str
    ssh_key_names: list[str]
    file_system_names: list[str] | None = None
    file_system_mounts: list[RequestedFilesystemMountEntry] | None = None
    hostname: str | None = None
    name: str | None = None
    image: ImageSpecification | None = None
    user_data: str | None = attrs.field(default=None, repr=False)
    tags: list[RequestedTagEntry] | None = None
    firewall_rulesets: list[FirewallRulesetEntry] | None = None
