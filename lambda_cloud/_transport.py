"""The one place a request is sent: session, auth, pacing, retries, envelope and errors.

Knows HTTP and nothing of the API's nouns: resources hand it a method, a path, a body and the
retry rule that fits what the request does.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import logging
import math
import time
import types
import warnings
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from typing import Any

import aiohttp
import attrs
import orjson
from aiohttp import hdrs
from multidict import CIMultiDict

from ._clock import monotonic
from ._config import DEFAULT_MAX_RESPONSE_BYTES
from ._deadline import Deadline, current_deadline
from ._options import DEFAULT_OPTIONS, FinalRequestOptions
from ._ratelimit import RateLimiter, SlotTooFar
from ._response import Exchange, record_exchange, wants_exchange
from ._retry import (
    RetryPolicy,
    RetryRule,
    is_throttled,
    make_retrying,
    may_have_taken_effect,
    out_of_time_error,
    retry_after_of,
    retry_limit,
    should_retry,
)
from ._security import Secret, bearer_header, credentials_in, redact
from ._validation import check_list
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
    ValidationError,
    make_status_error,
)

__all__ = ["SessionHolder", "Transport", "USER_AGENT"]

log = logging.getLogger("lambda_cloud")

USER_AGENT = f"lambda-cloud-python/{__version__}"
_JSON_HEADERS = {"Content-Type": "application/json"}


def _check_session_options(
    session: object, trace_configs: object
) -> list[aiohttp.TraceConfig] | None:
    """Check a client's ``session`` and ``trace_configs``; the trace configs, as a list."""
    if session is not None and not isinstance(session, aiohttp.ClientSession):
        raise ValidationError(
            "session", f"expected an aiohttp.ClientSession, got {type(session).__name__}"
        )
    if trace_configs is None:
        return None
    configs = []
    for i, config in enumerate(check_list(trace_configs, "trace_configs")):
        if not isinstance(config, aiohttp.TraceConfig):
            raise ValidationError(
                f"trace_configs[{i}]", f"expected an aiohttp.TraceConfig, got {config!r}"
            )
        configs.append(config)
    return configs


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
        self._loop: asyncio.AbstractEventLoop | None = None
        self._guard: AsyncGenerator[None, None] | None = None
        #: True once ``close()`` ran: the client is done for.
        self.closed = False
        # Checked once what __del__ reads is set: a refused holder is finalized too.
        self._trace_configs = _check_session_options(session, trace_configs)

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
        self.base_url = base_url
        self.timeout = timeout
        self.retry_policy = retry_policy
        #: Read-only: every request's headers are built from it once, here.
        self.default_headers: Mapping[str, str] = types.MappingProxyType(dict(default_headers))
        self.sessions = sessions
        self.rate_limiter = rate_limiter
        self.max_response_bytes = max_response_bytes
        self._sleep = sleep
        self._own_authorization = bearer_header(api_key)
        self._set_authorization(self._own_authorization)

    def _set_authorization(self, authorization: Secret) -> None:
        # Every request's headers but a body's content type, built once.
        self._headers = {**self.default_headers, "Authorization": authorization}
        # What an error's server text must not carry: the credentials sent, and the client's
        # key (a hostile server learnt it from earlier requests).
        self._secrets = credentials_in(authorization, self._own_authorization)

    def with_authorization(self, authorization: Secret) -> Transport:
        """A copy sending this ``Authorization`` header (per-call ``security=``), sharing the
        connection pool and rate limiter."""
        other = copy.copy(self)
        other._set_authorization(authorization)
        return other

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
        options: FinalRequestOptions = DEFAULT_OPTIONS,
        done_if: Callable[[APIStatusError], bool] | None = None,
        build_body: Callable[[], Awaitable[object]] | None = None,
        envelope: bool = False,
    ) -> Any:
        """Send a request, retrying as ``rule`` allows; return the success envelope's ``data``,
        or with ``envelope=True`` the whole decoded envelope.

        ``done_if`` recognises the error a retry meets when an earlier attempt whose answer was
        lost had already done the work (a delete then finds nothing to delete): the request
        then counts as done and the envelope's ``data`` is ``None``. Under ``retrying_until``
        a request is retried until that deadline rather than a number of times (one that never
        ends: for the policy's ``retry_window``).
        ``options`` (a call's timeout, retry policy and extra headers) replace the client's.
        ``build_body``, if given, makes each attempt's body once its rate-limit slot is
        reserved, so the body reflects everything learnt while the request waited its turn;
        whatever it raises propagates with nothing sent.
        """
        # The first attempt goes out without the retry machinery (not even a closure to
        # repeat it): that starts only once a failure may be retried.
        headers = {**self._headers, **options.headers} if options.headers else self._headers
        args = (method, self.base_url + path, params, body, build_body, headers)
        launch, timeout = rule is RetryRule.LAUNCH, options.timeout or self.timeout
        started = monotonic()
        first: APIError | None = None
        try:
            whole = await self._send_once(*args, launch, timeout, 1)
        except APIError as exc:
            if not should_retry(exc, rule):
                raise
            first = exc
        if first is not None:  # retried outside the handler: no "during handling" chain
            # The call's time: what a 429 is retried within.
            total = timeout.total
            call = None if total is None else Deadline(total - (monotonic() - started))
            send = functools.partial(self._send_once, *args, launch, timeout)
            whole = await self._retry(
                send,
                first,
                rule=rule,
                retries=options.retry_policy,
                done_if=done_if,
                call_deadline=call,
            )
        return whole if envelope else whole["data"]

    async def _retry(
        self,
        send: Callable[[int, Deadline | None], Awaitable[dict[str, Any]]],
        first: APIError,
        *,
        rule: RetryRule,
        retries: RetryPolicy | None,
        done_if: Callable[[APIStatusError], bool] | None,
        call_deadline: Deadline | None,
    ) -> dict[str, Any]:
        """Attempts after a retryable first failure, until one succeeds or the policy (or
        the deadline in force) gives up. After a 429 the next attempt waits for its rate-limit
        slot only if the slot comes before the 429s' time is up (``retry_limit``); a slot
        further away ends the call as that time running out would."""
        policy, operation = retries or self.retry_policy, current_deadline()
        maybe_applied = may_have_taken_effect(first)
        pending: APIError | None = first
        throttled = first if is_throttled(first) else None
        limit = retry_limit(policy, operation, call_deadline)
        retrying = make_retrying(
            policy,
            rule,
            sleep=self._sleep,
            deadline=operation,
            call_deadline=limit,
            paced=self.rate_limiter is not None,
        )
        attempt = 1
        try:
            async for state in retrying:
                with state:
                    if pending is not None:
                        failed, pending = pending, None
                        raise failed  # tenacity judges the first attempt as if it had made it
                    attempt = state.retry_state.attempt_number
                    try:
                        return await send(attempt, limit if throttled else None)
                    except PacingTimeoutError:
                        raise  # nothing was sent: ``throttled`` still says why it waited
                    except APIError as exc:
                        throttled = exc if is_throttled(exc) else None
                        if maybe_applied and _done_earlier(exc, done_if):
                            return {"data": None}
                        maybe_applied = maybe_applied or may_have_taken_effect(exc)
                        raise
        except PacingTimeoutError:
            if throttled is None:
                raise
            window = policy.retry_window if operation and not operation.finite else None
            error = out_of_time_error(
                throttled, attempt - 1, operation=operation is not None, window=window
            )
            raise error from (None if error is throttled else throttled)
        raise AssertionError("unreachable: tenacity re-raises the last failure")  # pragma: no cover

    async def _send_once(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        body: object,
        build_body: Callable[[], Awaitable[object]] | None,
        headers: Mapping[str, str],
        launch: bool,
        timeout: aiohttp.ClientTimeout,
        attempt: int,
        pace_by: Deadline | None = None,
    ) -> dict[str, Any]:
        """One attempt (numbered ``attempt``, for the log): a rate-limit slot (one that comes
        before ``pace_by``, if given), then the exchange; the decoded envelope, or the typed
        error. A 429 tells the rate limiter to slow down."""
        limiter = self.rate_limiter
        if limiter is not None:
            timeout = await self._pace(
                limiter, method, url, launch=launch, timeout=timeout, deadline=pace_by
            )
        if build_body is not None:
            body = await build_body()
        data = None
        if body is not None:
            headers, data = {**headers, **_JSON_HEADERS}, orjson.dumps(body)
        started = time.perf_counter()
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
                    raise self._redirect_error(method, url, response)
                raw = await _read_bounded(response, self.max_response_bytes, method, url)
                if wants_exchange():
                    record_exchange(_exchange(method, url, response, raw, started))
                # Copied only for an error, which keeps them; a success never needs them.
                error_headers = response.headers.copy() if status >= 400 else None
        except APIError as exc:
            self._log_attempt(method, url, type(exc).__name__, started, attempt)
            raise
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            error = _connection_error(exc, method, url)
            self._log_attempt(method, url, type(error).__name__, started, attempt)
            raise error from exc
        self._log_attempt(method, url, status, started, attempt)
        if error_headers is not None:
            error = self._status_error(method, url, status, raw, error_headers)
            if status == 429 and limiter is not None:
                await self._slow_down(limiter, error, launch=launch)
            raise error
        return _decode_envelope(method, url, status, raw)

    async def _slow_down(self, limiter: RateLimiter, error: APIError, *, launch: bool) -> None:
        """Tell the rate limiter of a 429, capping its ``Retry-After`` as a retry without
        pacing does."""
        await limiter.throttled(
            launch=launch,
            retry_after=retry_after_of(error),
            cap=self.retry_policy.max_retry_after,
        )

    def _log_attempt(
        self, method: str, url: str, outcome: object, started: float, attempt: int
    ) -> None:
        if not log.isEnabledFor(logging.DEBUG):
            return
        path, elapsed_ms = url.removeprefix(self.base_url), (time.perf_counter() - started) * 1e3
        log.debug("%s %s -> %s (%.1f ms, attempt %d)", method, path, outcome, elapsed_ms, attempt)

    def _status_error(
        self,
        method: str,
        url: str,
        status: int,
        raw: bytes,
        headers: Mapping[str, str],
    ) -> APIStatusError:
        """The typed error for an error status. Credentials the server echoes (in the body or
        a header) are redacted first."""
        return make_status_error(
            method=method,
            url=url,
            status=status,
            body=_decode_error(raw, self._secrets),
            headers=self._redacted(headers),
        )

    def _redirect_error(
        self, method: str, url: str, response: aiohttp.ClientResponse
    ) -> RedirectError:
        headers = self._redacted(response.headers)
        return RedirectError(
            method=method,
            url=url,
            status_code=response.status,
            location=headers.get("Location"),
            headers=headers,
        )

    def _redacted(self, headers: Mapping[str, str]) -> CIMultiDict[str]:
        """A copy of response headers without the credentials a server may echo in them."""
        return CIMultiDict((name, redact(value, self._secrets)) for name, value in headers.items())

    async def _pace(
        self,
        limiter: RateLimiter,
        method: str,
        url: str,
        *,
        launch: bool,
        timeout: aiohttp.ClientTimeout,
        deadline: Deadline | None,
    ) -> aiohttp.ClientTimeout:
        """Wait for a rate-limit slot; return what is left of ``timeout`` for the exchange.

        A wait that alone would use up the timeout raises ``PacingTimeoutError`` before any
        slot is taken, so a caller gives up at once rather than after queueing in vain. Under
        ``retrying_until`` (or a ``deadline`` given) that deadline bounds the queueing instead,
        and the exchange keeps its whole timeout: a bulk launch queues for its slot as long as
        its run has time.
        """
        total = timeout.total
        deadline = deadline or current_deadline()
        if deadline is not None:
            max_wait = deadline.remaining()
        else:
            max_wait = math.inf if total is None else total
        try:
            waited = await limiter.acquire(launch=launch, max_wait=max_wait)
        except SlotTooFar as far:
            raise PacingTimeoutError(
                method=method, url=url, wait=far.wait, timeout=max_wait
            ) from None
        if deadline is not None or total is None or waited == 0:
            return timeout
        left = total - waited
        if left <= 0:  # a launch's second bucket held it back past the end
            raise PacingTimeoutError(method=method, url=url, wait=waited, timeout=total)
        return attrs.evolve(timeout, total=left)


