"""Fabric partitions: ``POST /fabric`` creates one, ``POST /fabric/{id}`` renames it, and
``DELETE /fabric/{id}`` deletes it only while no instance is assigned
(``emu.assign_partition``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import attrs

from .catalog import REGIONS, region_json
from .errors import ApiError, invalid
from .model import Account
from .routing import Call, Route
from .validation import obj, optional_string, string

if TYPE_CHECKING:
    from .audit import AuditLog
    from .world import World

__all__ = ["Fabric", "Partition"]

PARTITION_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")


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


def _name(body: dict[str, Any]) -> str:
    return string(body["name"], "name", min_length=1, max_length=32, pattern=PARTITION_NAME)


def _not_found() -> ApiError:
    return ApiError("global/not-found", "Partition not found.", "Check the partition ID.")


class Fabric:
    """The ``/fabric`` operations, on the world's accounts."""

    def __init__(self, world: World, audit: AuditLog) -> None:
        self.world = world
        self.audit = audit

    def routes(self) -> list[Route]:
        return [
            Route("POST", "/fabric", self._create),
            Route("POST", "/fabric/{id}", self._update),
            Route("DELETE", "/fabric/{id}", self._delete),
        ]

    def create(self, account: Account, raw: Any) -> dict[str, Any]:
        body = obj(raw, "", required=("name", "region"), optional=("workspace_id",))
        name = _name(body)
        region = string(body["region"], "region")
        workspace = optional_string(body, "workspace_id") or account.id
        with self.world.lock:
            if region not in REGIONS:
                raise invalid(
                    f"region: unknown region {region!r}", "Use GET /regions to see the regions."
                )
            if workspace != account.id:
                raise ApiError(
                    "global/not-found", "Workspace not found.", "Omit workspace_id for yours."
                )
            partition = Partition(
                id=self.world.new_id(),
                name=name,
                region=region,
                workspace_id=workspace,
                created=self.world.iso(self.world.clock()),
            )
            account.partitions[partition.id] = partition
            self.audit.record(account, "fabric_partition", "created", [partition.id], name=name)
            return partition.to_json()

    def update(self, account: Account, partition_id: str, raw: Any) -> dict[str, Any]:
        name = _name(obj(raw, "", required=("name",)))
        with self.world.lock:
            partition = account.partitions.get(partition_id)
            if partition is None:
                raise _not_found()
            partition.name = name
            self.audit.record(account, "fabric_partition", "updated", [partition.id], name=name)
            return partition.to_json()

    def delete(self, account: Account, partition_id: str) -> dict[str, Any]:
        with self.world.lock:
            now = self.world.settle()
            if partition_id not in account.partitions:
                raise _not_found()
            if any(
                instance.fabric_partition_id == partition_id and instance.holds_capacity(now)
                for instance in account.instances.values()
            ):
                raise invalid(
                    "id: the partition has instances assigned to it",
                    "Terminate the partition's instances before deleting it.",
                )
            del account.partitions[partition_id]
            self.audit.record(account, "fabric_partition", "deleted", [partition_id])
            return {}

    def _create(self, call: Call) -> dict[str, Any]:
        return self.create(call.account, call.body())

    def _update(self, call: Call) -> dict[str, Any]:
        return self.update(call.account, call.params["id"], call.body())

    def _delete(self, call: Call) -> dict[str, Any]:
        return self.delete(call.account, call.params["id"])
