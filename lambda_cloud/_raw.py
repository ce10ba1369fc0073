"""``client.with_raw_response``: every resource method, returning an ``APIResponse``.

One generic wrapper serves every resource, async and sync: it runs the method inside
``capturing()``, where the transport records each exchange, and pairs the last one with the
method's normal value. New resources and methods need nothing here.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, overload

from ._response import APIResponse, Exchange, capturing
from .resources._base import AsyncAPIResource, SyncAPIResource

__all__ = ["RawResponses", "WithRawResponse"]

_RESOURCES = (AsyncAPIResource, SyncAPIResource)


class WithRawResponse:
    """A client's or a resource's methods, returning ``APIResponse`` instead of their value.

    Async methods return an awaitable of it; sync methods return it. A method that yields
    items (an iterator) has no single response and raises ``TypeError``.
    """

    __slots__ = ("_target",)

    def __init__(self, target: object) -> None:
        self._target = target

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        value = getattr(self._target, name)
        if isinstance(value, _RESOURCES):
            return WithRawResponse(value)
        if isinstance(self._target, _RESOURCES) and inspect.ismethod(value):
            return _raw_method(value)
        raise AttributeError(f"with_raw_response has no resource or method {name!r}")

    def __dir__(self) -> list[str]:
        return [name for name in dir(self._target) if not name.startswith("_")]

    def __repr__(self) -> str:
        return f"<with_raw_response of {self._target!r}>"


def _raw_method(method: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(method):

        async def call_async(*args: Any, **kwargs: Any) -> APIResponse[Any]:
            with capturing() as capture:
                value = await method(*args, **kwargs)
            return _response(method, capture.last, capture.count, value)

        return call_async

    def call(*args: Any, **kwargs: Any) -> APIResponse[Any]:
        with capturing() as capture:
            value = method(*args, **kwargs)
        return _response(method, capture.last, capture.count, value)

    return call


def _response(
    method: Callable[..., Any], last: Exchange | None, count: int, value: Any
) -> APIResponse[Any]:
    if isinstance(value, (Iterator, AsyncIterator)):
        close = getattr(value, "close", None)
        if close is not None:
            close()
        raise TypeError(
            f"{method.__qualname__} yields items: with_raw_response needs a single response"
        )
    if last is None:
        raise TypeError(f"{method.__qualname__} sent no request, so it has no raw response")
    return APIResponse(last, value, exchanges=count)


class RawResponses:
    """The ``with_raw_response`` attribute of ``AsyncLambdaCloud`` and ``LambdaCloud``.

    ``await client.with_raw_response.instances.get(id)`` (or, on the sync client, the same call
    without ``await``) returns an ``APIResponse``: status, headers, ``request_id``, ``elapsed``,
    ``content``, and ``parse()`` for the usual value.
    """

    @overload
    def __get__(self, client: None, owner: type) -> RawResponses: ...

    @overload
    def __get__(self, client: object, owner: type | None = None) -> WithRawResponse: ...

    def __get__(
        self, client: object | None, owner: type | None = None
    ) -> RawResponses | WithRawResponse:
        return self if client is None else WithRawResponse(client)
