"""Support tickets and their attachments, with an upload store the emulator serves itself."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any

from multidict import MultiMapping

from .errors import ApiError, invalid
from .model import Account, Attachment, Ticket
from .validation import integer, obj, optional_string, string
from .world import World

__all__ = ["STORAGE_PREFIX", "Tickets"]

#: Where the emulator's own "object storage" lives (outside ``/api/v1``; no API key needed).
STORAGE_PREFIX = "/_storage/"
URL_LIFETIME = 3600
STATUSES = ("open", "on_hold", "pending", "solved", "confirm_solved")
TYPES = ("service_request", "incident", "automated_event")
SEVERITIES = ("sev_1", "sev_2", "sev_3")
UPLOAD_STATUSES = ("pending", "uploaded", "failed", "deleted")


def _choice(value: Any, path: str, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise invalid(f"{path}: Input should be {', '.join(repr(a) for a in allowed)}")
    return str(value)


def _ticket_not_found() -> ApiError:
    return ApiError("global/not-found", "Ticket not found.", "Check the ticket ID and try again.")


def _attachment_not_found() -> ApiError:
    return ApiError(
        "global/object-does-not-exist",
        "Attachment not found.",
        "Check the attachment ID and try again.",
    )


class Tickets:
    """The ``/tickets`` operations, on the world's accounts."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.page_size = 25
        self._store: dict[str, Attachment] = {}  # by URL token
        self._seq = 0

    def _now(self) -> str:
        return self.world.iso(self.world.clock())

    def _ticket(self, account: Account, ticket_id: str) -> Ticket:
        ticket = account.tickets.get(ticket_id)
        if ticket is None:
            raise _ticket_not_found()
        return ticket

    def _attachment(self, ticket: Ticket, attachment_id: str) -> Attachment:
        found = ticket.attachments.get(attachment_id)
        if found is None or found.status == "deleted":
            raise _attachment_not_found()
        return found

    # -- tickets -----------------------------------------------------------------------------

    def list(self, account: Account, query: MultiMapping[str]) -> dict[str, Any]:
        wanted = {
            field: {_choice(v, field, allowed) for v in query.getall(field, [])}
            for field, allowed in (("status", STATUSES), ("type", TYPES), ("severity", SEVERITIES))
        }
        order_by = _choice(
            query.get("order_by", "created_at"), "order_by", ("created_at", "updated_at")
        )
        descending = _choice(query.get("direction", "desc"), "direction", ("asc", "desc")) == "desc"
        offset = _decode(query["page_token"]) if "page_token" in query else 0
        with self.world.lock:
            chosen = [
                t
                for t in account.tickets.values()
                if all(not values or getattr(t, f) in values for f, values in wanted.items())
            ]
            chosen.sort(key=lambda t: (getattr(t, order_by), t.seq), reverse=descending)
            page = chosen[offset : offset + self.page_size]
            more = offset + self.page_size < len(chosen)
            token = _encode(offset + self.page_size) if more else None
            return {"tickets": [t.to_json() for t in page], "page_token": token}

    def create(self, account: Account, raw: Any) -> dict[str, Any]:
        body = obj(
            raw,
            "",
            required=("subject", "description", "type"),
            optional=("severity", "ip", "instance_id", "cluster_id"),
        )
        subject = string(body["subject"], "subject")
        description = string(body["description"], "description")
        kind = _choice(body["type"], "type", ("incident", "service_request"))
        severity = None
        if "severity" in body:
            severity = _choice(body["severity"], "severity", SEVERITIES)
        for field in ("ip", "instance_id", "cluster_id"):
            optional_string(body, field)
        if kind == "incident" and severity is None:
            raise invalid("severity: required for an incident")
        if kind == "service_request" and severity is not None:
            raise invalid("severity: must not be given for a service request")
        with self.world.lock:
            self._seq += 1
            now = self._now()
            ticket = Ticket(
                id=self.world.new_id(),
                seq=self._seq,
                subject=subject,
                description=description,
                type=kind,
                severity=severity,
                status="open",
                created_at=now,
                updated_at=now,
                external_ticket_id=str(100000 + self._seq),
                comments=[{"body": description, "author": account.email, "created_at": now}],
            )
            account.tickets[ticket.id] = ticket
            return ticket.summary()

    def get(self, account: Account, ticket_id: str) -> dict[str, Any]:
        with self.world.lock:
            return self._ticket(account, ticket_id).to_json()

    def update(self, account: Account, ticket_id: str, raw: Any) -> dict[str, Any]:
        body = obj(raw, "", optional=("status", "severity", "comment"))
        status = _choice(body["status"], "status", ("solved",)) if "status" in body else None
        severity = None
        if "severity" in body:
            severity = _choice(body["severity"], "severity", SEVERITIES)
        comment = None
        if "comment" in body:
            comment = string(
                obj(body["comment"], "comment", required=("body",))["body"], "comment.body"
            )
        with self.world.lock:
            ticket = self._ticket(account, ticket_id)
            now = self._now()
            if status is not None and ticket.status != "solved":
                ticket.status, ticket.resolved_at = status, now
            if severity is not None:
                ticket.severity = severity
            if comment is not None:
                ticket.comments.append(
                    {"body": comment, "author": account.email, "created_at": now}
                )
            ticket.updated_at = now
            return {}

    # -- attachments -------------------------------------------------------------------------

    def list_attachments(
        self, account: Account, ticket_id: str, query: MultiMapping[str]
    ) -> dict[str, Any]:
        status = _choice(query.get("status", "uploaded"), "status", UPLOAD_STATUSES)
        with self.world.lock:
            ticket = self._ticket(account, ticket_id)
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
            ticket = self._ticket(account, ticket_id)
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
            attachment = self._attachment(self._ticket(account, ticket_id), attachment_id)
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
            attachment = self._attachment(self._ticket(account, ticket_id), attachment_id)
            attachment.status, attachment.data = "deleted", None
            self._store.pop(attachment.token, None)
            return {}

    def download(
        self, account: Account, ticket_id: str, attachment_id: str, origin: str
    ) -> dict[str, Any]:
        with self.world.lock:
            attachment = self._attachment(self._ticket(account, ticket_id), attachment_id)
            if attachment.status != "uploaded":
                raise invalid("attachment: its upload has not been completed")
            url = _storage_url(origin, attachment.token)
            return {"download_url": url, "expires_in": URL_LIFETIME}

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


def _storage_url(origin: str, token: str) -> str:
    return f"{origin}{STORAGE_PREFIX}{token}?X-Expires={URL_LIFETIME}"


def _encode(offset: int) -> str:
    return base64.urlsafe_b64encode(f"tickets:{offset}".encode()).decode().rstrip("=")


def _decode(token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, _, offset = raw.partition(":")
        if prefix != "tickets" or not offset.isdigit():
            raise ValueError(token)
        return int(offset)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid(
            "page_token: not a page token this API issued",
            "Pass the page_token from the previous response unchanged.",
        ) from None
