"""File systems: ``GET /file-systems``, and create and delete on both ``/filesystems`` (the spec's
spelling) and ``/file-systems``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import attrs

from .catalog import REGIONS, region_json
from .errors import ApiError, invalid
from .model import Account
from .routing import Call, Route
from .validation import obj, string

if TYPE_CHECKING:
    from .audit import AuditLog
    from .world import World

__all__ = ["FILESYSTEM_NAME", "Filesystem", "Filesystems", "default_mount"]

FILESYSTEM_NAME = re.compile(r"^[a-zA-Z]+[0-9a-zA-Z-]*$")


@attrs.define(kw_only=True, eq=False)
class Filesystem:
    id: str
    name: str
    region: str
    created: str
    bytes_used: int = 0


def default_mount(fs: Filesystem) -> str:
    """Where an instance mounts ``fs`` unless the launch says otherwise."""
    return f"/lambda/nfs/{fs.name}"


def _in_use(account: Account, fs_id: str, now: float) -> bool:
    """Whether an instance that has not yet terminated mounts it."""
    return any(
        fs_id in instance.file_system_ids and instance.holds_capacity(now)
        for instance in account.instances.values()
    )


def _to_json(account: Account, fs: Filesystem, now: float) -> dict[str, Any]:
    return {
        "id": fs.id,
        "name": fs.name,
        "mount_point": default_mount(fs),
        "created": fs.created,
        "created_by": {"id": account.user_id, "email": account.email, "status": "active"},
        "is_in_use": _in_use(account, fs.id, now),
        "region": region_json(fs.region),
        "bytes_used": fs.bytes_used,
    }


def _check_new(account: Account, name: str, region: str) -> None:
    """The checks a new file system passes, in the API's order (after the billing address)."""
    if region not in REGIONS:
        raise invalid(f"region: unknown region {region!r}", "Use GET /regions to see the regions.")
    if any(fs.name == name for fs in account.filesystems.values()):
        raise ApiError(
            "global/duplicate",
            f"A filesystem named {name!r} already exists.",
            "Choose another name.",
        )
    quota = account.file_system_quota
    if quota is not None and len(account.filesystems) >= quota:
        raise ApiError("global/quota-exceeded")


class Filesystems:
    """The file system endpoints."""

    def __init__(self, world: World, audit: AuditLog) -> None:
        self.world = world
        self.audit = audit

    def routes(self) -> list[Route]:
        return [
            Route("GET", "/file-systems", self._list),
            # The spec creates and deletes on /filesystems; some clients use /file-systems.
            Route("POST", "/filesystems", self._create),
            Route("POST", "/file-systems", self._create),
            Route("DELETE", "/filesystems/{id}", self._delete),
            Route("DELETE", "/file-systems/{id}", self._delete),
        ]

    def list_filesystems(self, account: Account) -> list[dict[str, Any]]:
        with self.world.lock:
            now = self.world.settle()
            return [_to_json(account, fs, now) for fs in account.filesystems.values()]

    def create_filesystem(self, account: Account, name: str, region: str) -> dict[str, Any]:
        with self.world.lock:
            now = self.world.settle()
            if not account.billing_address_valid:
                raise ApiError("global/invalid-address")
            _check_new(account, name, region)
            fs = Filesystem(
                id=self.world.new_id(), name=name, region=region, created=self.world.iso(now)
            )
            account.filesystems[fs.id] = fs
            self.audit.record(account, "filesystem", "created", [fs.id], name=name, region=region)
            return _to_json(account, fs, now)

    def delete_filesystem(self, account: Account, fs_id: str) -> dict[str, Any]:
        with self.world.lock:
            now = self.world.settle()
            if fs_id not in account.filesystems:
                raise ApiError(
                    "global/object-does-not-exist",
                    "Filesystem was not found.",
                    "Check the filesystem's ID with GET /file-systems.",
                )
            if _in_use(account, fs_id, now):
                raise ApiError("filesystems/filesystem-in-use")
            del account.filesystems[fs_id]
            self.audit.record(account, "filesystem", "deleted", [fs_id])
            return {"deleted_ids": [fs_id]}

    def _list(self, call: Call) -> list[dict[str, Any]]:
        return self.list_filesystems(call.account)

    def _create(self, call: Call) -> dict[str, Any]:
        body = obj(call.body(), "", required=("name", "region"))
        name = string(body["name"], "name", min_length=1, max_length=60, pattern=FILESYSTEM_NAME)
        region = string(body["region"], "region", min_length=1)
        return self.create_filesystem(call.account, name, region)

    def _delete(self, call: Call) -> dict[str, Any]:
        return self.delete_filesystem(call.account, call.params["id"])
