"""``APIResponse``: one HTTP exchange as ``with_raw_response`` hands it back, and the capture
that records it.

The transport records every exchange into the capture of the running context, if any; a call
made through ``with_raw_response`` sets one up, so no resource method needs code of its own.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Mapping
from typing import Any, Generic, TypeVar

import orjson

from .errors import request_id_of

__all__ = ["APIResponse", "Exchange", "capturing", "record_exchange", "wants_exchange"]

# Covariant, as the value is only read: an APIResponse[SSHKey] is an APIResponse[object].
T_co = TypeVar("T_co", covariant=True)


class Exchange:
    """What the transport saw of one HTTP exchange."""

    __slots__ = ("content", "elapsed", "headers", "method", "status_code", "url")

    def __init__(
        self,
        *,
        method: str,
        url: str,
        status_code: int,
        headers: Mapping[str, str],
        content: bytes,
        elapsed: float,
    ) -> None:
        self.method = method
        self.url = url
        self.status_code = status_code
        self.headers = headers
        self.content = content
        self.elapsed = elapsed


class _Capture:
    """Holds the last exchange of one call (a mutable box, so tasks and the sync facade's loop
    thread, which run on copies of the caller's context, write where the caller reads)."""

    __slots__ = ("count", "last")

    def __init__(self) -> None:
        self.last: Exchange | None = None
        self.count = 0


_capture: contextvars.ContextVar[_Capture | None] = contextvars.ContextVar(
    "lambda_cloud_capture", default=None
)


def wants_exchange() -> bool:
    """Whether the running call asked for its raw response (cheap: the transport asks once per
    attempt)."""
    return _capture.get() is not None


def record_exchange(exchange: Exchange) -> None:
    """Keep ``exchange`` as the running call's latest, if it asked for it."""
    capture = _capture.get()
    if capture is not None:
        capture.last = exchange
        capture.count += 1


@contextlib.contextmanager
def capturing() -> Iterator[_Capture]:
    """Within this block, every exchange the transport completes is recorded."""
    capture = _Capture()
    token = _capture.set(capture)
    try:
        yield capture
    finally:
        _capture.reset(token)


class APIResponse(Generic[T_co]):
    """The HTTP response behind a call made through ``client.with_raw_response``.

    ``parse()`` returns what the method returns normally. A method that sends several requests
    (a retried call, a paginated or bulk operation) reports its last exchange; ``exchanges``
    says how many it made.
    """

    __slots__ = ("_exchange", "_parsed", "exchanges")

    def __init__(self, exchange: Exchange, parsed: T_co, *, exchanges: int = 1) -> None:
        self._exchange = exchange
        self._parsed = parsed
        #: How many HTTP exchanges the call made (retries included).
        self.exchanges = exchanges

    @property
    def status_code(self) -> int:
        """The HTTP status of the response."""
        return self._exchange.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        """The response headers (case-insensitive)."""
        return self._exchange.headers

    @property
    def request_id(self) -> str | None:
        """The server's id for the request (``X-Request-Id``/``Request-Id``), if it sent one."""
        return request_id_of(self._exchange.headers)

    @property
    def elapsed(self) -> float:
        """Seconds from sending the request to reading the last byte of the response."""
        return self._exchange.elapsed

    @property
    def content(self) -> bytes:
        """The response body, decompressed."""
        return self._exchange.content

    @property
    def method(self) -> str:
        """The request's HTTP method."""
        return self._exchange.method

    @property
    def url(self) -> str:
        """The request's URL, without its query string."""
        return self._exchange.url

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self._exchange.content.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body parsed as JSON (the API's whole envelope)."""
        return orjson.loads(self._exchange.content)

    def parse(self) -> T_co:
        """The method's normal return value."""
        return self._parsed

    def __repr__(self) -> str:
        return f"<APIResponse [{self.status_code}] {self.method} {self.url}>"
