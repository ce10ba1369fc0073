"""The connection to the shared store, and what happens when it fails.

Every exchange goes through ``Store.run``: bounded by the options' ``timeout``, its reply
checked. A failure of any kind (refused, reset, slow, a reply that is not what the script
returns, the client library missing) either raises ``SharedStateError`` (``strict``) or marks
the store down for ``recheck`` seconds and raises ``StoreDown``, on which the caller falls back
to this process's own state. One warning is logged when the store goes down, one line when it
is back; while it is down, nothing is sent to it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NoReturn, TypeVar

import attrs

from .._clock import monotonic
from .._timeouts import within
from ..errors import SharedStateError
from .options import SharedState, redacted_url

__all__ = ["Account", "Store", "StoreDown", "namespace"]

log = logging.getLogger("lambda_cloud")

T = TypeVar("T")


@attrs.frozen
class Account:
    """One account's corner of a store: its keys are ``lambda-cloud:{<namespace>}:...`` (one
    hash tag, so a Redis Cluster keeps them on one node, as a script touching two needs)."""

    store: Store
    namespace: str

    def key(self, *parts: str) -> str:
        """The key ``parts`` name, in this account's namespace."""
        return ":".join(("lambda-cloud", f"{{{self.namespace}}}", *parts))


class StoreDown(Exception):
    """The store is unavailable: fall back to this process's own state."""


def namespace(api_key: str, base_url: str) -> str:
    """The store's name for an account: a hash of the base URL and API key, so that the key
    never reaches the store and two APIs (production, an emulator) never share state."""
    digest = hashlib.sha256(f"lambda-cloud\n{base_url}\n{api_key}".encode()).hexdigest()
    return digest[:32]


def _connect(url: str, timeout: float) -> Any:
    """An asyncio client of ``redis`` (or ``valkey``, its fork), imported on first use, that
    never retries by itself: a store that fails is the fallback's to handle."""
    try:
        import redis.asyncio as client
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff
    except ImportError:
        try:
            import valkey.asyncio as client  # type: ignore[import-not-found, no-redef]
            from valkey.asyncio.retry import Retry  # type: ignore[import-not-found, no-redef]
            from valkey.backoff import NoBackoff  # type: ignore[import-not-found, no-redef]
        except ImportError:
            raise SharedStateError(
                "the shared store needs the redis client: pip install 'lambda-cloud[redis]'"
            ) from None
    return client.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
        protocol=2,  # what Redis 6 and Valkey speak; a newer client would try RESP3 first
    )


class Store:
    """One shared store, as a client (and its copies) sees it. Connections are made on the
    running event loop, again under a new loop (as the sync facade's may be)."""

    def __init__(self, options: SharedState, *, clock: Callable[[], float] = monotonic):
        self.options = options
        self._clock = clock
        self._redis: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scripts: dict[str, Any] = {}
        self._down_until = -math.inf
        self._down = False

    def __repr__(self) -> str:
        return f"Store({redacted_url(self.options.url)!r})"

    @property
    def down(self) -> bool:
        """Whether the last exchange failed (and the store is not tried again before
        ``recheck`` seconds have passed)."""
        return self._down

    async def run(
        self, what: str, op: Callable[[Any], Awaitable[object]], check: Callable[[object], T]
    ) -> T:
        """``check(await op(redis))``, within the timeout; ``what`` names the exchange in the
        warning. Raises ``StoreDown`` (fall back) or, when ``strict``, ``SharedStateError``."""
        if self._down and self._clock() < self._down_until and not self.options.strict:
            raise StoreDown
        try:
            result = check(await within(op(self._connection()), self.options.timeout))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # refused, reset, slow, an unexpected reply, no library
            self._failed(what, exc)
        if self._down:
            self._down = False
            log.warning("shared state %s: reachable again", redacted_url(self.options.url))
        return result

    async def run_script(
        self,
        what: str,
        script: Callable[[Any], Any],
        keys: Sequence[str],
        args: Sequence[object],
        check: Callable[[object], T],
    ) -> T:
        """``run`` ``script`` (from ``script``) on ``keys`` with ``args``."""
        keys, args = list(keys), list(args)
        return await self.run(what, lambda redis: script(redis)(keys=keys, args=args), check)

    def script(self, name: str, source: str) -> Callable[[Any], Any]:
        """The Lua script ``source`` (named ``name``), run by sha once the store knows it."""

        def bound(redis: Any) -> Any:
            script = self._scripts.get(name)
            if script is None:
                script = self._scripts[name] = redis.register_script(source)
            return script

        return bound

    def _failed(self, what: str, exc: Exception) -> NoReturn:
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        where = redacted_url(self.options.url)
        if self.options.strict:
            raise SharedStateError(f"shared state {where} failed ({what}): {reason}") from exc
        if not self._down:
            log.warning(
                "shared state %s failed (%s): %s; pacing and budgeting in this process alone, "
                "trying the store again in %gs",
                where,
                what,
                reason,
                self.options.recheck,
            )
        self._down = True
        self._down_until = self._clock() + self.options.recheck
        # The next attempt reconnects rather than reuse a connection in an unknown state.
        self._drop()
        raise StoreDown from exc

    def _connection(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._redis is None or self._loop is not loop:
            self._redis = _connect(self.options.url, self.options.timeout)
            self._loop = loop
            self._scripts = {}
        return self._redis

    def _drop(self) -> None:
        redis, self._redis = self._redis, None
        self._scripts = {}
        if redis is not None and self._loop is asyncio.get_running_loop():
            task = asyncio.ensure_future(_close(redis))
            _CLOSING.add(task)
            task.add_done_callback(_CLOSING.discard)

    async def close(self) -> None:
        """Close the connection pool (on the loop it was made on)."""
        redis, self._redis = self._redis, None
        if redis is not None and self._loop is asyncio.get_running_loop():
            await _close(redis)


#: Closings of dropped connections in progress (a task needs a strong reference).
_CLOSING: set[asyncio.Task[None]] = set()


async def _close(redis: Any) -> None:
    try:
        await redis.aclose()
    except Exception as exc:  # a broken connection may fail to close; it is dropped anyway
        log.debug("shared state: closing a dropped connection: %s", exc)
