"""One module per resource group of the API, each imported when the client first uses it."""

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .audit_events import AsyncAuditEvents
    from .fabric import AsyncFabricPartitions
    from .file_systems import AsyncFileSystems
    from .firewall import AsyncFirewall, AsyncFirewallRules, AsyncFirewallRulesets
    from .images import AsyncImages
    from .instance_types import AsyncInstanceTypes
    from .instances import AsyncInstances
    from .regions import AsyncRegions
    from .ssh_keys import AsyncSSHKeys
    from .tickets import AsyncTicketAttachments, AsyncTickets

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "AsyncAuditEvents": "audit_events",
        "AsyncFabricPartitions": "fabric",
        "AsyncFileSystems": "file_systems",
        "AsyncFirewall": "firewall",
        "AsyncFirewallRules": "firewall",
        "AsyncFirewallRulesets": "firewall",
        "AsyncImages": "images",
        "AsyncInstanceTypes": "instance_types",
        "AsyncInstances": "instances",
        "AsyncRegions": "regions",
        "AsyncSSHKeys": "ssh_keys",
        "AsyncTicketAttachments": "tickets",
        "AsyncTickets": "tickets",
    },
)

__all__ = [
    "AsyncAuditEvents",
    "AsyncFabricPartitions",
    "AsyncFileSystems",
    "AsyncFirewall",
    "AsyncFirewallRules",
    "AsyncFirewallRulesets",
    "AsyncImages",
    "AsyncInstanceTypes",
    "AsyncInstances",
    "AsyncRegions",
    "AsyncSSHKeys",
    "AsyncTicketAttachments",
    "AsyncTickets",
]
