"""The API's data models: plain, slotted, keyword-only attrs classes."""

from ._base import OpenEnum
from .audit_events import AuditEvent, AuditEventsPage
from .file_systems import Filesystem, User, UserStatus
from .firewall import FirewallRule, FirewallRuleset, GlobalFirewallRuleset, NetworkProtocol
from .images import Image, ImageArchitecture
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
    "AuditEvent",
    "AuditEventsPage",
    "Filesystem",
    "FilesystemMountEntry",
    "FirewallRule",
    "FirewallRuleset",
    "FirewallRulesetEntry",
    "GeneratedSSHKey",
    "GlobalFirewallRuleset",
    "Image",
    "ImageArchitecture",
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
    "NetworkProtocol",
    "OpenEnum",
    "Region",
    "RequestedFilesystemMountEntry",
    "RequestedTagEntry",
    "SSHKey",
    "TagEntry",
    "User",
    "UserStatus",
]
