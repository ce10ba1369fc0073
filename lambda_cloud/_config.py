"""Defaults and the environment variables the client reads."""

from __future__ import annotations

import datetime
import getpass
import ipaddress
import math
import os
import socket
import urllib.parse
import warnings

import aiohttp

from ._security import Secret, conceal
from ._validation import check_bool, check_real
from .errors import ValidationError

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "ExpiresIn",
    "OWNER_ENV",
    "Timeout",
    "check_expires_in",
    "check_max_response_bytes",
    "check_owner",
    "check_spend_ceiling",
    "resolve_api_key",
    "resolve_base_url",
    "resolve_owner",
    "to_client_timeout",
]

API_KEY_ENV = "LAMBDA_API_KEY"
BASE_URL_ENV = "LAMBDA_BASE_URL"
#: Names the owner every launch is tagged with, when the client is given none.
OWNER_ENV = "LAMBDA_CLOUD_OWNER"
DEFAULT_BASE_URL = "https://cloud.lambda.ai/api/v1"
DEFAULT_MAX_RETRIES = 2
#: The largest response body read, counted after decompression (the biggest real list is ~MBs).
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
# Connect fast or fail; the whole request (launch included) normally answers within seconds.
DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=60.0, connect=10.0, sock_connect=10.0)

#: A timeout in seconds for the whole request, or a full ``aiohttp.ClientTimeout``.
Timeout = float | aiohttp.ClientTimeout


def to_client_timeout(timeout: Timeout, field: str = "timeout") -> aiohttp.ClientTimeout:
    """Normalise a user-facing timeout; ``field`` names the option in a ``ValidationError``."""
    if isinstance(timeout, aiohttp.ClientTimeout):
        return timeout
    expected = "seconds (int or float) or an aiohttp.ClientTimeout"
    seconds = float(check_real(timeout, field, expected=expected))
    # aiohttp reads 0 (and below) as "no timeout at all"; NaN and infinity bound nothing.
    if not (seconds > 0 and math.isfinite(seconds)):
        raise ValidationError(field, f"must be a positive number of seconds, got {timeout!r}")
    connect = min(seconds, DEFAULT_TIMEOUT.connect or seconds)
    return aiohttp.ClientTimeout(total=seconds, connect=connect, sock_connect=connect)


def resolve_api_key(api_key: str | None) -> Secret:
    """The explicit key, else ``$LAMBDA_API_KEY``, else a clear error."""
    api_key = conceal(api_key)
    if api_key is not None and not isinstance(api_key, str):
        raise ValidationError("api_key", f"must be a str, got {type(api_key).__name__}")
    # Concealed as it is read (a key read from a file usually ends in a newline).
    key = Secret((api_key if api_key is not None else os.environ.get(API_KEY_ENV, "")).strip())
    if not key:
        raise ValidationError(
            "api_key",
            f"no API key: pass api_key=... to the client or set the {API_KEY_ENV} "
            "environment variable (create a key at https://cloud.lambda.ai/api-keys).",
        )
    if any(ch.isspace() or not ch.isprintable() for ch in key):
        raise ValidationError("api_key", "the API key contains whitespace or control characters.")
    return key


def resolve_base_url(base_url: str | None, *, allow_insecure_http: bool = False) -> str:
    """The explicit URL, else ``$LAMBDA_BASE_URL``, else production; always without a '/'.

    Refuses anything but an http(s) URL with a host, and plain http to a host other than this
    machine unless ``allow_insecure_http`` (the key would cross the network in clear text).
    """
    check_bool(allow_insecure_http, "allow_insecure_http")
    if base_url is not None and not isinstance(base_url, str):
        raise ValidationError("base_url", f"must be a str, got {type(base_url).__name__}")
    url = (base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise ValidationError("base_url", f"not a URL: {url!r} ({exc})") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ValidationError(
            "base_url",
            f"must be an http(s) URL with a host, like {DEFAULT_BASE_URL!r}; got {url!r}",
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValidationError(
            "base_url", f"must not carry a query, fragment or credentials: {url!r}"
        )
    if parts.scheme == "http" and not allow_insecure_http and not _is_loopback(host):
        raise ValidationError(
            "base_url",
            f"plain http:// to {host!r} would send the API key unencrypted; use https:// "
            "(or pass allow_insecure_http=True)",
        )
    if not parts.path.endswith("/api/v1"):
        warnings.warn(
            f"base_url {url!r} does not end in '/api/v1': every API path is appended to it",
            UserWarning,
            stacklevel=3,
        )
    return url


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_max_response_bytes(value: int) -> int:
    """A positive byte count (``bool`` is not one)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError("max_response_bytes", f"must be a positive int, got {value!r}")
    return value


def check_spend_ceiling(value: int | None, field: str = "max_hourly_cost_cents") -> int | None:
    """A spend ceiling in US cents per hour: a positive int, or ``None`` for none."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValidationError(field, f"must be a positive int (US cents per hour), got {value!r}")
    return value


def check_owner(value: object, field: str = "owner") -> str:
    """An owner: a tag value, 1 to 128 characters."""
    if not isinstance(value, str) or not 1 <= len(value) <= _MAX_TAG_VALUE:
        raise ValidationError(field, f"must be a string of 1 to 128 characters, got {value!r}")
    return value


def resolve_owner(owner: str | None) -> str:
    """The explicit owner, else ``$LAMBDA_CLOUD_OWNER``, else ``<user>@<host>`` (cut to the
    tag value limit)."""
    if owner is not None:
        return check_owner(owner)
    configured = os.environ.get(OWNER_ENV)
    if configured:
        return check_owner(configured, OWNER_ENV)
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # a container user with no passwd entry and no $USER
        user = "unknown"
    return f"{user}@{socket.gethostname()}"[:_MAX_TAG_VALUE]


#: The longest span a duration option takes (an expiry, a cost window): any longer is a typo,
#: and near ``timedelta``'s own limit, adding it to a date overflows.
MAX_DURATION = datetime.timedelta(days=3650)
#: An expiry as seconds from now or a ``timedelta``.
ExpiresIn = float | datetime.timedelta


def check_expires_in(value: object, field: str = "expires_in") -> datetime.timedelta:
    """A positive number of seconds or ``timedelta``, at most ``MAX_DURATION``."""
    if isinstance(value, datetime.timedelta):
        delta = value
    elif (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and abs(value) <= MAX_DURATION.total_seconds()
    ):
        delta = datetime.timedelta(seconds=value)
    else:
        raise ValidationError(
            field, f"expected seconds or a timedelta up to {MAX_DURATION.days} days, got {value!r}"
        )
    if not datetime.timedelta(0) < delta <= MAX_DURATION:
        raise ValidationError(
            field, f"must be positive and at most {MAX_DURATION.days} days, got {value!r}"
        )
    return delta


_MAX_TAG_VALUE = 128
