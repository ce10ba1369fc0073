"""Support tickets: ``GET/POST /tickets`` and ``GET/PATCH /tickets/{ticket_id}`` (their
attachments are ``attachments.py``'s)."""

from __future__ import annotations

import base64
import binascii
import builtins
from typing import TYPE_CHECKING, Any

import attrs
from multidict import MultiMapping

from .errors import ApiError, invalid
from .model import Account
from .routing import Call, Route
from .validation import choice, obj, optional_string, string

if TYPE_CHECKING:
    from .attachments import Attachment
    from .world import World

__all__ = ["SEVERITIES", "Ticket", "Tickets", "find_ticket"]

STATUSES = ("open", "on_hold", "pending", "solved", "confirm_solved")
TYPES = ("service_request", "incident", "automated_event")
SEVERITIES = ("sev_1", "sev_2", "sev_3")


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


def find_ticket(account: Account, ticket_id: str) -> Ticket:
    """The account's ticket with this id (404 if none)."""
    ticket = account.tickets.get(ticket_id)
    if ticket is None:
        raise ApiError(
            "global/not-found", "Ticket not found.", "Check the ticket ID and try again."
        )
    return ticket


@attrs.frozen
class _NewTicket:
    subject: str
    description: str
    type: str
    severity: str | None


def _new_ticket(raw: Any) -> _NewTicket:
    """A valid TicketCreateRequest."""
    body = obj(
        raw,
        "",
        required=("subject", "description", "type"),
        optional=("severity", "ip", "instance_id", "cluster_id"),
    )
    subject = string(body["subject"], "subject")
    description = string(body["description"], "description")
    kind = choice(body["type"], "type", ("incident", "service_request"))
    severity = choice(body["severity"], "severity", SEVERITIES) if "severity" in body else None
    for field in ("ip", "instance_id", "cluster_id"):
        optional_string(body, field)
    if kind == "incident" and severity is None:
        raise invalid("severity: required for an incident")
    if kind == "service_request" and severity is not None:
        raise invalid("severity: must not be given for a service request")
    return _NewTicket(subject, description, kind, severity)


@attrs.frozen
class _TicketUpdate:
    status: str | None
    severity: str | None
    comment: str | None


def _ticket_update(raw: Any) -> _TicketUpdate:
    """A valid TicketUpdateRequest."""
    body = obj(raw, "", optional=("status", "severity", "comment"))
    status = choice(body["status"], "status", ("solved",)) if "status" in body else None
    severity = choice(body["severity"], "severity", SEVERITIES) if "severity" in body else None
    comment = None
    if "comment" in body:
        comment = string(
            obj(body["comment"], "comment", required=("body",))["body"], "comment.body"
        )
    return _TicketUpdate(status, severity, comment)


class Tickets:
    """The ticket endpoints; ``page_size`` tickets per ``GET /tickets`` page."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.page_size = 25
        self._seq = 0

    def routes(self) -> builtins.list[Route]:
        return [
            Route("GET", "/tickets", self._list),
            Route("POST", "/tickets", self._create),
            Route("GET", "/tickets/{ticket_id}", self._get),
            Route("PATCH", "/tickets/{ticket_id}", self._update, status=202),
        ]

    def _now(self) -> str:
        return self.world.iso(self.world.clock())

    def list(self, account: Account, query: MultiMapping[str]) -> dict[str, Any]:
        wanted = {
            field: {choice(v, field, allowed) for v in query.getall(field, [])}
            for field, allowed in (("status", STATUSES), ("type", TYPES), ("severity", SEVERITIES))
        }
        order_by = choice(
            query.get("order_by", "created_at"), "order_by", ("created_at", "updated_at")
        )
        descending = choice(query.get("direction", "desc"), "direction", ("asc", "desc")) == "desc"
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
        new = _new_ticket(raw)
        with self.world.lock:
            self._seq += 1
            now = self._now()
            ticket = Ticket(
                id=self.world.new_id(),
                seq=self._seq,
                subject=new.subject,
                description=new.description,
                type=new.type,
                severity=new.severity,
                status="open",
                created_at=now,
                updated_at=now,
                external_ticket_id=str(100000 + self._seq),
                comments=[{"body": new.description, "author": account.email, "created_at": now}],
            )
            account.tickets[ticket.id] = ticket
            return ticket.summary()

    def get(self, account: Account, ticket_id: str) -> dict[str, Any]:
        with self.world.lock:
            return find_ticket(account, ticket_id).to_json()

    def update(self, account: Account, ticket_id: str, raw: Any) -> dict[str, Any]:
        change = _ticket_update(raw)
        with self.world.lock:
            ticket = find_ticket(account, ticket_id)
            now = self._now()
            if change.status is not None and ticket.status != "solved":
                ticket.status, ticket.resolved_at = change.status, now
            if change.severity is not None:
                ticket.severity = change.severity
            if change.comment is not None:
                ticket.comments.append(
                    {"body": change.comment, "author": account.email, "created_at": now}
                )
            ticket.updated_at = now
            return {}

    def _list(self, call: Call) -> dict[str, Any]:
        return self.list(call.account, call.query)

    def _create(self, call: Call) -> dict[str, Any]:
        return self.create(call.account, call.body())

    def _get(self, call: Call) -> dict[str, Any]:
        return self.get(call.account, call.params["ticket_id"])

    def _update(self, call: Call) -> dict[str, Any]:
        return self.update(call.account, call.params["ticket_id"], call.body())


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
