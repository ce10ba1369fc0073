"""Audit events: the record every mutation leaves, and ``GET /audit-events`` over them."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import TYPE_CHECKING, Any

import attrs

from .errors import invalid
from .model import Account
from .routing import Call, Page, Route

if TYPE_CHECKING:
    from .world import World

__all__ = ["CATALOG_VERSION", "AuditEvent", "AuditLog", "parse_time"]

CATALOG_VERSION = "2025-09-06"


@attrs.define(kw_only=True, eq=False)
class AuditEvent:
    seq: int
    time: dt.datetime
    body: dict[str, Any]

    @property
    def resource_type(self) -> str:
        return f"{self.body['service_name']}.{self.body['resource_name']}"


def parse_time(value: str, name: str) -> dt.datetime:
    """An ISO 8601 query parameter as an aware UTC datetime (naive means UTC)."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.timezone.utc)
        # A date at the edge of the calendar can overflow on the way to UTC.
        return parsed.astimezone(dt.timezone.utc)
    except (ValueError, OverflowError):
        raise invalid(f"{name}: must be an ISO 8601 date-time, got {value!r}") from None


class AuditLog:
    """Every account's audit events; ``page_size`` events per ``GET /audit-events`` page."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.page_size = 50
        self._seq = 0  # across accounts: page tokens carry it

    def routes(self) -> list[Route]:
        return [Route("GET", "/audit-events", self._list)]

    def record(
        self,
        account: Account,
        resource_name: str,
        action: str,
        resource_ids: list[str],
        **details: Any,
    ) -> None:
        """Append one event: ``action`` done to ``resource_ids`` of kind ``resource_name``."""
        with self.world.lock:
            now = self.world.clock()
            self._seq += 1
            body = self._body(account, resource_name, action, resource_ids, details, now)
            account.events.append(AuditEvent(seq=self._seq, time=self.world.wall(now), body=body))

    def _body(
        self,
        account: Account,
        resource_name: str,
        action: str,
        resource_ids: list[str],
        details: dict[str, Any],
        now: float,
    ) -> dict[str, Any]:
        lrns = [f"lrn:cloud:{resource_name}:{rid}" for rid in resource_ids]
        return {
            "service_name": "cloud",
            "resource_name": resource_name,
            "action": action,
            "catalog_version": CATALOG_VERSION,
            "event_id": self.world.new_id(),
            "event_time": self.world.iso(now),
            "actor_lrn": f"lrn:cloud:identity:{account.user_id}",
            "resource_lrns": lrns,
            "resource_owner_lrn": account.lrn,
            "request_api_key_lrn": f"lrn:cloud:api_key:{account.api_key_id}",
            "additional_details": {f"{resource_name}_lrn": lrns[0], **details} if lrns else details,
        }

    def audit_events(
        self,
        account: Account,
        *,
        start: str | None,
        end: str | None,
        resource_type: str | None,
        page_token: str | None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of events, oldest first, and the token for the next page (or None)."""
        # An empty value is a value (and not a date-time), not an absent parameter.
        lower = parse_time(start, "start") if start is not None else None
        upper = parse_time(end, "end") if end is not None else None
        after = _decode_token(page_token) if page_token is not None else 0
        with self.world.lock:
            matching = [
                event
                for event in account.events
                if event.seq > after
                and (lower is None or event.time >= lower)
                and (upper is None or event.time <= upper)
                and (not resource_type or event.resource_type == resource_type)
            ]
            page = matching[: self.page_size]
            token = _encode_token(page[-1].seq) if len(matching) > len(page) else None
            return [dict(event.body) for event in page], token

    def _list(self, call: Call) -> Page:
        events, token = self.audit_events(
            call.account,
            start=call.query.get("start"),
            end=call.query.get("end"),
            resource_type=call.query.get("resource_type"),
            page_token=call.query.get("page_token"),
        )
        return Page(events, token)


def _encode_token(seq: int) -> str:
    return base64.urlsafe_b64encode(f"audit:{seq}".encode()).decode().rstrip("=")


def _decode_token(token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, _, seq = raw.partition(":")
        if prefix != "audit" or not seq.isdigit():
            raise ValueError(token)
        return int(seq)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid(
            "page_token: not a page token this API issued",
            "Pass the page_token from the previous response unchanged.",
        ) from None
