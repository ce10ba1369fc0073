"""The account's audit log."""

from __future__ import annotations

import datetime
from typing import Any

import attrs

from ._base import Model

__all__ = ["AuditEvent", "AuditEventsPage"]


@attrs.define(kw_only=True, repr=False)
class AuditEvent(Model):
    """Something that happened in the account, e.g. ``cloud`` / ``api_key`` / ``created``.

    LRNs (Lambda Resource Names) look like ``lrn:cloud:api_key:<id>``.
    """

    event_id: str
    event_time: datetime.datetime
    service_name: str
    resource_name: str
    action: str
    catalog_version: str
    actor_lrn: str | None
    resource_lrns: list[str]
    resource_owner_lrn: str | None
    request_api_key_lrn: str | None
    #: Event-specific keys; they vary by event type.
    additional_details: dict[str, Any]

    @property
    def resource_type(self) -> str:
        """``service_name.resource_name`` (e.g. ``cloud.api_key``), as ``resource_type=`` takes."""
        return f"{self.service_name}.{self.resource_name}"


@attrs.define(kw_only=True, repr=False)
class AuditEventsPage(Model):
    """One page of audit events; pass ``page_token`` back for the next (``None``: last page)."""

    data: list[AuditEvent]
    page_token: str | None = None
