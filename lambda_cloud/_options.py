"""Per-call request options: the public ``RequestOptions`` every resource method takes as
``**options``, and the checked ``FinalRequestOptions`` they become on their way to the
transport (one object, as anthropic-sdk-python's ``FinalRequestOptions``)."""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import TypedDict, cast

import aiohttp
import attrs

from ._config import Timeout, to_client_timeout
from ._retry import RetryPolicy
from ._validation import check_headers
from .errors import ValidationError
from .types.launch import LaunchOptions

__all__ = [
    "RESERVED_HEADERS",
    "FinalRequestOptions",
    "LaunchCallOptions",
    "RequestOptions",
    "split_launch_options",
]


class RequestOptions(TypedDict, total=False):
    """Options for one call, which every resource method takes as keywords (``await
    client.instances.list(timeout=5, max_retries=0)``); each replaces the client's for that
    call's requests. For every call of a client, use ``client.with_options(...)``."""

    #: Seconds for each request of the call, or an ``aiohttp.ClientTimeout``.
    timeout: Timeout | None
    #: How often a request may be retried (a count, or a ``RetryPolicy``).
    max_retries: int | RetryPolicy | None
    #: Headers sent with each request, over the client's ``default_headers``. Those the client
    #: sets itself (``RESERVED_HEADERS``: ``Authorization``, ``User-Agent``, ...) raise
    #: ``ValidationError``: credentials come from ``api_key`` (or ``security=``), never a header.
    extra_headers: Mapping[str, str] | None


_NAMES = frozenset(RequestOptions.__annotations__)
#: Header names ``extra_headers`` may not set (any case): the client's credentials and
#: identity, and what describes the body it sends.
RESERVED_HEADERS = frozenset(
    {"authorization", "user-agent", "content-type", "content-length", "transfer-encoding", "host"}
)
_NO_HEADERS: Mapping[str, str] = types.MappingProxyType({})


class LaunchCallOptions(LaunchOptions, RequestOptions, total=False):
    """``launch``'s keywords: what to launch (``LaunchOptions``) and the call's
    ``RequestOptions``."""


def split_launch_options(options: LaunchCallOptions) -> tuple[LaunchOptions, RequestOptions]:
    """What to launch, and the call's request options (an unknown keyword goes with the
    former, whose check refuses it)."""
    launch = {k: v for k, v in options.items() if k not in _NAMES}
    return cast(LaunchOptions, launch), cast(
        RequestOptions, {k: v for k, v in options.items() if k in _NAMES}
    )


@attrs.frozen
class FinalRequestOptions:
    """``RequestOptions`` checked: what the transport applies to one call's requests (``None``:
    the client's)."""

    timeout: aiohttp.ClientTimeout | None = None
    retry_policy: RetryPolicy | None = None
    headers: Mapping[str, str] = _NO_HEADERS

    @classmethod
    def of(cls, options: RequestOptions) -> FinalRequestOptions:
        """Check ``options`` (``ValidationError`` naming a bad one, ``TypeError`` for a keyword
        no method takes, as a signature would)."""
        if not options:
            return DEFAULT_OPTIONS
        unknown = sorted(set(options) - _NAMES)
        if unknown:
            raise TypeError(
                f"unexpected keyword argument(s): {', '.join(unknown)} (per-call options are "
                f"{', '.join(sorted(_NAMES))})"
            )
        timeout, retries = options.get("timeout"), options.get("max_retries")
        return cls(
            timeout=None if timeout is None else to_client_timeout(timeout),
            retry_policy=None if retries is None else RetryPolicy.coerce(retries),
            headers=_extra_headers(options.get("extra_headers")),
        )


def _extra_headers(value: object) -> Mapping[str, str]:
    headers = check_headers(value, "extra_headers")
    for name in headers:
        if name.lower() in RESERVED_HEADERS:
            raise ValidationError(
                f"extra_headers[{name!r}]",
                "set by the client itself (credentials come from api_key or security=)",
            )
    return types.MappingProxyType(headers) if headers else _NO_HEADERS


#: No per-call options: the client's for everything.
DEFAULT_OPTIONS = FinalRequestOptions()
