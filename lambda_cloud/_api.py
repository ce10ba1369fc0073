"""``ClientAPI``: what a resource needs of its client, and all it may reach.

The client owns one (a ``with_options`` copy its own) and hands it to each resource it builds.
Resources send through its ``transport``, read the launch defaults and spend books from it, and
derive the per-call ``security=`` variant from it; they never see the client, so no resource
imports ``_client`` (not even for annotations) and calls flow one way: client -> resources ->
this -> transport.
"""

from __future__ import annotations

import contextlib
import datetime
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

import attrs

from ._budget import Budget
from ._config import Timeout, to_client_timeout
from ._presigned import send_presigned
from ._security import Secret
from ._transport import Transport

if TYPE_CHECKING:
    from .shared.store import Account

__all__ = ["ClientAPI"]


@attrs.frozen(kw_only=True)
class ClientAPI:
    """One client configuration as its resources see it: the transport that sends, the spend
    books guarded launches reserve from, and the launch defaults (ceiling, owner, expiry)."""

    transport: Transport
    #: The spend books of the client's account (shared with its copies on that account).
    budget: Budget
    #: The client-wide spend ceiling in US cents per hour (``None``: none).
    max_hourly_cost_cents: int | None
    #: The owner every launch is tagged with.
    owner: str
    #: How long after launch an instance expires unless its launch says (``None``: never).
    default_expires_in: datetime.timedelta | None

    @property
    def base_url(self) -> str:
        """The API root every path is appended to."""
        return self.transport.base_url

    def __repr__(self) -> str:
        return f"ClientAPI(base_url={self.transport.base_url!r})"

    async def send_presigned(
        self,
        method: str,
        url: str,
        data: bytes,
        *,
        content_type: str,
        timeout: Timeout | None = None,
    ) -> None:
        """Send ``data`` to a presigned storage URL over this client's connection pool (no API
        key, no envelope, one attempt)."""
        transport = self.transport
        await send_presigned(
            transport.sessions.get(),
            method,
            url,
            data,
            content_type=content_type,
            timeout=transport.timeout if timeout is None else to_client_timeout(timeout),
        )

    def shared_account(self) -> Account | None:
        """The account's corner of the client's shared store (``None``: it has none)."""
        limiter = self.transport.rate_limiter
        return None if limiter is None else limiter.shared_account()

    def run_lease(self, run_id: str | None) -> AbstractAsyncContextManager[None]:
        """The lease on ``run_id`` in the shared store, held while a bulk run goes (nothing
        without a run id chosen by the caller, or without a store)."""
        limiter = self.transport.rate_limiter
        if limiter is None or run_id is None:
            return contextlib.nullcontext()
        return limiter.run_lease(run_id)

    def with_authorization(self, authorization: Secret) -> ClientAPI:
        """This configuration sending this ``Authorization`` header (per-call ``security=``),
        with spend books of its own: the credentials may be another account's."""
        return attrs.evolve(
            self, transport=self.transport.with_authorization(authorization), budget=Budget()
        )
