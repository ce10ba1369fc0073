"""Following a paginated list's page tokens: the loop every paginated resource shares."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TypeVar

from ..errors import PaginationError, ValidationError

__all__ = ["MAX_PAGES", "follow_pages"]

T = TypeVar("T")

#: The most pages a list follows by default: past any real audit log or ticket history, and a
#: bound on a server handing out fresh page tokens forever.
MAX_PAGES = 10_000

#: Fetches the page a token names (``None``: the first): its items and the next page's token.
PageFetcher = Callable[[str | None], Awaitable[tuple[Sequence[T], str | None]]]


async def follow_pages(fetch: PageFetcher[T], *, url: str, max_pages: int) -> AsyncIterator[T]:
    """Every item of every page, fetching the next page only when the caller gets there.

    A token the API returns twice would loop forever, and fresh tokens might never end: either
    raises ``PaginationError``, the latter once ``max_pages`` pages have been read.
    """
    if isinstance(max_pages, bool) or not isinstance(max_pages, int) or max_pages < 1:
        raise ValidationError("max_pages", f"must be a positive int, got {max_pages!r}")
    page_token: str | None = None
    seen: set[str] = set()
    for pages in range(1, max_pages + 1):
        items, page_token = await fetch(page_token)
        for item in items:
            yield item
        if not page_token:
            return
        if page_token in seen:
            raise PaginationError(
                f"the API returned page token {page_token!r} twice",
                method="GET",
                url=url,
                pages=pages,
            )
        seen.add(page_token)
    raise PaginationError(
        f"the list goes on past max_pages={max_pages} pages; stopped there",
        method="GET",
        url=url,
        pages=max_pages,
    )
