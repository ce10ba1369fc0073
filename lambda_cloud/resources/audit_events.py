"""``/audit-events``: the account's audit log, the one paginated list of the API."""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator

from .._compat import Unpack
from .._converter import structure
from .._options import RequestOptions
from .._raw import WithRawResponse, async_to_raw_response_wrapper
from .._validation import check_length, check_string, check_timestamp
from ..types.audit_events import AuditEvent, AuditEventsPage
from ._base import AsyncAPIResource
from ._pages import MAX_PAGES, follow_pages

__all__ = ["AsyncAuditEvents", "AsyncAuditEventsWithRawResponse"]

_PATH = "/audit-events"


class AsyncAuditEvents(AsyncAPIResource):
    """Audit events: who did what to which resource, and when."""

    async def list(
        self,
        *,
        start: datetime.datetime | str | None = None,
        end: datetime.datetime | str | None = None,
        resource_type: str | None = None,
        max_pages: int = MAX_PAGES,
        **options: Unpack[RequestOptions],
    ) -> AsyncIterator[AuditEvent]:
        """Iterate over the events from ``start`` to ``end`` (inclusive; a naive datetime is UTC),
        optionally only of ``resource_type`` (e.g. ``cloud.api_key``), fetching pages as needed.

        ``async for event in client.audit_events.list(start=...)``; the request options
        apply to each page's request. A page token seen twice, or more than ``max_pages``
        pages, raises ``PaginationError``.
        """

        async def fetch(page_token: str | None) -> tuple[list[AuditEvent], str | None]:
            page = await self.list_page(
                start=start,
                end=end,
                resource_type=resource_type,
                page_token=page_token,
                **options,
            )
            return page.data, page.page_token

        url = self._api.base_url + _PATH
        async for event in follow_pages(fetch, url=url, max_pages=max_pages):
            yield event

    async def list_page(
        self,
        *,
        start: datetime.datetime | str | None = None,
        end: datetime.datetime | str | None = None,
        resource_type: str | None = None,
        page_token: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> AuditEventsPage:
        """One page of events; pass its ``page_token`` back (with the same filters) for the
        next. ``page_token`` is ``None`` on the last page."""
        params: dict[str, str] = {}
        if start is not None:
            params["start"] = check_timestamp(start, "start")
        if end is not None:
            params["end"] = check_timestamp(end, "end")
        if resource_type is not None:
            params["resource_type"] = check_length(
                resource_type, "resource_type", min_len=1, max_len=256
            )
        if page_token is not None:
            params["page_token"] = check_string(page_token, "page_token")
        envelope = await self._request(
            "GET", _PATH, params=params or None, options=options, envelope=True
        )
        return structure(
            {"data": envelope["data"], "page_token": envelope.get("page_token")}, AuditEventsPage
        )


class AsyncAuditEventsWithRawResponse(WithRawResponse):
    """``AsyncAuditEvents``, each method returning an ``APIResponse`` of its value."""

    def __init__(self, audit_events: AsyncAuditEvents) -> None:
        super().__init__(audit_events)
        self.list_page = async_to_raw_response_wrapper(audit_events.list_page)
