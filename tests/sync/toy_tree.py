"""The toy client's resources, in a module of their own as the real client's are: the
generated client module imports their twins only where it uses them."""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import AsyncIterator
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
