"""The one place a request is sent: session, auth, pacing, retries, envelope and errors.

Knows HTTP and nothing of the API's nouns: resources hand it a method, a path, a body and the
retry rule that fits what the request does.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from typing import Any

import aiohttp
import attrs
import orjson

from ._config import DEFAULT_MAX_RESPONSE_BYTES
from ._deadline import current_deadline
from ._ratelimit import RateLimiter
from ._response import Exchange, record_exchange, wants_exchange
from ._retry import (
    RetryPolicy,
    RetryRule,
    make_retrying,
    may_have_taken_effect,
    retry_after_of,
    should_retry,
)
from ._security import Secret, bearer_header
from ._version import __version__
from .errors import (
    APIConnectionError,
    APIError,
    APIResponseError,
    APIStatusError,
    APITimeoutError,
    ClientClosedError,
    PacingTimeoutError,
    RedirectError,
    ResponseTooLargeError,
    make_status_error,
)

__all__ = ["SessionHolder", "Transport", "USER_AGENT"]

log = logging.getLogger("lambda_cloud")

USER_AGENT = f"lambda-cloud-python/{__version__}"
_JSON_HEADERS = {"Content-Type": "application/json"}


class SessionHolder:
    """The aiohttp session a client and all its ``with_options`` copies share.

    Created lazily on the running loop, since an aiohttp session belongs to the loop it was
    created on; borrowed (never closed) when the caller passed one in. An owned session is closed
    by ``close()``, or else when its loop shuts down (the end of ``asyncio.run``), so a client
    used across several ``asyncio.run`` calls leaks nothing.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession | None = None,
        *,
        trace_configs: list[aiohttp.TraceConfig] | None = None,
    ) -> None:
        self._session = session
        self._owned = session is None
        self._trace_configs = trace_configs
        self._loop: asyncio.AbstractEventLoop | None = None
        self._guard: AsyncGenerator[None, None] | None = None
        #: True once ``close()`` ran: the client is done for.
        self.closed = False

    def get(self) -> aiohttp.ClientSession:
        """The live session, created on the running loop if needed."""
        if self.closed:
            raise ClientClosedError("This client was closed; create a new one to send requests.")
        session = self._session
        if not self._owned:
            assert session is not None
            return session
        loop = asyncio.get_running_loop()
        # A session is tied to its loop; a client reused under a new loop (a second
        # asyncio.run, say) gets a fresh pool instead of failing deep inside aiohttp.
        if session is None or session.closed or self._loop is not loop:
            session = self._open(loop)
        return session

    def _open(self, loop: asyncio.AbstractEventLoop) -> aiohttp.ClientSession:
        old = self._session
        if old is not None and not old.closed:
            _LIVE.discard(old)
            old.detach()  # its loop is elsewhere: drop it without closing it there
        session = aiohttp.ClientSession(
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            trace_configs=self._trace_configs,
        )
        # aiohttp silently resends a GET or DELETE once when a pooled connection drops; the
        # retry rules here must see that failure, or a delete whose answer was lost reads
        # as "not found" and max_retries=0 is not honoured.
        session._retry_connection = False
        self._session, self._loop = session, loop
        self._guard = _closed_with_loop(session)
        _start(self._guard)
        return session

    async def close(self) -> None:
        """Close the session if this holder created it; later requests raise
        ``ClientClosedError``."""
        self.closed = True
        guard, self._guard, self._session = self._guard, None, None
        if guard is not None:
            await guard.aclose()

    def __del__(self) -> None:
        session = self._session
        if self._owned and not self.closed and session is not None and not session.closed:
            # Its loop closes the session (see _closed_with_loop); say who forgot to.
            warnings.warn(
                "An AsyncLambdaCloud was never closed: use `async with` or `await aclose()`",
                ResourceWarning,
                source=self,
                stacklevel=1,
            )


#: Owned sessions not yet closed. Held strongly so that a client dropped without closing never
#: leaves its session to the garbage collector (aiohttp prints "Unclosed client session" then):
#: its guard closes it on the loop instead.
_LIVE: set[aiohttp.ClientSession] = set()


