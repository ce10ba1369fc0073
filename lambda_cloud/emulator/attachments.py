"""Ticket attachments: ``/tickets/{ticket_id}/attachments[...]``, and the object storage their
presigned URLs point at, which the emulator serves itself under ``/_storage/`` (outside
``/api/v1``; no API key needed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
from aiohttp import web
from multidict import MultiMapping

from .errors import ApiError, invalid
from .model import Account
from .routing import MAX_BODY_BYTES, Call, Route
from .tickets import Ticket, find_ticket
from .validation import choice, integer, obj, string

if TYPE_CHECKING:
    from .world import World

__all__ = ["STORAGE_PREFIX", "Attachment", "Attachments"]

#: Where the emulator's own "object storage" lives (outside ``/api/v1``; no API key needed).
STORAGE_PREFIX = "/_storage/"
URL_LIFETIME = 3600
UPLOAD_STATUSES = ("pending", "uploaded", "failed", "deleted")


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


def _find(ticket: Ticket, attachment_id: str) -> Attachment:
    found = ticket.attachments.get(attachment_id)
    if found is None or found.status == "deleted":
        raise ApiError(
            "global/object-does-not-exist",
            "Attachment not found.",
            "Check the attachment ID and try again.",
        )
    return found


def _storage_url(origin: str, token: str) -> str:
    return f"{origin}{STORAGE_PREFIX}{token}?X-Expires={URL_LIFETIME}"


class Attachments:
    """The attachment endpoints, and the storage behind their URLs."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._store: dict[str, Attachment] = {}  # by URL token

    def routes(self) -> list[Route]:
        one = "/tickets/{ticket_id}/attachments/{attachment_id}"
        return [
            Route("GET", "/tickets/{ticket_id}/attachments", self._list),
            Route("POST", "/tickets/{ticket_id}/attachments", self._initiate),
            Route("DELETE", one, self._delete),
            Route("POST", one + "/complete", self._complete),
            Route("GET", one + "/download", self._download),
        ]

    def _now(self) -> str:
        return self.world.iso(self.world.clock())

    def _attachment(self, account: Account, ticket_id: str, attachment_id: str) -> Attachment:
        return _find(find_ticket(account, ticket_id), attachment_id)

    # -- state -------------------------------------------------------------------------------

    def list_attachments(
        self, account: Account, ticket_id: str, query: MultiMapping[str]
    ) -> dict[str, Any]:
        status = choice(query.get("status", "uploaded"), "status", UPLOAD_STATUSES)
        with self.world.lock:
            ticket = find_ticket(account, ticket_id)
            shown = [a.to_json() for a in ticket.attachments.values() if a.status == status]
            return {"attachments": shown}

    def initiate(self, account: Account, ticket_id: str, raw: Any, origin: str) -> dict[str, Any]:
        body = obj(raw, "", required=("filename", "content_type", "size_bytes"))
        filename = string(body["filename"], "filename", max_length=255)
        content_type = string(body["content_type"], "content_type")
        size = integer(body["size_bytes"], "size_bytes")
        if size < 1:
            raise invalid("size_bytes: Input should be greater than or equal to 1")
        with self.world.lock:
            ticket = find_ticket(account, ticket_id)
            attachment = Attachment(
                id=self.world.new_id(),
                filename=filename,
                content_type=content_type,
                size_bytes=size,
                created_at=self._now(),
                token=self.world.new_id() + self.world.new_id(),
            )
            ticket.attachments[attachment.id] = attachment
            self._store[attachment.token] = attachment
            return {
                "attachment_id": attachment.id,
                "upload_url": _storage_url(origin, attachment.token),
                "upload_method": "PUT",
                "upload_status": "pending",
                "expires_in": URL_LIFETIME,
            }

    def complete(self, account: Account, ticket_id: str, attachment_id: str) -> dict[str, Any]:
        with self.world.lock:
            attachment = self._attachment(account, ticket_id, attachment_id)
            if attachment.data is None:
                raise invalid(
                    "attachment: nothing was uploaded to its upload_url",
                    "Upload the file to the upload_url first, then complete the upload.",
                )
            if attachment.status == "pending":
                attachment.status, attachment.uploaded_at = "uploaded", self._now()
            return attachment.to_json()

    def delete_attachment(
        self, account: Account, ticket_id: str, attachment_id: str
    ) -> dict[str, Any]:
        with self.world.lock:
            attachment = self._attachment(account, ticket_id, attachment_id)
            attachment.status, attachment.data = "deleted", None
            self._store.pop(attachment.token, None)
            return {}

    def download(
        self, account: Account, ticket_id: str, attachment_id: str, origin: str
    ) -> dict[str, Any]:
        with self.world.lock:
            attachment = self._attachment(account, ticket_id, attachment_id)
            if attachment.status != "uploaded":
                raise invalid("attachment: its upload has not been completed")
            url = _storage_url(origin, attachment.token)
            return {"download_url": url, "expires_in": URL_LIFETIME}

    # -- handlers ----------------------------------------------------------------------------

    def _list(self, call: Call) -> dict[str, Any]:
        ticket = call.params["ticket_id"]
        return self.list_attachments(call.account, ticket, call.query)

    def _initiate(self, call: Call) -> dict[str, Any]:
        ticket = call.params["ticket_id"]
        return self.initiate(call.account, ticket, call.body(), call.origin)

    def _complete(self, call: Call) -> dict[str, Any]:
        ticket, attachment = call.params["ticket_id"], call.params["attachment_id"]
        return self.complete(call.account, ticket, attachment)

    def _delete(self, call: Call) -> dict[str, Any]:
        ticket, attachment = call.params["ticket_id"], call.params["attachment_id"]
        return self.delete_attachment(call.account, ticket, attachment)

    def _download(self, call: Call) -> dict[str, Any]:
        ticket, attachment = call.params["ticket_id"], call.params["attachment_id"]
        return self.download(call.account, ticket, attachment, call.origin)

    # -- the storage the presigned URLs point at ---------------------------------------------

    def stored(self, token: str) -> Attachment | None:
        with self.world.lock:
            return self._store.get(token)

    def put(self, token: str, data: bytes) -> str | None:
        """Store an upload; the refusal text, or None when accepted."""
        with self.world.lock:
            attachment = self._store.get(token)
            if attachment is None or attachment.status != "pending":
                return "NoSuchUpload"
            if len(data) != attachment.size_bytes:
                return "SizeMismatch"
            attachment.data = data
            return None

    async def serve_storage(self, request: web.Request, token: str) -> web.StreamResponse:
        """``/_storage/<token>``: PUT stores an upload, GET serves it."""
        if request.method == "PUT":
            return await self._storage_put(request, token)
        if request.method == "GET":
            return self._storage_get(token)
        return _storage_error(405, "MethodNotAllowed")

    async def _storage_put(self, request: web.Request, token: str) -> web.Response:
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return _storage_error(413, "EntityTooLarge")
        try:
            data = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _storage_error(413, "EntityTooLarge")
        refused = self.put(token, data)
        return _storage_error(400, refused) if refused else web.Response(status=200)

    def _storage_get(self, token: str) -> web.Response:
        stored = self.stored(token)
        if stored is None or stored.data is None or stored.status != "uploaded":
            return _storage_error(404, "NoSuchKey")
        kind = stored.content_type
        if not kind.isprintable() or not kind:
            kind = "application/octet-stream"
        return web.Response(body=stored.data, headers={"Content-Type": kind})


def _storage_error(status: int, code: str) -> web.Response:
    """An error in the XML shape object stores use."""
    body = f"<?xml version='1.0'?><Error><Code>{code}</Code></Error>"
    return web.Response(text=body, status=status, content_type="application/xml")
