"""The one place a request is sent: session, auth, pacing, retries, envelope and errors.

Knows HTTP and nothing of the API's nouns: resources hand it a method, a path, a body and the
retry rule that fits what the request does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp
import orjson

from ._deadline import current_deadline
from ._ratelimit import RateLimiter
from ._retry import RetryPolicy, RetryRule, make_retrying, may_have_taken_effect, retry_after_of
from ._security import Secret, bearer_header
from ._version import __version__
from .errors import (
    APIConnectionError,
    APIError,
    APIResponseError,
    APIStatusError,
    APITimeoutError,
    make_status_error,
)

__all__ = ["SessionHolder", "Transport", "USER_AGENT"]

log = logging.getLogger("lambda_cloud")

USER_AGENT = f"lambda-cloud-python/{__version__}"
_JSON_HEADERS = {"Content-Type": "application/json"}


class SessionHolder:
    """The aiohttp session a client and all its ``with_options`` copies share.

    Created lazily on the running loop, since an aiohttp session belongs to the loop it was
    created on; borrowed (never closed) when the caller passed one in.
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

    def get(self) -> aiohttp.ClientSession:
        """The live session, created on the running loop if needed."""
        session = self._session
        loop = asyncio.get_running_loop()
        # A session is tied to its loop; a client reused under a new loop (a second
        # asyncio.run, say) gets a fresh pool instead of failing deep inside aiohttp.
        stale = self._owned and (session is None or session.closed or self._loop is not loop)
        if stale:
            if session is not None and not session.closed:
                session.detach()  # its loop is gone or elsewhere: drop it without closing it there
            self._loop = loop
            session = aiohttp.ClientSession(
                headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
                trace_configs=self._trace_configs,
            )
            # aiohttp silently resends a GET or DELETE once when a pooled connection drops; the
            # retry rules here must see that failure, or a delete whose answer was lost reads
            # as "not found" and max_retries=0 is not honoured.
            session._retry_connection = False
            self._session = session
        assert session is not None
        return session

    async def close(self) -> None:
        """Close the session if this holder created it."""
        session, self._session = self._session, None
        if session is not None and self._owned and not session.closed:
            await session.close()


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
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._authorization = bearer_header(api_key)
        self.base_url = base_url
        self.timeout = timeout
        self.retry_policy = retry_policy
        self.default_headers = dict(default_headers)
        self.sessions = sessions
        self.rate_limiter = rate_limiter
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r})"

    def pacing_delay(self, *, launch: bool = False) -> float:
        """Seconds a request sent now would wait for its rate-limit slot (reserves nothing)."""
        return 0.0 if self.rate_limiter is None else self.rate_limiter.delay(launch=launch)

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
        retrying = make_retrying(
            retries or self.retry_policy, rule, sleep=self._sleep, deadline=current_deadline()
        )
        maybe_applied = False
        async for attempt in retrying:
            with attempt:
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
                    )
                except APIError as exc:
                    if (
                        maybe_applied
                        and isinstance(exc, APIStatusError)
                        and done_if
                        and done_if(exc)
                    ):
                        log.debug("%s %s: done by an earlier attempt (%s)", method, url, exc.code)
                        return {"data": None}
                    maybe_applied = maybe_applied or may_have_taken_effect(exc)
                    raise
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
    ) -> dict[str, Any]:
        if self.rate_limiter is not None:
            await self.rate_limiter.acquire(launch=launch)
        if build_body is not None:
            body = await build_body()
        headers = {**self.default_headers, "Authorization": authorization}
        data: bytes | None = None
        if body is not None:
            data = orjson.dumps(body)
            headers.update(_JSON_HEADERS)
        started = time.perf_counter()
        try:
            async with self.sessions.get().request(
                method, url, params=params, data=data, headers=headers, timeout=timeout
            ) as response:
                raw = await response.read()
                status = response.status
                # Copied only for an error, which keeps them; a success never needs them.
                response_headers = response.headers.copy() if status >= 400 else None
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
        log.debug(
            "%s %s -> %d (%.1f ms)", method, url, status, (time.perf_counter() - started) * 1e3
        )
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


def _decode_error(raw: bytes) -> object:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw[:2048].decode("utf-8", "replace")  # an HTML page from a proxy, say
