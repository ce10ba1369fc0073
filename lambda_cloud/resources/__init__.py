"""One module per resource group of the API."""

from .audit_events import AsyncAuditEvents
from .file_systems import AsyncFileSystems
from .firewall import AsyncFirewall, AsyncFirewallRules, AsyncFirewallRulesets
from .images import AsyncImages
from .instance_types import AsyncInstanceTypes
from .instances import AsyncInstances
from .regions import AsyncRegions
from .ssh_keys import AsyncSSHKeys

__all__ = [
    "AsyncAuditEvents",
    "AsyncFileSystems",
    "AsyncFirewall",
    "AsyncFirewallRules",
    "AsyncFirewallRulesets",
    "AsyncImages",
    "AsyncInstanceTypes",
    "AsyncInstances",
    "AsyncRegions",
    "AsyncSSHKeys",
]
