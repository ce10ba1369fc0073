"""Instances: the record and its timeline, its JSON, and the endpoints that read, rename, restart
and terminate one (launching is ``launch.py``'s). Also the test knobs ``preempt`` and
``set_unhealthy``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from .catalog import INSTANCE_TYPES, region_json
from .errors import ApiError
from .model import Account
from .routing import Call, Route
from .validation import obj, optional_string, string_array

if TYPE_CHECKING:
    from .audit import AuditLog
    from .world import World

__all__ = ["Instance", "Instances", "instance_ids", "instance_not_found"]

_ACTIONS = ("migrate", "rebuild", "restart", "cold_reboot", "terminate")
_ENDED = ("terminated", "preempted")


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

    def _blocked(self, now: float) -> tuple[str, str] | None:
        """Why actions other than terminate are unavailable now (reason code, description)."""
        status = self.status(now)
        if status in ("terminating", *_ENDED):
            return "vm-is-terminating", f"The instance is {status}."
        if status != "booting":
            return None
        if now < self.first_ready_at:
            return "vm-has-not-launched", "The instance has not finished launching."
        return "vm-action-in-progress", "The instance is restarting."

    def actions(self, now: float) -> dict[str, dict[str, Any]]:
        blocked = self._blocked(now)
        terminate_ok = self.status(now) not in ("terminating", *_ENDED)
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

    def _type_json(self) -> dict[str, Any]:
        shown = INSTANCE_TYPES[self.instance_type].to_json()
        shown["price_cents_per_hour"] = self.price_cents_per_hour
        return shown

    def to_json(self, now: float) -> dict[str, Any]:
        """The Instance object as ``GET /instances`` shows it at ``now``."""
        out: dict[str, Any] = {"id": self.id}
        if self.name:
            out["name"] = self.name
        launched = self.has_launched(now)
        if launched:
            out.update(ip=self.ip, private_ip=self.private_ip)
        out["status"] = self.status(now)
        out["ssh_key_names"] = list(self.ssh_key_names)
        out["file_system_names"] = list(self.file_system_names)
        if self.file_system_mounts:
            out["file_system_mounts"] = [dict(m) for m in self.file_system_mounts]
        out["region"] = region_json(self.region)
        out["instance_type"] = self._type_json()
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


def instance_not_found(instance_id: str) -> ApiError:
    return ApiError(
        "global/object-does-not-exist",
        "Specified instance does not exist.",
        f"Check the instance ID {instance_id!r}; terminated instances disappear after a while.",
    )


def instance_ids(body: Any) -> list[str]:
    """The ``{instance_ids: [...]}`` body of restart and terminate, duplicates dropped."""
    body = obj(body, "", required=("instance_ids",))
    ids = string_array(body["instance_ids"], "instance_ids", min_items=1)
    return list(dict.fromkeys(ids))


def _check_restartable(instance: Instance, now: float) -> None:
    status = instance.status(now)
    if status not in ("active", "unhealthy"):
        raise ApiError(
            "global/conflict",
            f"Instance {instance.id} is {status}; only an active or unhealthy "
            "instance can be restarted.",
            "Wait until the instance is active, then try again.",
        )


class Instances:
    """The instance endpoints (but launch) and the instance test knobs."""

    def __init__(self, world: World, audit: AuditLog) -> None:
        self.world = world
        self.audit = audit

    def routes(self) -> list[Route]:
        return [
            Route("GET", "/instances", self._list),
            Route("GET", "/instances/{id}", self._get),
            Route("POST", "/instances/{id}", self._rename),
            Route("POST", "/instance-operations/restart", self._restart),
            Route("POST", "/instance-operations/terminate", self._terminate),
        ]

    # -- state -------------------------------------------------------------------------------

    def list_instances(self, account: Account, cluster_id: str | None = None) -> list[Any]:
        with self.world.lock:
            now = self.world.settle()
            return [
                instance.to_json(now)
                for instance in account.instances.values()
                if not cluster_id or instance.cluster_id == cluster_id
            ]

    def rendered(self, account: Account, *, include_gone: bool) -> list[dict[str, Any]]:
        with self.world.lock:
            now = self.world.settle()
            shown = list(account.instances.values())
            if include_gone:
                shown = list(account.gone.values()) + shown
            return [instance.to_json(now) for instance in shown]

    def _visible(self, account: Account, instance_id: str) -> Instance:
        instance = account.instances.get(instance_id)
        if instance is None:
            raise instance_not_found(instance_id)
        return instance

    def get_instance(self, account: Account, instance_id: str) -> dict[str, Any]:
        with self.world.lock:
            now = self.world.settle()
            return self._visible(account, instance_id).to_json(now)

    def rename_instance(
        self, account: Account, instance_id: str, name: str | None
    ) -> dict[str, Any]:
        with self.world.lock:
            now = self.world.settle()
            instance = self._visible(account, instance_id)
            if name is not None:
                instance.name = name or None
                self.audit.record(account, "instance", "updated", [instance.id], name=name)
            return instance.to_json(now)

    def restart(self, account: Account, instance_ids: list[str]) -> list[dict[str, Any]]:
        with self.world.lock:
            now = self.world.settle()
            instances = [self._visible(account, i) for i in instance_ids]
            for instance in instances:
                _check_restartable(instance, now)
            for instance in instances:
                instance.ready_at = now + self.world.restart_delay
                self.audit.record(account, "instance", "restarted", [instance.id])
            return [instance.to_json(now) for instance in instances]

    def terminate(self, account: Account, instance_ids: list[str]) -> list[dict[str, Any]]:
        with self.world.lock:
            now = self.world.settle()
            instances = [self._visible(account, i) for i in instance_ids]
            for instance in instances:
                if instance.terminate_requested_at is None:
                    instance.terminate_requested_at = now
                    instance.ended_at = now + self.world.terminate_delay
                    self.world.expect(instance.ended_at)
                    self.audit.record(account, "instance", "terminated", [instance.id])
            return [instance.to_json(now) for instance in instances]

    def preempt(self, instance_id: str) -> None:
        with self.world.lock:
            now = self.world.settle()
            _, instance = self.world.find_instance(instance_id)
            if instance.ended_at is None or instance.ended_at > now:
                instance.terminate_requested_at = instance.terminate_requested_at or now
                instance.ended_at = now
                instance.preempted = True
                self.world.expect(now)

    def set_unhealthy(self, instance_id: str, unhealthy: bool, api_key: str | None) -> None:
        with self.world.lock:
            if api_key is None:
                _, instance = self.world.find_instance(instance_id)
            else:
                self.world.settle()
                account = self.world.account(api_key)
                if account is None:
                    raise KeyError("no account has this API key")
                if instance_id not in account.instances:
                    raise KeyError(instance_id)
                instance = account.instances[instance_id]
            instance.unhealthy = unhealthy

    # -- handlers ----------------------------------------------------------------------------

    def _list(self, call: Call) -> list[Any]:
        return self.list_instances(call.account, call.query.get("cluster_id"))

    def _get(self, call: Call) -> dict[str, Any]:
        return self.get_instance(call.account, call.params["id"])

    def _rename(self, call: Call) -> dict[str, Any]:
        body = obj(call.body(), "", optional=("name",))
        name = optional_string(body, "name", max_length=64)
        return self.rename_instance(call.account, call.params["id"], name)

    def _restart(self, call: Call) -> dict[str, Any]:
        ids = instance_ids(call.body())
        return {"restarted_instances": self.restart(call.account, ids)}

    def _terminate(self, call: Call) -> dict[str, Any]:
        ids = instance_ids(call.body())
        return {"terminated_instances": self.terminate(call.account, ids)}
