"""``/tickets``: support tickets, their comments and attachments."""

from __future__ import annotations

import asyncio
import builtins
import mimetypes
import os
import urllib.parse
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

from multidict import MultiDict

from .._api import ClientAPI
from .._compat import Unpack
from .._converter import structure
from .._options import RequestOptions
from .._raw import WithRawResponse, async_to_raw_response_wrapper
from .._retry import RetryRule
from .._validation import check_choice, check_length, check_list, check_path_id, check_string
from ..errors import APIResponseError, ValidationError
from ..types._base import OpenEnum
from ..types.tickets import (
    Attachment,
    AttachmentDownload,
    AttachmentUpload,
    AttachmentUploadStatus,
    SortDirection,
    Ticket,
    TicketCreated,
    TicketOrderBy,
    TicketRequestType,
    TicketSeverity,
    TicketsPage,
    TicketStatus,
    TicketType,
)
from ._base import AsyncAPIResource, is_not_found
from ._pages import MAX_PAGES, follow_pages

__all__ = [
    "AsyncTicketAttachments",
    "AsyncTicketAttachmentsWithRawResponse",
    "AsyncTickets",
    "AsyncTicketsWithRawResponse",
    "MAX_FILENAME_LENGTH",
]

MAX_FILENAME_LENGTH = 255
_PATH = "/tickets"
_UPLOAD_METHODS = ("PUT", "POST")


def _ticket_path(ticket_id: str, *rest: str) -> str:
    return "/".join((_PATH, check_path_id(ticket_id, "ticket_id"), *rest))


def _filters(
    params: MultiDict[str], field: str, values: Iterable[object] | None, choices: type[OpenEnum]
) -> None:
    if values is None:
        return
    for i, value in enumerate(check_list(values, field)):
        params.add(field, check_choice(value, f"{field}[{i}]", choices))


def _file_path(value: object) -> Path:
    """The path of the file to upload: a ``str`` or ``os.PathLike`` of one."""
    if not isinstance(value, str | os.PathLike):
        raise ValidationError(
            "data_or_path", f"expected bytes or a file's path, got {type(value).__name__}"
        )
    path = os.fspath(value)
    if not isinstance(path, str):  # a PathLike of bytes
        raise ValidationError("data_or_path", "expected a path as text, got bytes")
    return Path(path)


def _read(path: Path) -> bytes:
    """The file's bytes; a file that cannot be read is the caller's argument at fault."""
    try:
        return path.read_bytes()
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ValidationError("data_or_path", f"cannot read {str(path)!r}: {reason}") from exc


