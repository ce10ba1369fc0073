"""The emulator's own records for what an account owns, and how each renders as JSON."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from .catalog import INSTANCE_TYPES, region_json

__all__ = [
    "Account",
    "Attachment",
    "AuditEvent",
    "Filesystem",
    "Instance",
    "LaunchAttempt",
    "Partition",
    "Ruleset",
    "SshKey",
    "Ticket",
]

_ACTIONS = ("migrate", "rebuild", "restart", "cold_reboot", "terminate")
_ENDED = ("terminated", "preempted")


@attrs.define(kw_only=True, eq=False)
class SshKey:
    id: str
    name: str
    public_key: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "public_key": self.public_key}


@attrs.define(kw_only=True, eq=False)
class Filesystem:
    id: str
    name: str
    region: str
    created: str
    bytes_used: int = 0


@attrs.define(kw_only=True, eq=False)
class Ruleset:
    id: str
    name: str
    region: str
    rules: list[dict[str, Any]]
    created: str


@attrs.define(kw_only=True, eq=False)
class Partition:
    id: str
    name: str
    region: str
    workspace_id: str
    created: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created": self.created,
            "name": self.name,
            "workspace_id": self.workspace_id,
            "region": region_json(self.region),
        }


@attrs.define(kw_only=True, eq=False)
class Attachment:
    """A ticket attachment; ``data`` holds the bytes once uploaded to the emulator's storage."""

    id: str
    filename: str
    content_type: str
    size_bytes: int
    created_at: str
    token: str  # the unguessable part of its upload / download URL
    status: str = "pending"
    uploaded_at: str | None = None
    data: bytes | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "filename": self.filename,
            "content_type": self.content_type,
            "size_bytes": self.size_bytes,
            "upload_status": self.status,
            "created_at": self.created_at,
        }
        if self.uploaded_at is not None:
            out["uploaded_at"] = self.uploaded_at
        return out


@attrs.define(kw_only=True, eq=False)
class Ticket:
    id: str
    seq: int
    subject: str
    description: str
    type: str
    severity: str | None
    status: str
    created_at: str
    updated_at: str
    resolved_at: str | None = None
    external_ticket_id: str
    comments: list[dict[str, str]] = attrs.Factory(list)
    attachments: dict[str, Attachment] = attrs.Factory(dict)

    def summary(self) -> dict[str, Any]:
        """The TicketCreateResponse fields."""
        out: dict[str, Any] = {
            "id": self.id,
            "external_ticket_provider": "zendesk",
            "external_ticket_id": self.external_ticket_id,
            "status": self.status,
            "type": self.type,
            "created_at": self.created_at,
        }
        if self.severity is not None:
            out["severity"] = self.severity
        return out

    def to_json(self) -> dict[str, Any]:
        out = self.summary()
        out.update(
            subject=self.subject,
            description=self.description,
            updated_at=self.updated_at,
            comments=[dict(c) for c in self.comments],
        )
        if self.resolved_at is not None:
            out["resolved_at"] = self.resolved_at
        return out


@attrs.define(kw_only=True, eq=False)
class AuditEvent:
    seq: int
    time: dt.datetime
    body: dict[str, Any]

    @property
    def resource_type(self) -> str:
        return f"{self.body['service_name']}.{self.body['resource_name']}"


