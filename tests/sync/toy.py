"""A small async client in the shapes the generator must handle beyond what the real client has
today: async generators, a plain def returning an async iterator, a method returning a resource,
positional-only and variadic parameters, a resource reached only through a return type,
``@overload`` variants of a coroutine and of an async generator, a resource made by a
``cached_property`` (``AsyncLazyToyClient``), ``with_raw_response`` (the generator writes the
sync raw-response wrappers from the resources alone)."""

from __future__ import annotations

import asyncio
import builtins
import functools
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, overload

from lambda_cloud.resources._base import AsyncAPIResource


class AsyncLeaves(AsyncAPIResource):
    """Leaves of an ``AsyncToyClient``."""

    async def list(self, *, limit: int = 3) -> list[int]:
        """The first ``limit`` leaves: ``await client.leaves.list()``."""
        await asyncio.sleep(0)
        return list(range(limit))

    async def stream(
        self, start: int = 0, /, *tags: str, step: int = 1, **extra: str
    ) -> AsyncIterator[int]:
        """``async for`` three leaves from ``start``."""
        for i in range(start, start + 3 * step, step):
            await asyncio.sleep(0)
            yield i

    def pages(self, size: int) -> AsyncIterator[list[int]]:
        """Pages of ``size`` leaves, from a plain def."""
        return _Pages(size)

    def twig(self, name: str) -> AsyncTwig:
        """A resource of its own."""
        return AsyncTwig(self._api, name)

    @overload
    async def pick(self, index: int) -> int: ...

    @overload
    async def pick(self, index: slice) -> builtins.list[int]: ...

    async def pick(self, index: int | slice) -> int | builtins.list[int]:
        """The leaf at ``index``, or a list of the leaves in a slice."""
        await asyncio.sleep(0)
        return list(range(3))[index]

    @overload
    def walk(self, labels: None = None) -> AsyncIterator[int]: ...

    @overload
    def walk(self, labels: str) -> AsyncIterator[str]: ...

    async def walk(self, labels: str | None = None) -> AsyncIterator[int | str]:
        """``async for`` two leaves, as numbers or labelled."""
        for i in range(2):
            await asyncio.sleep(0)
            yield i if labels is None else f"{labels}{i}"

    async def fail(self) -> None:
        """Raise ``LookupError``, caused by a ``KeyError``."""
        await asyncio.sleep(0)
        raise LookupError("no such leaf") from KeyError("leaf")


class AsyncTwig(AsyncAPIResource):
    """A resource that only a method returns."""

    def __init__(self, client: Any, name: str) -> None:
        super().__init__(client)
        self.name = name

    async def describe(self) -> str:
        """Its name."""
        return self.name


class AsyncBranch(AsyncAPIResource):
    """A resource holding another."""

    leaves: AsyncLeaves

    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self.leaves = AsyncLeaves(client)


class _Pages:
    def __init__(self, size: int) -> None:
        self._next = 0
        self._size = size

    def __aiter__(self) -> _Pages:
        return self

    async def __anext__(self) -> list[int]:
        if self._next >= 2 * self._size:
            raise StopAsyncIteration
        await asyncio.sleep(0)
        self._next += self._size
        return list(range(self._next - self._size, self._next))


class AsyncToyClient:
    """Async client for a toy API. Close it with ``aclose()`` or ``async with``."""

    branch: AsyncBranch

    def __init__(self, *, label: str = "toy", depth: int | None = None) -> None:
        self._label = label
        self.closed = 0
        self.branch = AsyncBranch(self)

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


class AsyncLazyToyClient:
    """A client whose resource is made on first use (a ``cached_property``)."""

    @functools.cached_property
    def branch(self) -> AsyncBranch:
        """The branch, made when first read."""
        return AsyncBranch(self)