class AsyncTicketAttachments(AsyncAPIResource):
    """Files attached to a ticket."""

    async def list(
        self,
        ticket_id: str,
        *,
        status: AttachmentUploadStatus | str | None = None,
        **options: Unpack[RequestOptions],
    ) -> builtins.list[Attachment]:
        """The ticket's attachments: only uploaded ones unless ``status`` says otherwise."""
        params = None
        if status is not None:
            params = {"status": check_choice(status, "status", AttachmentUploadStatus)}
        data = await self._request(
            "GET",
            _ticket_path(ticket_id, "attachments"),
            params=params,
            options=options,
        )
        return structure(data["attachments"], builtins.list[Attachment])

    async def upload(
        self,
        ticket_id: str,
        data_or_path: bytes | str | os.PathLike[str],
        *,
        filename: str | None = None,
        content_type: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> Attachment:
        """Attach a file to the ticket: ``bytes``, or the path of a file to read. Starts the
        upload, sends the bytes to the presigned URL the API returns, and completes it.

        ``filename`` (at most 255 characters) defaults to the path's name; ``content_type`` to
        a guess from it (``application/octet-stream`` if none). Should the upload to storage
        fail, the attachment stays ``pending`` (not listed by default) and the error is raised.
        """
        if isinstance(data_or_path, bytes):
            if filename is None:
                raise ValidationError("filename", "required when uploading bytes")
            data = data_or_path
        else:
            path = _file_path(data_or_path)
            filename = path.name if filename is None else filename
            data = await asyncio.to_thread(_read, path)
        filename = check_length(filename, "filename", max_len=MAX_FILENAME_LENGTH)
        if content_type is None:
            content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        content_type = check_string(content_type, "content_type")
        if not data:
            raise ValidationError("data_or_path", "an attachment must hold at least one byte")
        target = await self._initiate(ticket_id, filename, content_type, len(data), options=options)
        await self._api.send_presigned(
            target.upload_method,
            target.upload_url,
            data,
            content_type=content_type,
            timeout=options.get("timeout"),
        )
        completed = await self._request(
            "POST",
            _ticket_path(ticket_id, "attachments", check_path_id(target.attachment_id), "complete"),
            options=options,
        )
        return structure(completed, Attachment)

    async def _initiate(
        self,
        ticket_id: str,
        filename: str,
        content_type: str,
        size: int,
        *,
        options: RequestOptions,
    ) -> AttachmentUpload:
        body = {"filename": filename, "content_type": content_type, "size_bytes": size}
        path = _ticket_path(ticket_id, "attachments")
        # A retry after a lost answer would leave a second, pending, attachment behind.
        data = await self._request("POST", path, body=body, rule=RetryRule.UNSAFE, options=options)
        target = structure(data, AttachmentUpload)
        problem = _upload_problem(target)
        if problem is not None:
            raise APIResponseError(
                f"Unusable upload instructions: {problem}",
                method="POST",
                url=self._api.base_url + path,
            )
        return target

    async def delete(
        self,
        ticket_id: str,
        attachment_id: str,
        **options: Unpack[RequestOptions],
    ) -> None:
        """Delete an attachment."""
        await self._request(
            "DELETE",
            _ticket_path(ticket_id, "attachments", check_path_id(attachment_id, "attachment_id")),
            options=options,
            done_if=is_not_found,
        )

    async def download_url(
        self,
        ticket_id: str,
        attachment_id: str,
        **options: Unpack[RequestOptions],
    ) -> AttachmentDownload:
        """A temporary presigned URL to download the attachment (no API key needed)."""
        attachment = check_path_id(attachment_id, "attachment_id")
        data = await self._request(
            "GET",
            _ticket_path(ticket_id, "attachments", attachment, "download"),
            options=options,
        )
        return structure(data, AttachmentDownload)


class AsyncTickets(AsyncAPIResource):
    """Support tickets: list, open, read, update and comment; ``attachments`` for files."""

    attachments: AsyncTicketAttachments

    def __init__(self, api: ClientAPI) -> None:
        super().__init__(api)
        self.attachments = AsyncTicketAttachments(api)

    async def list(
        self,
        *,
        status: Iterable[TicketStatus | str] | None = None,
        type: Iterable[TicketType | str] | None = None,
        severity: Iterable[TicketSeverity | str] | None = None,
        order_by: TicketOrderBy | str | None = None,
        direction: SortDirection | str | None = None,
        max_pages: int = MAX_PAGES,
        **options: Unpack[RequestOptions],
    ) -> AsyncIterator[Ticket]:
        """Iterate over the account's tickets, fetching pages as needed; each filter keeps the
        tickets having any of the values given. The request options apply per page. A
        page token seen twice, or more than ``max_pages`` pages, raises ``PaginationError``."""

        async def fetch(page_token: str | None) -> tuple[builtins.list[Ticket], str | None]:
            page = await self.list_page(
                status=status,
                type=type,
                severity=severity,
                order_by=order_by,
                direction=direction,
                page_token=page_token,
                **options,
            )
            return page.tickets, page.page_token

        url = self._api.base_url + _PATH
        async for ticket in follow_pages(fetch, url=url, max_pages=max_pages):
            yield ticket

    async def list_page(
        self,
        *,
        status: Iterable[TicketStatus | str] | None = None,
        type: Iterable[TicketType | str] | None = None,
        severity: Iterable[TicketSeverity | str] | None = None,
        order_by: TicketOrderBy | str | None = None,
        direction: SortDirection | str | None = None,
        page_token: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> TicketsPage:
        """One page of tickets; pass its ``page_token`` back (with the same filters) for the
        next. ``page_token`` is ``None`` on the last page."""
        params: MultiDict[str] = MultiDict()
        _filters(params, "status", status, TicketStatus)
        _filters(params, "type", type, TicketType)
        _filters(params, "severity", severity, TicketSeverity)
        if order_by is not None:
            params["order_by"] = check_choice(order_by, "order_by", TicketOrderBy)
        if direction is not None:
            params["direction"] = check_choice(direction, "direction", SortDirection)
        if page_token is not None:
            params["page_token"] = check_string(page_token, "page_token")
        data = await self._request("GET", _PATH, params=params or None, options=options)
        return structure(data, TicketsPage)

    async def create(
        self,
        subject: str,
        description: str,
        type: TicketRequestType | str,
        *,
        severity: TicketSeverity | str | None = None,
        ip: str | None = None,
        instance_id: str | None = None,
        cluster_id: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> TicketCreated:
        """Open a ticket. An ``incident`` needs a ``severity``; a ``service_request`` must not
        have one. ``ip``, ``instance_id`` and ``cluster_id`` name what is affected."""
        body = _create_body(subject, description, type, severity)
        for field, value in (("ip", ip), ("instance_id", instance_id), ("cluster_id", cluster_id)):
            if value is not None:
                body[field] = check_string(value, field)
        # A lost answer may still have opened it, and a retry would open a second one.
        data = await self._request("POST", _PATH, body=body, rule=RetryRule.UNSAFE, options=options)
        return structure(data, TicketCreated)

    async def get(
        self,
        ticket_id: str,
        **options: Unpack[RequestOptions],
    ) -> Ticket:
        """The ticket with this id, comments included; ``NotFoundError`` if there is none."""
        data = await self._request("GET", _ticket_path(ticket_id), options=options)
        return structure(data, Ticket)

    async def update(
        self,
        ticket_id: str,
        *,
        status: TicketStatus | str | None = None,
        severity: TicketSeverity | str | None = None,
        comment: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> None:
        """Mark the ticket ``solved``, change its severity, and/or add a comment. The API
        applies it asynchronously (202): ``get`` the ticket later to see the result."""
        body: dict[str, Any] = {}
        if status is not None:
            if check_choice(status, "status", TicketStatus) != TicketStatus.SOLVED.value:
                raise ValidationError("status", "the only status you can set is 'solved'")
            body["status"] = TicketStatus.SOLVED.value
        if severity is not None:
            body["severity"] = check_choice(severity, "severity", TicketSeverity)
        if comment is not None:
            body["comment"] = {"body": check_string(comment, "comment")}
        if not body:
            raise ValidationError("update", "nothing to update: give status, severity or comment")
        # Not idempotent (a comment would be added twice), so retried only when not applied.
        await self._request(
            "PATCH",
            _ticket_path(ticket_id),
            body=body,
            rule=RetryRule.UNSAFE,
            options=options,
        )


def _upload_problem(target: AttachmentUpload) -> str | None:
    """What makes the API's upload instructions unusable (the spec allows PUT or POST to a
    presigned http(s) URL), or ``None``."""
    try:
        check_path_id(target.attachment_id, "attachment_id")
    except ValidationError as exc:
        return str(exc)
    # The model keeps whatever JSON type came: these may not even be strings.
    if target.upload_method not in _UPLOAD_METHODS:
        return f"upload_method {str(target.upload_method)[:32]!r} is neither PUT nor POST"
    url = target.upload_url
    try:
        parts = urllib.parse.urlsplit(url) if isinstance(url, str) else None
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return "upload_url is not an http(s) URL"
    return None


def _create_body(
    subject: object, description: object, type: object, severity: object
) -> dict[str, Any]:
    kind = check_choice(type, "type", TicketRequestType)
    body: dict[str, Any] = {
        "subject": check_string(subject, "subject"),
        "description": check_string(description, "description"),
        "type": kind,
    }
    if kind == TicketRequestType.INCIDENT.value:
        if severity is None:
            raise ValidationError("severity", "required for an incident")
        body["severity"] = check_choice(severity, "severity", TicketSeverity)
    elif severity is not None:
        raise ValidationError("severity", "not allowed for a service request")
    return body


class AsyncTicketAttachmentsWithRawResponse(WithRawResponse):
    """``AsyncTicketAttachments``, each method returning an ``APIResponse`` of its value."""

    def __init__(self, attachments: AsyncTicketAttachments) -> None:
        super().__init__(attachments)
        self.list = async_to_raw_response_wrapper(attachments.list)
        self.upload = async_to_raw_response_wrapper(attachments.upload)
        self.delete = async_to_raw_response_wrapper(attachments.delete)
        self.download_url = async_to_raw_response_wrapper(attachments.download_url)


class AsyncTicketsWithRawResponse(WithRawResponse):
    """``AsyncTickets``, each method returning an ``APIResponse`` of its value."""

    def __init__(self, tickets: AsyncTickets) -> None:
        super().__init__(tickets)
        self.attachments = AsyncTicketAttachmentsWithRawResponse(tickets.attachments)
        self.list_page = async_to_raw_response_wrapper(tickets.list_page)
        self.create = async_to_raw_response_wrapper(tickets.create)
        self.get = async_to_raw_response_wrapper(tickets.get)
        self.update = async_to_raw_response_wrapper(tickets.update)
