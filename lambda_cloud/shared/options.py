"""``SharedState``: where the shared store is, and how failures are handled."""

from __future__ import annotations

import math
import urllib.parse

import attrs

from ..errors import ValidationError

__all__ = ["SHARED_STATE_ENV", "SharedState", "SharedStateLike", "redacted_url"]

#: The environment variable a client reads the shared store's URL from, when its
#: ``RateLimits`` names none.
SHARED_STATE_ENV = "LAMBDA_CLOUD_SHARED_STATE"

_SCHEMES = ("redis", "rediss", "unix", "valkey", "valkeys")


def _scheme(url: object) -> str | None:
    if not isinstance(url, str):
        return None
    try:
        return urllib.parse.urlsplit(url).scheme
    except ValueError:  # an unclosed IPv6 bracket, say
        return None


def _check_url(instance: object, attribute: attrs.Attribute[str], url: str) -> None:
    if _scheme(url) not in _SCHEMES:
        raise ValidationError(
            "shared", f"expected a redis:// (rediss://, unix://) URL, got {redacted_url(url)!r}"
        )


def _check_seconds(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(attribute.name, f"must be a number of seconds, got {value!r}")
    if not (value > 0 and math.isfinite(value)):
        raise ValidationError(attribute.name, f"must be positive seconds, got {value!r}")


@attrs.frozen(kw_only=True, repr=False)
class SharedState:
    """A Redis (6 or later) or Valkey server that every process using the API key talks to:
    one pace for all of them, one spend budget, and leases on bulk-launch run ids.

    ``url`` as the ``redis`` package reads it (``redis://[[user]:password@]host:port/db``,
    ``rediss://`` for TLS). When the store fails (unreachable, slower than ``timeout``
    seconds, answering nonsense), the client logs one warning, falls back to this process's
    own adaptive pacing and books, and tries the store again ``recheck`` seconds later; with
    ``strict=True`` it raises ``SharedStateError`` instead. A ``launch_many`` with a
    ``run_id`` holds a lease on it, renewed while it runs, that lapses ``lease_ttl`` seconds
    after a crashed run last renewed it. Needs ``lambda-cloud[redis]``.
    """

    url: str = attrs.field(validator=_check_url)
    strict: bool = False
    timeout: float = attrs.field(default=1.0, validator=_check_seconds)
    recheck: float = attrs.field(default=30.0, validator=_check_seconds)
    lease_ttl: float = attrs.field(default=30.0, validator=_check_seconds)

    @classmethod
    def coerce(cls, value: SharedStateLike) -> SharedState:
        """``value`` as ``SharedState`` (a URL string becomes ``SharedState(url=value)``)."""
        return value if isinstance(value, SharedState) else cls(url=value)

    def __repr__(self) -> str:
        # The URL may carry the store's password.
        return (
            f"SharedState(url={redacted_url(self.url)!r}, strict={self.strict!r}, "
            f"timeout={self.timeout!r}, recheck={self.recheck!r}, lease_ttl={self.lease_ttl!r})"
        )


#: ``SharedState``, or just its URL.
SharedStateLike = SharedState | str


def redacted_url(url: object) -> str:
    """``url`` without its password (in the user part, or the ``password`` query parameter the
    ``redis`` client also reads), fit for a log line or an error."""
    text = str(url)
    try:
        parts = urllib.parse.urlsplit(text)
        password = parts.password
    except ValueError:
        return "<unreadable URL>"
    if password is not None:
        userinfo, _, host = parts.netloc.rpartition("@")
        parts = parts._replace(netloc=f"{userinfo.partition(':')[0]}:***@{host}")
    pairs = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    if any(name == "password" for name, _ in pairs):
        hidden = [(name, "***" if name == "password" else value) for name, value in pairs]
        parts = parts._replace(query=urllib.parse.urlencode(hidden, safe="*"))
    # Rebuilt only when something was hidden: unsplitting drops a unix:// URL's empty host.
    return text if parts == urllib.parse.urlsplit(text) else urllib.parse.urlunsplit(parts)
