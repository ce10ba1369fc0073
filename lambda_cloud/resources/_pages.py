"""Following a paginated list's page tokens: the loop every paginated resource shares."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TypeVar

from ..errors import APIResponseError

__all__ = ["follow_pages"]

T = TypeVar("T")

#: Fetches the page a token names (``None``: the first): its items and the next page's token.
PageFetcher = Callable[[str | None], Awaitable[tuple[Sequence[T], str | None]]]


async def follow_pages(fetch: PageFetcher[T], *, url: str) -> AsyncIterator[T]:
    """Every item of every page, fetching the next page only when the caller gets there.

    A token the API returns twice would loop forever: that raises ``APIResponseError``.
    """
    page_token: str | None = None
    seen: set[str] = set()
    while True:
        items, next_token = await fetch(page_token)
        for item in items:
            yield item
        if not next_token:
            return
        if next_token in seen:
            raise APIResponseError(
                f"the API returned page token {next_token!r} twice", method="GET", url=url
            )
        seen.add(next_token)
        page_token = next_token