def _connection_error(exc: BaseException, method: str, url: str) -> APIError:
    """The typed error for aiohttp's failure; ``sent=False`` where nothing can have been sent."""
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return APITimeoutError(method=method, url=url, sent=False)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return APIConnectionError(str(exc), method=method, url=url, sent=False)
    if isinstance(exc, asyncio.TimeoutError):  # not the builtin TimeoutError on Python 3.10
        return APITimeoutError(method=method, url=url)
    return APIConnectionError(
        f"Connection error: {type(exc).__name__}: {exc}", method=method, url=url
    )


def _exchange(
    method: str, url: str, response: aiohttp.ClientResponse, raw: bytes, started: float
) -> Exchange:
    """The exchange as ``with_raw_response`` hands it back."""
    return Exchange(
        method=method,
        url=url,
        status_code=response.status,
        headers=response.headers.copy(),
        content=raw,
        elapsed=time.perf_counter() - started,
    )


def _decode_envelope(method: str, url: str, status: int, raw: bytes) -> dict[str, Any]:
    """The decoded success envelope, which must be a JSON object with ``data``."""
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


def _read_bounded(
    response: aiohttp.ClientResponse, limit: int, method: str, url: str
) -> Awaitable[bytes]:
    """The body, decompressed, and never more than ``limit`` bytes of it."""
    length = response.content_length
    # (an istr key: a plain str would be case-folded on every lookup)
    if length is not None and length <= limit and hdrs.CONTENT_ENCODING not in response.headers:
        # Uncompressed with a declared length: aiohttp's parser reads no more than that, so
        # the bound holds without reading chunk by chunk (nor a coroutine of ours around it).
        return response.read()
    return _read_chunks(response, limit, method, url)


