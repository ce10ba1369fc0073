"""Fleets: a named desired state (``count`` instances of these types, in these regions, under
this spend ceiling) that converges, stays converged, and says what it will do first.

``client.fleets`` plans, applies, watches, inspects and deletes them; this package holds the
``Fleet`` description, its loading from TOML or JSON, the pure plan computed from an instance
list, and the reports. See docs/fleets.md.
"""

from .plan import fleet_names, fleet_status, plan_fleet
from .reports import (
    FleetApplyError,
    FleetApplyReport,
    FleetMember,
    FleetPlan,
    FleetStatus,
    Reason,
    SlotChange,
)
from .spec import (
    DEFAULT_BOOT_TIMEOUT,
    DEFAULT_UNHEALTHY_TIMEOUT,
    FLEET_RUN_PREFIX,
    Fleet,
    check_fleet_name,
    fleet_name_of,
    fleet_run_id,
    load_fleet,
)

__all__ = [
    "DEFAULT_BOOT_TIMEOUT",
    "DEFAULT_UNHEALTHY_TIMEOUT",
    "FLEET_RUN_PREFIX",
    "Fleet",
    "FleetApplyError",
    "FleetApplyReport",
    "FleetMember",
    "FleetPlan",
    "FleetStatus",
    "Reason",
    "SlotChange",
    "check_fleet_name",
    "fleet_name_of",
    "fleet_names",
    "fleet_run_id",
    "fleet_status",
    "load_fleet",
    "plan_fleet",
]
