"""``client.with_raw_response``: the runtime behind the typed wrappers of ``_raw_generated``.

``scripts/generate_raw.py`` writes one wrapper class per client and resource (async and sync):
each resource becomes a property returning its wrapper, each method one with the same
parameters returning ``APIResponse[<its value>]``, made by ``call_raw`` or ``call_raw_async``.
These run the method inside ``capturing()``, where the transport records each exchange, and
pair the last one with the method's normal value.

Methods with no single response (those that yield items, or return a resource) are left out of
the wrappers, so a type checker rejects them; called anyway, they raise ``TypeError``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, ParamSpec, TypeVar

from ._response import APIResponse, Exchange, capturing

__all__ = ["WithRawResponse", "call_raw", "call_raw_async"]

P = ParamSpec("P")
T = TypeVar("T")


class WithRawResponse:
    """Base of the generated wrappers: a client's or a resource's methods, returning
    ``APIResponse`` instead of their value (async methods: an awaitable of it)."""

    __slots__ = ("_target",)

    #: The client or resource wrapped (each generated class declares its type).
    _target: Any

    #: Public methods of the target left out of the wrapper: reached only at run time, where
    #: they raise ``TypeError`` when called (generated per class).
    _left_out: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, target: Any) -> None:
        self._target = target

    if not TYPE_CHECKING:  # type checkers must see only the generated members

        def __getattr__(self, name: str) -> Any:
            if name in self._left_out:
                return _raw_method(getattr(self._target, name))
            raise AttributeError(f"with_raw_response has no resource or method {name!r}")

    def __dir__(self) -> list[str]:
        # What is reachable: the generated members, and the left-out ones that raise TypeError.
        own = (name for name in dir(type(self)) if not name.startswith("_"))
        return sorted({*own, *self._left_out})

    def __repr__(self) -> str:
        return f"<with_raw_response of {self._target!r}>"


async def call_raw_async(
    method: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs
) -> APIResponse[T]:
    """Await ``method(*args, **kwargs)`` and return its last exchange with its value."""
    with capturing() as capture:
        value = await method(*args, **kwargs)
    return _response(method, capture.last, capture.count, value)


def call_raw(method: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> APIResponse[T]:
    """Call ``method(*args, **kwargs)`` (a sync facade method) and return its last exchange with
    its value."""
    with capturing() as capture:
        value = method(*args, **kwargs)
    return _response(method, capture.last, capture.count, value)


def _raw_method(method: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(method):
        return functools.partial(call_raw_async, method)
    return functools.partial(call_raw, method)


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
