"""What every resource shares: a handle on its client and one way to send a request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from .._config import Timeout, to_client_timeout
from .._converter import current_request
from .._retry import RetryPolicy, RetryRule
from ..errors import APIStatusError, ConflictError, NotFoundError
from ._presigned import send_presigned

if TYPE_CHECKING:
    from .._client import AsyncLambdaCloud
    from ..shared.store import Account

__all__ = ["AsyncAPIResource", "SyncAPIResource", "is_conflict", "is_not_found"]


def is_not_found(exc: APIStatusError) -> bool:
    """A retried delete found nothing: the lost first attempt deleted it."""
    return isinstance(exc, NotFoundError)


def is_conflict(exc: APIStatusError) -> bool:
    """A retried restart found the instance busy: the lost first attempt restarted it."""
    return isinstance(exc, ConflictError)


class AsyncAPIResource:
    """Base of every resource (``client.instances``, ``client.ssh_keys``, ...)."""

    def __init__(self, client: AsyncLambdaCloud) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"

    def _shared_account(self) -> Account | None:
        """The account's corner of the client's shared store (``None``: it has none)."""
        limiter = self._client._transport.rate_limiter
        return None if limiter is None else limiter.shared_account()

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: object = None,
        rule: RetryRule = RetryRule.SAFE,
        timeout: Timeout | None = None,
        retries: int | RetryPolicy | None = None,
        done_if: Callable[[APIStatusError], bool] | None = None,
        build_body: Callable[[], Awaitable[object]] | None = None,
        envelope: bool = False,
    ) -> Awaitable[Any]:
        """Send a request; await it for the envelope's ``data``, or with ``envelope=True`` the
        whole envelope (paginated lists). See ``Transport.request`` for ``done_if`` and
        ``build_body``.

        A plain function handing back the transport's coroutine, so that a call's frames stay
        few: each costs time whenever the request waits on the network.
        """
        transport = self._client._transport
        current_request.set((method, transport.base_url + path))
        return transport.request(
            method,
            path,
            params=params,
            body=body,
            rule=rule,
            timeout=None if timeout is None else to_client_timeout(timeout),
            retries=None if retries is None else RetryPolicy.coerce(retries),
            done_if=done_if,
            build_body=build_body,
            envelope=envelope,
        )

    async def _send_presigned(
        self,
        method: str,
        url: str,
        data: bytes,
        *,
        content_type: str,
        timeout: Timeout | None = None,
    ) -> None:
        """Send ``data`` to a presigned storage URL over this client's connection pool."""
        transport = self._client._transport
        await send_presigned(
            transport.sessions.get(),
            method,
            url,
            data,
            content_type=content_type,
            timeout=transport.timeout if timeout is None else to_client_timeout(timeout),
        )


class SyncAPIResource:
    """Base of the sync facade's resources (``LambdaCloud().instances``, ...), generated from
    the async ones."""