@attrs.define(kw_only=True, eq=False)
class Instance:
    """One instance and its timeline; its status is a pure function of the clock."""

    id: str
    name: str | None
    instance_type: str
    #: The type's price when the instance was launched: it keeps it through price changes.
    price_cents_per_hour: object
    region: str
    ssh_key_names: list[str]
    file_system_ids: list[str]
    file_system_names: list[str]
    file_system_mounts: list[dict[str, str]]
    tags: list[dict[str, str]]
    firewall_ruleset_ids: list[str]
    image_id: str
    user_data: str | None
    ip: str
    private_ip: str
    hostname: str
    jupyter_token: str
    cluster_id: str | None = None
    fabric_partition_id: str | None = None
    # Timeline, in clock seconds. ready_at moves on restart; first_ready_at never does.
    first_ready_at: float
    ready_at: float
    terminate_requested_at: float | None = None
    ended_at: float | None = None
    preempted: bool = False
    capacity_released: bool = False
    # Test knob: shown as "unhealthy" instead of "active" while set (never while booting or
    # terminating); it stays until cleared, across restarts.
    unhealthy: bool = False

    def status(self, now: float) -> str:
        if self.ended_at is not None and now >= self.ended_at:
            return "preempted" if self.preempted else "terminated"
        if self.terminate_requested_at is not None:
            return "terminating"
        if now < self.ready_at:
            return "booting"
        return "unhealthy" if self.unhealthy else "active"

    def holds_capacity(self, now: float) -> bool:
        """True until the instance reaches terminated (or preempted)."""
        return self.status(now) not in _ENDED

    def has_launched(self, now: float) -> bool:
        """Whether the first boot finished (before any terminate): only then has it an IP."""
        cutoff = now if self.terminate_requested_at is None else self.terminate_requested_at
        return self.first_ready_at <= min(now, cutoff)

    def actions(self, now: float) -> dict[str, dict[str, Any]]:
        status = self.status(now)
        blocked: tuple[str, str] | None = None
        terminate_ok = True
        if status in ("terminating", *_ENDED):
            blocked = ("vm-is-terminating", f"The instance is {status}.")
            terminate_ok = False
        elif status == "booting":
            if now < self.first_ready_at:
                blocked = ("vm-has-not-launched", "The instance has not finished launching.")
            else:
                blocked = ("vm-action-in-progress", "The instance is restarting.")
        out: dict[str, dict[str, Any]] = {}
        for action in _ACTIONS:
            ok = terminate_ok if action == "terminate" else blocked is None
            if ok or blocked is None:
                out[action] = {"available": True}
            else:
                code, description = blocked
                out[action] = {
                    "available": False,
                    "reason_code": code,
                    "reason_description": description,
                }
        return out

    def to_json(self, now: float) -> dict[str, Any]:
        """The Instance object as ``GET /instances`` shows it at ``now``."""
        out: dict[str, Any] = {"id": self.id}
        if self.name:
            out["name"] = self.name
        launched = self.has_launched(now)
        if launched:
            out["ip"] = self.ip
            out["private_ip"] = self.private_ip
        out["status"] = self.status(now)
        out["ssh_key_names"] = list(self.ssh_key_names)
        out["file_system_names"] = list(self.file_system_names)
        if self.file_system_mounts:
            out["file_system_mounts"] = [dict(m) for m in self.file_system_mounts]
        out["region"] = region_json(self.region)
        out["instance_type"] = INSTANCE_TYPES[self.instance_type].to_json()
        out["instance_type"]["price_cents_per_hour"] = self.price_cents_per_hour
        if launched:
            out["hostname"] = self.hostname
            out["jupyter_token"] = self.jupyter_token
            out["jupyter_url"] = (
                f"https://jupyter-{self.id}.lambdaspaces.com/?token={self.jupyter_token}"
            )
        out["actions"] = self.actions(now)
        out["tags"] = [dict(t) for t in self.tags]
        out["firewall_rulesets"] = [{"id": i} for i in self.firewall_ruleset_ids]
        return out


@attrs.frozen(kw_only=True)
class LaunchAttempt:
    """One launch request: where it went, whether the account's latest ``GET /instance-types``
    had shown capacity there (``listed``), and its outcome (``"ok"`` or the error code)."""

    instance_type: str
    region: str
    listed: bool
    outcome: str


@attrs.define(kw_only=True, eq=False)
class Account:
    """One API key's world, plus the knobs a test may turn.

    ``inactive`` answers every request with 403 ``global/account-inactive``;
    ``billing_address_valid=False`` answers launches and file-system creation with 403
    ``global/invalid-address``; a quota of ``None`` means unlimited, otherwise the count of
    live instances / file systems / rulesets allowed before 400 ``global/quota-exceeded``.
    """

    api_key: str = attrs.field(repr=False)  # never in a log line or a traceback's repr
    id: str
    user_id: str
    api_key_id: str
    email: str
    inactive: bool = False
    billing_address_valid: bool = True
    instance_quota: int | None = None
    file_system_quota: int | None = None
    ruleset_quota: int | None = None
    instances: dict[str, Instance] = attrs.Factory(dict)
    gone: dict[str, Instance] = attrs.Factory(dict)
    ssh_keys: dict[str, SshKey] = attrs.Factory(dict)
    filesystems: dict[str, Filesystem] = attrs.Factory(dict)
    rulesets: dict[str, Ruleset] = attrs.Factory(dict)
    global_rules: list[dict[str, Any]] = attrs.Factory(list)
    events: list[AuditEvent] = attrs.Factory(list)
    partitions: dict[str, Partition] = attrs.Factory(dict)
    tickets: dict[str, Ticket] = attrs.Factory(dict)
    #: The ``(type, region)`` pairs the latest ``GET /instance-types`` showed with capacity.
    listed_capacity: frozenset[tuple[str, str]] = frozenset()
    #: Every launch request that passed validation, in order.
    launch_attempts: list[LaunchAttempt] = attrs.Factory(list)

    @property
    def lrn(self) -> str:
        return f"lrn:cloud:account:{self.id}"
