"""The API's data models: plain, slotted, keyword-only attrs classes.

Each is imported from its module on first use (``lambda_cloud.types.Instance``), so that
importing the package, or ``lambda_cloud``, loads no model and not attrs.
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from ._base import OpenEnum
    from .audit_events import AuditEvent, AuditEventsPage
    from .fabric import FabricPartition
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
    from .launch import (
        BulkLaunchOptions,
        FileSystemMountParam,
        FirewallRulesetParam,
        ImageFamilyParam,
        ImageIdParam,
        ImageParam,
        LaunchOptions,
        RulesetsParam,
        TagParam,
        TagsParam,
    )
    from .params import FirewallRuleParam, FirewallRulesParam
    from .regions import Region
    from .ssh_keys import GeneratedSSHKey, SSHKey
    from .tickets import (
        Attachment,
        AttachmentDownload,
        AttachmentUpload,
        AttachmentUploadStatus,
        SortDirection,
        Ticket,
        TicketComment,
        TicketCreated,
        TicketOrderBy,
        TicketRequestType,
        TicketSeverity,
        TicketsPage,
        TicketStatus,
        TicketType,
    )

#: Each exported name and the module (in this package) that defines it.
_LAZY = {
    "OpenEnum": "_base",
    **dict.fromkeys(("AuditEvent", "AuditEventsPage"), "audit_events"),
    "FabricPartition": "fabric",
    **dict.fromkeys(("Filesystem", "User", "UserStatus"), "file_systems"),
    **dict.fromkeys(
        (
            "FirewallRule",
            "FirewallRuleset",
            "GlobalFirewallRuleset",
            "NetworkProtocol",
        ),
        "firewall",
    ),
    **dict.fromkeys(("Image", "ImageArchitecture"), "images"),
    **dict.fromkeys(("InstanceType", "InstanceTypesItem", "InstanceTypeSpecs"), "instance_types"),
    **dict.fromkeys(
        (
            "TERMINAL_STATUSES",
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
        ),
        "instances",
    ),
    **dict.fromkeys(
        (
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
        ),
        "launch",
    ),
    **dict.fromkeys(("FirewallRuleParam", "FirewallRulesParam"), "params"),
    "Region": "regions",
    **dict.fromkeys(("GeneratedSSHKey", "SSHKey"), "ssh_keys"),
    **dict.fromkeys(
        (
            "Attachment",
            "AttachmentDownload",
            "AttachmentUpload",
            "AttachmentUploadStatus",
            "SortDirection",
            "Ticket",
            "TicketComment",
            "TicketCreated",
            "TicketOrderBy",
            "TicketRequestType",
            "TicketSeverity",
            "TicketsPage",
            "TicketStatus",
            "TicketType",
        ),
        "tickets",
    ),
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

__all__ = [
    "TERMINAL_STATUSES",
    "BulkLaunchOptions",
    "FileSystemMountParam",
    "FirewallRuleParam",
    "FirewallRulesParam",
    "FirewallRulesetParam",
    "ImageFamilyParam",
    "ImageIdParam",
    "ImageParam",
    "LaunchOptions",
    "RulesetsParam",
    "TagParam",
    "TagsParam",
    "Attachment",
    "AttachmentDownload",
    "AttachmentUpload",
    "AttachmentUploadStatus",
    "AuditEvent",
    "AuditEventsPage",
    "FabricPartition",
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
    "SortDirection",
    "TagEntry",
    "Ticket",
    "TicketComment",
    "TicketCreated",
    "TicketOrderBy",
    "TicketRequestType",
    "TicketSeverity",
    "TicketStatus",
    "TicketType",
    "TicketsPage",
    "User",
    "UserStatus",
]