async def _read_chunks(
    response: aiohttp.ClientResponse, limit: int, method: str, url: str
) -> bytes:
    """Read chunk by chunk, abandoned past ``limit`` bytes (aiohttp inflates a compressed body
    a chunk at a time as it is read, so a gzip bomb stops here)."""
    chunks, size = [], 0
    async for chunk in response.content.iter_any():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise ResponseTooLargeError(limit=limit, method=method, url=url)
    return b"".join(chunks)  # a body read in one chunk is returned as is, not copied


def _decode_error(raw: bytes, secrets: Sequence[str]) -> object:
    """An error response's body, decoded, with ``secrets`` redacted."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        # An HTML page from a proxy, say: cut once redacted, since a cut through a credential
        # would leave a part of it that the redaction misses.
        return redact(raw.decode("utf-8", "replace"), secrets)[:2048]
    return redact(body, secrets)


def _done_earlier(exc: APIError, done_if: Callable[[APIStatusError], bool] | None) -> bool:
    """Whether ``exc``, met by a retry after an attempt that may have taken effect, says that
    attempt did the work (``done_if``: a delete finds nothing to delete)."""
    if not (isinstance(exc, APIStatusError) and done_if and done_if(exc)):
        return False
    log.debug("%s %s: done by an earlier attempt (%s)", exc.method, exc.url, exc.code)
    return True
