"""What every resource shares: a handle on its client and one way to send a request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from .._api import ClientAPI
from .._converter import current_request
from .._options import DEFAULT_OPTIONS, FinalRequestOptions, RequestOptions
from .._retry import RetryRule
from ..errors import APIStatusError, ConflictError, NotFoundError

__all__ = ["AsyncAPIResource", "SyncAPIResource", "is_conflict", "is_not_found"]


def is_not_found(exc: APIStatusError) -> bool:
    """A retried delete found nothing: the lost first attempt deleted it."""
    return isinstance(exc, NotFoundError)


def is_conflict(exc: APIStatusError) -> bool:
    """A retried restart found the instance busy: the lost first attempt restarted it."""
    return isinstance(exc, ConflictError)


class AsyncAPIResource:
    """Base of every resource (``client.instances``, ``client.ssh_keys``, ...): it reaches its
    client only through the ``ClientAPI`` the client hands it."""

    def __init__(self, api: ClientAPI) -> None:
        self._api = api

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._api!r}>"

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: object = None,
        rule: RetryRule = RetryRule.SAFE,
        options: RequestOptions | None = None,
        done_if: Callable[[APIStatusError], bool] | None = None,
        build_body: Callable[[], Awaitable[object]] | None = None,
        envelope: bool = False,
    ) -> Awaitable[Any]:
        """Send a request; await it for the envelope's ``data``, or with ``envelope=True`` the
        whole envelope (paginated lists). ``options`` are the calling method's, checked here
        into the one ``FinalRequestOptions`` the transport applies; see ``Transport.request``
        for ``done_if`` and ``build_body``.

        A plain function handing back the transport's coroutine, so that a call's frames stay
        few: each costs time whenever the request waits on the network.
        """
        transport = self._api.transport
        # What a structure error names as the request whose answer it could not read.
        current_request.set((method, transport.base_url + path))
        return transport.request(
            method,
            path,
            params=params,
            body=body,
            rule=rule,
            options=DEFAULT_OPTIONS if options is None else FinalRequestOptions.of(options),
            done_if=done_if,
            build_body=build_body,
            envelope=envelope,
        )


class SyncAPIResource:
    """Base of the sync facade's resources (``LambdaCloud().instances``, ...), generated from
    the async ones."""
