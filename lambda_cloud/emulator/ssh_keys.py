"""SSH keys: ``GET/POST /ssh-keys`` and ``DELETE /ssh-keys/{id}`` (key pairs come from
``keys.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from .errors import ApiError, invalid
from .keys import generate_key_pair, is_public_key
from .model import Account
from .routing import Call, Route
from .validation import obj, optional_string, string

if TYPE_CHECKING:
    from .audit import AuditLog
    from .world import World

__all__ = ["SshKey", "SshKeys"]


@attrs.define(kw_only=True, eq=False)
class SshKey:
    id: str
    name: str
    public_key: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "public_key": self.public_key}


class SshKeys:
    """The SSH key endpoints."""

    def __init__(self, world: World, audit: AuditLog) -> None:
        self.world = world
        self.audit = audit

    def routes(self) -> list[Route]:
        return [
            Route("GET", "/ssh-keys", self._list),
            Route("POST", "/ssh-keys", self._add),
            Route("DELETE", "/ssh-keys/{id}", self._delete),
        ]

    def list_ssh_keys(self, account: Account) -> list[dict[str, Any]]:
        with self.world.lock:
            return [key.to_json() for key in account.ssh_keys.values()]

    def add_ssh_key(self, account: Account, name: str, public_key: str | None) -> dict[str, Any]:
        with self.world.lock:
            if any(key.name == name for key in account.ssh_keys.values()):
                # The spec lists only invalid-parameters for a 400 here (file systems, by
                # contrast, have global/duplicate).
                raise ApiError(
                    "global/invalid-parameters",
                    f"name: an SSH key named {name!r} already exists.",
                    "Choose another name, or delete the existing key first.",
                )
            public_key, private_key = self._key_pair(public_key)
            key = SshKey(id=self.world.new_id(), name=name, public_key=public_key.strip())
            account.ssh_keys[key.id] = key
            self.audit.record(account, "ssh_key", "created", [key.id], name=name)
            out = key.to_json()
            if private_key is not None:
                out["private_key"] = private_key
            return out

    def _key_pair(self, public_key: str | None) -> tuple[str, str | None]:
        """The given public key once checked, or a new pair (its private key returned once)."""
        if public_key is None:
            return generate_key_pair(self.world.rng)
        if not is_public_key(public_key):
            raise invalid(
                "public_key: not a valid OpenSSH public key",
                "Pass one line such as 'ssh-ed25519 AAAA... comment'.",
            )
        return public_key, None

    def delete_ssh_key(self, account: Account, key_id: str) -> dict[str, Any]:
        with self.world.lock:
            if account.ssh_keys.pop(key_id, None) is None:
                raise ApiError("global/not-found", suggestion="Check the SSH key's ID.")
            self.audit.record(account, "ssh_key", "deleted", [key_id])
            return {}

    def _list(self, call: Call) -> list[dict[str, Any]]:
        return self.list_ssh_keys(call.account)

    def _add(self, call: Call) -> dict[str, Any]:
        body = obj(call.body(), "", required=("name",), optional=("public_key",))
        name = string(body["name"], "name", min_length=1, max_length=64)
        public_key = optional_string(body, "public_key", min_length=1, max_length=4096)
        return self.add_ssh_key(call.account, name, public_key)

    def _delete(self, call: Call) -> dict[str, Any]:
        return self.delete_ssh_key(call.account, call.params["id"])
