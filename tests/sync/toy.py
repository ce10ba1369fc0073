"""A small async client in the shapes the generator must handle beyond what the real client has
today: async generators, a plain def returning an async iterator, a method returning a resource,
positional-only and variadic parameters, a resource reached only through a return type,
``@overload`` variants of a coroutine and of an async generator, a resource built in
``__init__`` and one made by a ``cached_property``, resources in another module
(``toy_tree``), ``with_raw_response`` (the generator writes the sync raw-response wrappers from
the resources alone)."""

from __future__ import annotations

import functools
from types import TracebackType

from .toy_tree import AsyncBranch


class AsyncToyClient:
    """Async client for a toy API. Close it with ``aclose()`` or ``async with``."""

    branch: AsyncBranch

    def __init__(self, *, label: str = "toy", depth: int | None = None) -> None:
        self._label = label
        self.closed = 0
        self.branch = AsyncBranch(self)

    @functools.cached_property
    def trunk(self) -> AsyncBranch:
        """Another branch, made when first read."""
        return AsyncBranch(self)

    @property
    def label(self) -> str:
        """The label."""
        return self._label

    @property
    def with_raw_response(self) -> AsyncToyClientWithRawResponse:
        """The resources, each method returning an ``APIResponse``."""
        return AsyncToyClientWithRawResponse(self)

    def with_options(self, *, label: str | None = None) -> AsyncToyClient:
        """A copy with another label."""
        return AsyncToyClient(label=self._label if label is None else label)

    async def aclose(self) -> None:
        """Count the closes."""
        self.closed += 1

    async def __aenter__(self) -> AsyncToyClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class AsyncToyClientWithRawResponse:
    """Stands for the real client's (only its type is read by the generator)."""

    def __init__(self, client: AsyncToyClient) -> None:
        self._client = client
