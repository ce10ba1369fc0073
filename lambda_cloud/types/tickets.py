"""Support tickets, their comments and their attachments."""

from __future__ import annotations

import datetime

import attrs

from ._base import Model, OpenEnum

__all__ = [
    "Attachment",
    "AttachmentDownload",
    "AttachmentUpload",
    "AttachmentUploadStatus",
    "SortDirection",
    "Ticket",
    "TicketComment",
    "TicketCreated",
    "TicketOrderBy",
    "TicketRequestType",
    "TicketSeverity",
    "TicketStatus",
    "TicketType",
    "TicketsPage",
]


class TicketStatus(OpenEnum):
    """Where a ticket stands."""

    OPEN = "open"
    ON_HOLD = "on_hold"
    PENDING = "pending"
    SOLVED = "solved"
    CONFIRM_SOLVED = "confirm_solved"


class TicketType(OpenEnum):
    """What kind of ticket it is (``automated_event`` tickets are opened by Lambda)."""

    SERVICE_REQUEST = "service_request"
    INCIDENT = "incident"
    AUTOMATED_EVENT = "automated_event"


class TicketRequestType(OpenEnum):
    """The kinds of ticket a customer may open."""

    INCIDENT = "incident"
    SERVICE_REQUEST = "service_request"


class TicketSeverity(OpenEnum):
    """How severe an incident is (``sev_1`` most)."""

    SEV_1 = "sev_1"
    SEV_2 = "sev_2"
    SEV_3 = "sev_3"


class TicketOrderBy(OpenEnum):
    """The field a ticket list is sorted by."""

    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"


class SortDirection(OpenEnum):
    """Ascending or descending."""

    ASC = "asc"
    DESC = "desc"


class AttachmentUploadStatus(OpenEnum):
    """Where an attachment's upload stands."""

    PENDING = "pending"
    UPLOADED = "uploaded"
    FAILED = "failed"
    DELETED = "deleted"


@attrs.define(kw_only=True, repr=False)
class TicketComment(Model):
    """One comment in a ticket's history (the first is the ticket's description)."""

    body: str
    author: str
    created_at: datetime.datetime


@attrs.define(kw_only=True, repr=False)
class Ticket(Model):
    """A support ticket. ``severity`` is set only for incidents."""

    id: str
    subject: str
    description: str
    status: TicketStatus
    created_at: datetime.datetime
    comments: list[TicketComment]
    type: TicketType | None = None
    severity: TicketSeverity | None = None
    external_ticket_provider: str | None = None
    external_ticket_id: str | None = None
    updated_at: datetime.datetime | None = None
    resolved_at: datetime.datetime | None = None


@attrs.define(kw_only=True, repr=False)
class TicketCreated(Model):
    """What creating a ticket returns; ``tickets.get(id)`` has the whole ticket."""

    id: str
    status: TicketStatus
    type: TicketType
    created_at: datetime.datetime
    severity: TicketSeverity | None = None
    external_ticket_provider: str | None = None
    external_ticket_id: str | None = None


@attrs.define(kw_only=True, repr=False)
class TicketsPage(Model):
    """One page of tickets; pass ``page_token`` back for the next (``None``: last page)."""

    tickets: list[Ticket]
    page_token: str | None = None


@attrs.define(kw_only=True, repr=False)
class Attachment(Model):
    """A file attached to a ticket. ``uploaded_at`` is ``None`` until the upload finished."""

    id: str
    filename: str
    content_type: str
    size_bytes: int
    upload_status: AttachmentUploadStatus
    created_at: datetime.datetime
    uploaded_at: datetime.datetime | None = None


@attrs.define(kw_only=True, repr=False)
class AttachmentUpload(Model):
    """Where to send an attachment's bytes: ``upload_method`` to the presigned ``upload_url``
    within ``expires_in`` seconds."""

    attachment_id: str
    upload_url: str
    upload_method: str
    upload_status: AttachmentUploadStatus
    expires_in: int


@attrs.define(kw_only=True, repr=False)
class AttachmentDownload(Model):
    """A presigned URL to fetch an attachment, valid for ``expires_in`` seconds."""

    download_url: str
    expires_in: int
