"""Defaults and the environment variables the client reads."""

from __future__ import annotations

import os

import aiohttp

from .errors import LambdaCloudError, ValidationError

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "Timeout",
    "resolve_api_key",
    "resolve_base_url",
    "to_client_timeout",
]

API_KEY_ENV = "LAMBDA_API_KEY"
BASE_URL_ENV = "LAMBDA_BASE_URL"
DEFAULT_BASE_URL = "https://cloud.lambda.ai/api/v1"
DEFAULT_MAX_RETRIES = 2
# Connect fast or fail; the whole request (launch included) normally answers within seconds.
DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=60.0, connect=10.0, sock_connect=10.0)

#: A timeout in seconds for the whole request, or a full ``aiohttp.ClientTimeout``.
Timeout = float | aiohttp.ClientTimeout


def to_client_timeout(timeout: Timeout) -> aiohttp.ClientTimeout:
    """Normalise a user-facing timeout."""
    if isinstance(timeout, aiohttp.ClientTimeout):
        return timeout
    seconds = float(timeout)
    if not seconds > 0:  # aiohttp reads 0 (and below) as "no timeout at all"
        raise ValidationError("timeout", f"must be a positive number of seconds, got {timeout!r}")
    connect = min(seconds, DEFAULT_TIMEOUT.connect or seconds)
    return aiohttp.ClientTimeout(total=seconds, connect=connect, sock_connect=connect)


def resolve_api_key(api_key: str | None) -> str:
    """The explicit key, else ``$LAMBDA_API_KEY``, else a clear error."""
    key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
    key = (key or "").strip()  # a key read from a file usually ends in a newline
    if not key:
        raise LambdaCloudError(
            f"No API key: pass api_key=... to the client or set the {API_KEY_ENV} "
            "environment variable (create a key at https://cloud.lambda.ai/api-keys)."
        )
    if any(ch.isspace() or not ch.isprintable() for ch in key):
        raise LambdaCloudError("The API key contains whitespace or control characters.")
    return key


def resolve_base_url(base_url: str | None) -> str:
    """The explicit URL, else ``$LAMBDA_BASE_URL``, else production; always without a '/'."""
    url = base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    return url.rstrip("/")