async def _closed_with_loop(session: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
    """Closes ``session`` when closed itself: by ``SessionHolder.close``, by the loop's shutdown
    of async generators (``asyncio.run`` does it), or by the loop once the holder is dropped."""
    _LIVE.add(session)
    try:
        yield
    finally:
        _LIVE.discard(session)
        await session.close()


def _start(guard: AsyncGenerator[None, None]) -> None:
    """Run ``guard`` to its ``yield`` without awaiting, which registers it with the running loop
    (as any async generator's first step does)."""
    try:
        guard.__anext__().send(None)
    except StopIteration:
        return
    raise AssertionError("the guard awaited before its first yield")  # pragma: no cover


class Transport:
    """Sends requests for one client configuration (key, URL, timeout, retries, headers)."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        timeout: aiohttp.ClientTimeout,
        retry_policy: RetryPolicy,
        default_headers: Mapping[str, str],
        sessions: SessionHolder,
        rate_limiter: RateLimiter | None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._authorization = bearer_header(api_key)
        self.base_url = base_url
        self.timeout = timeout
        self.retry_policy = retry_policy
        self.default_headers = dict(default_headers)
        self.sessions = sessions
        self.rate_limiter = rate_limiter
        self.max_response_bytes = max_response_bytes
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r})"

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: object = None,
        rule: RetryRule = RetryRule.SAFE,
        timeout: aiohttp.ClientTimeout | None = None,
        retries: RetryPolicy | None = None,
        authorization: Secret | None = None,
        done_if: Callable[[APIStatusError], bool] | None = None,
        build_body: Callable[[], Awaitable[object]] | None = None,
    ) -> dict[str, Any]:
        """Send a request, retrying as ``rule`` allows; return the decoded success envelope.

        ``done_if`` recognises the error a retry meets when an earlier attempt whose answer was
        lost had already done the work (a delete then finds nothing to delete): the request
        then counts as done and the envelope's ``data`` is ``None``. Under ``retrying_until``
        a request is retried until that deadline rather than a number of times.
        ``build_body``, if given, makes each attempt's body once its rate-limit slot is
        reserved, so the body reflects everything learnt while the request waited its turn;
        whatever it raises propagates with nothing sent.
        """
        url = self.base_url + path
        maybe_applied = False

        async def attempt(number: int) -> dict[str, Any]:
            nonlocal maybe_applied
            try:
                return await self._send_once(
                    method,
                    url,
                    params=params,
                    body=body,
                    build_body=build_body,
                    launch=rule is RetryRule.LAUNCH,
                    timeout=timeout or self.timeout,
                    authorization=authorization or self._authorization,
                    attempt=number,
                )
            except APIError as exc:
                if maybe_applied and isinstance(exc, APIStatusError) and done_if and done_if(exc):
                    log.debug("%s %s: done by an earlier attempt (%s)", method, url, exc.code)
                    return {"data": None}
                maybe_applied = maybe_applied or may_have_taken_effect(exc)
                raise

        # The fast path: the first attempt goes out without the retry machinery, which starts
        # only once a failure may be retried.
        try:
            return await attempt(1)
        except APIError as exc:
            if not should_retry(exc, rule):
                raise
            first: APIError | None = exc
        retrying = make_retrying(
            retries or self.retry_policy, rule, sleep=self._sleep, deadline=current_deadline()
        )
        async for state in retrying:
            with state:
                if first is not None:
                    failed, first = first, None
                    raise failed  # tenacity judges the first attempt as if it had made it
                return await attempt(state.retry_state.attempt_number)
        raise AssertionError("unreachable: tenacity re-raises the last failure")  # pragma: no cover

    async def _send_once(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None,
        body: object,
        build_body: Callable[[], Awaitable[object]] | None,
        launch: bool,
        timeout: aiohttp.ClientTimeout,
        authorization: str,
        attempt: int = 1,
    ) -> dict[str, Any]:
        timeout = await self._pace(method, url, launch=launch, timeout=timeout)
        if build_body is not None:
            body = await build_body()
        headers = {**self.default_headers, "Authorization": authorization}
        data: bytes | None = None
        if body is not None:
            data = orjson.dumps(body)
            headers.update(_JSON_HEADERS)
        started = time.perf_counter()
        path = url.removeprefix(self.base_url)
        try:
            status, raw, response_headers = await self._exchange(
                method, url, params=params, data=data, headers=headers, timeout=timeout
            )
        except APIError as exc:
            _log_attempt(method, path, type(exc).__name__, started, attempt)
            raise
        _log_attempt(method, path, status, started, attempt)
        if response_headers is not None:
            error = make_status_error(
                method=method,
                url=url,
                status=status,
                body=_decode_error(raw),
                headers=response_headers,
            )
            if status == 429 and self.rate_limiter is not None:
                wait = retry_after_of(error)
                if wait is not None:
                    wait = min(wait, self.retry_policy.max_retry_after)  # as the retry does
                    self.rate_limiter.back_off(wait, launch=launch)
            raise error
        try:
            envelope = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise APIResponseError(
                f"Unreadable {status} response body ({len(raw)} bytes)", method=method, url=url
            ) from exc
        if not isinstance(envelope, dict) or "data" not in envelope:
            raise APIResponseError(
                f"Response without a 'data' envelope ({status})", method=method, url=url
            )
        return envelope

    async def _pace(
        self, method: str, url: str, *, launch: bool, timeout: aiohttp.ClientTimeout
    ) -> aiohttp.ClientTimeout:
        """Wait for a rate-limit slot; return what is left of ``timeout`` for the exchange.

        A wait that alone would use up the timeout raises ``PacingTimeoutError`` before any
        slot is taken, so a caller gives up at once rather than after queueing in vain. Under
        ``retrying_until`` the operation's deadline bounds the queueing instead, and the
        exchange keeps its whole timeout: a bulk launch queues for its slot as long as its run
        has time.
        """
        limiter, total = self.rate_limiter, timeout.total
        if limiter is None:
            return timeout
        deadline = current_deadline()
        if deadline is not None:
            ahead = limiter.delay(launch=launch)
            if ahead > 0 and not deadline.allows(ahead):
                raise PacingTimeoutError(
                    method=method, url=url, wait=ahead, timeout=deadline.remaining()
                )
            await limiter.acquire(launch=launch)
            return timeout
        if total is not None:
            ahead = limiter.delay(launch=launch)
            if ahead >= total:
                raise PacingTimeoutError(method=method, url=url, wait=ahead, timeout=total)
        waited = await limiter.acquire(launch=launch)
        if total is None or waited == 0:
            return timeout
        left = total - waited
        if left <= 0:  # a launch's second bucket held it back past the end
            raise PacingTimeoutError(method=method, url=url, wait=waited, timeout=total)
        return attrs.evolve(timeout, total=left)

    async def _exchange(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None,
        data: bytes | None,
        headers: dict[str, str],
        timeout: aiohttp.ClientTimeout,
    ) -> tuple[int, bytes, Mapping[str, str] | None]:
        """One HTTP exchange: the status, the body (bounded) and, for an error, the headers.
        Recorded whole for a call made through ``with_raw_response``."""
        captured = wants_exchange()
        started = time.perf_counter() if captured else 0.0
        try:
            async with self.sessions.get().request(
                method,
                url,
                params=params,
                data=data,
                headers=headers,
                timeout=timeout,
                allow_redirects=False,  # a redirect would resend the body (and its user_data)
            ) as response:
                status = response.status
                if 300 <= status < 400:
                    raise RedirectError(
                        method=method,
                        url=url,
                        status_code=status,
                        location=response.headers.get("Location"),
                        headers=response.headers.copy(),
                    )
                raw = await _read_bounded(response, self.max_response_bytes, method, url)
                if captured:
                    record_exchange(
                        Exchange(
                            method=method,
                            url=url,
                            status_code=status,
                            headers=response.headers.copy(),
                            content=raw,
                            elapsed=time.perf_counter() - started,
                        )
                    )
                # Copied only for an error, which keeps them; a success never needs them.
                return status, raw, response.headers.copy() if status >= 400 else None
        except aiohttp.ConnectionTimeoutError as exc:
            raise APITimeoutError(method=method, url=url, sent=False) from exc
        except aiohttp.ClientConnectorError as exc:
            raise APIConnectionError(str(exc), method=method, url=url, sent=False) from exc
        except asyncio.TimeoutError as exc:  # not the builtin TimeoutError on Python 3.10
            raise APITimeoutError(method=method, url=url) from exc
        except aiohttp.ClientError as exc:
            raise APIConnectionError(
                f"Connection error: {type(exc).__name__}: {exc}", method=method, url=url
            ) from exc


async def _read_bounded(
    response: aiohttp.ClientResponse, limit: int, method: str, url: str
) -> bytes:
    """The body, decompressed, read chunk by chunk and abandoned past ``limit`` bytes (aiohttp
    inflates a compressed body a chunk at a time as it is read, so a gzip bomb stops here)."""
    length = response.content_length
    if length is not None and length <= limit and "Content-Encoding" not in response.headers:
        # Uncompressed with a declared length: aiohttp's parser reads no more than that, so
        # the bound holds without reading chunk by chunk.
        return await response.read()
    chunks, size = [], 0
    async for chunk in response.content.iter_any():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise ResponseTooLargeError(limit=limit, method=method, url=url)
    return b"".join(chunks)  # a body read in one chunk is returned as is, not copied


def _log_attempt(method: str, path: str, outcome: object, started: float, attempt: int) -> None:
    if log.isEnabledFor(logging.DEBUG):
        elapsed_ms = (time.perf_counter() - started) * 1e3
        log.debug("%s %s -> %s (%.1f ms, attempt %d)", method, path, outcome, elapsed_ms, attempt)


def _decode_error(raw: bytes) -> object:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw[:2048].decode("utf-8", "replace")  # an HTML page from a proxy, say
