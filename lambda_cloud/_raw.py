"""``client.with_raw_response``: a method wrapped to return its ``APIResponse``.

Each resource module ends with a small ``<Name>WithRawResponse`` (anthropic-sdk-python's
pattern) whose attributes are the resource's methods wrapped by
``async_to_raw_response_wrapper``: the same parameters (a ``ParamSpec``; mypy carries
``@overload`` variants through it too), returning ``APIResponse[<its value>]``. The sync
facade's are generated alike, with ``to_raw_response_wrapper``. A wrapper runs the method inside
``capturing()``, where the transport records each exchange, and pairs the last one with the
method's normal value.

Methods with no single response (those that yield items, or return a resource) are left out of
those classes, so a type checker rejects them; called anyway, they raise ``TypeError``.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from ._response import APIResponse, Exchange, capturing

__all__ = ["WithRawResponse", "async_to_raw_response_wrapper", "to_raw_response_wrapper"]

P = ParamSpec("P")
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


class WithRawResponse:
    """Base of a resource's ``<Name>WithRawResponse``, whose ``__init__`` sets its methods."""

    def __init__(self, resource: object) -> None:
        self._resource = resource

    if not TYPE_CHECKING:  # type checkers must see only the methods set in __init__

        def __getattr__(self, name: str) -> Any:
            # A public method left out (it has no single response) raises TypeError when called.
            method = None if name.startswith("_") else getattr(self._resource, name, None)
            if inspect.ismethod(method):
                return _raw_method(method)
            raise AttributeError(f"with_raw_response has no resource or method {name!r}")

    def __repr__(self) -> str:
        return f"<with_raw_response of {self._resource!r}>"


def async_to_raw_response_wrapper(
    method: Callable[P, Awaitable[T]],
) -> Callable[P, Awaitable[APIResponse[T]]]:
    """``method``, returning the ``APIResponse`` of its last exchange with its value."""

    async def raw(*args: P.args, **kwargs: P.kwargs) -> APIResponse[T]:
        with capturing() as capture:
            value = await method(*args, **kwargs)
        return _response(method, capture.last, capture.count, value)

    return _described(raw, method)


def to_raw_response_wrapper(method: Callable[P, T]) -> Callable[P, APIResponse[T]]:
    """``method`` (a sync facade method), returning the ``APIResponse`` of its last exchange with
    its value."""

    def raw(*args: P.args, **kwargs: P.kwargs) -> APIResponse[T]:
        with capturing() as capture:
            value = method(*args, **kwargs)
        return _response(method, capture.last, capture.count, value)

    return _described(raw, method)


def _described(raw: F, method: Callable[..., Any]) -> F:
    """``raw`` with ``method``'s docstring, and ``method`` as its ``__wrapped__`` (what
    ``help()`` and ``inspect.signature`` read): the part of ``functools.wraps`` that matters, at
    a tenth of its cost, paid for every method of a resource on each ``with_raw_response`` use."""
    raw.__doc__ = method.__doc__
    vars(raw)["__wrapped__"] = method
    return raw


def _raw_method(method: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(method):
        return async_to_raw_response_wrapper(method)
    return to_raw_response_wrapper(method)


def _response(
    method: Callable[..., Any], last: Exchange | None, count: int, value: T
) -> APIResponse[T]:
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
