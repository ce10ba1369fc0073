"""The API's data models: plain, slotted, keyword-only attrs classes."""

from ._base import OpenEnum
from .instance_types import InstanceType, InstanceTypesItem, InstanceTypeSpecs
from .instances import (
    TERMINAL_STATUSES,
    FilesystemMountEntry,
    FirewallRulesetEntry,
    ImageSpecification,
    ImageSpecificationFamily,
    ImageSpecificationID,
    Instance,
    InstanceActionAvailability,
    InstanceActionAvailabilityDetails,
    InstanceActionUnavailableCode,
    InstanceStatus,
    LaunchInstanceRequest,
    RequestedFilesystemMountEntry,
    RequestedTagEntry,
    TagEntry,
)
from .regions import Region
from .ssh_keys import GeneratedSSHKey, SSHKey

__all__ = [
    "TERMINAL_STATUSES",
    "FilesystemMountEntry",
    "FirewallRulesetEntry",
    "GeneratedSSHKey",
    "ImageSpecification",
    "ImageSpecificationFamily",
    "ImageSpecificationID",
    "Instance",
    "InstanceActionAvailability",
    "InstanceActionAvailabilityDetails",
    "InstanceActionUnavailableCode",
    "InstanceStatus",
    "InstanceType",
    "InstanceTypeSpecs",
    "InstanceTypesItem",
    "LaunchInstanceRequest",
    "OpenEnum",
    "Region",
    "RequestedFilesystemMountEntry",
    "RequestedTagEntry",
    "SSHKey",
    "TagEntry",
]
