"""Per-call credentials, in the shape the seed SDK used (``security=``)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import SupportsIndex, TypeVar, cast

import attrs

from .errors import ValidationError

__all__ = [
    "SchemeBasicAuth",
    "Secret",
    "Security",
    "authorization_of",
    "bearer_header",
    "conceal",
    "credentials_in",
    "redact",
]

#: What a credential echoed by the server reads as once redacted.
REDACTED = "<redacted>"

T = TypeVar("T")


class Secret(str):
    """A string that never shows itself in a repr (tracebacks with locals, logs of headers)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'<redacted>'"

    def __getitem__(self, key: SupportsIndex | slice) -> Secret:
        # A slice stays secret: rich's traceback shows a long local as repr(value[:80]).
        return Secret(str.__getitem__(self, key))


def conceal(value: T) -> T:
    """``value`` as a ``Secret`` if it is a string, else as it is (for the check that names a
    wrong type). Rebinding a credential parameter to this on a function's first line keeps it
    out of every traceback's locals."""
    if isinstance(value, str) and not isinstance(value, Secret):
        return cast(T, Secret(value))
    return value


def bearer_header(api_key: str) -> Secret:
    """The ``Authorization`` value for an API key."""
    return Secret(f"Bearer {api_key}")


def credentials_in(*authorizations: str) -> tuple[Secret, ...]:
    """The forms in which a server may echo these ``Authorization`` values' credentials,
    longest first: the token after the scheme and, for Basic, the decoded ``user:password``
    and its user (the API key)."""
    forms: set[str] = set()
    for authorization in authorizations:
        scheme, _, token = authorization.partition(" ")
        forms.add(token)
        if scheme.lower() == "basic":
            try:
                pair = Secret(base64.b64decode(token, validate=True).decode())
            except (binascii.Error, UnicodeDecodeError):
                continue
            forms |= {pair, pair.partition(":")[0]}
    return tuple(sorted((Secret(f) for f in forms if f), key=len, reverse=True))


def redact(value: T, secrets: Sequence[str]) -> T:
    """``value`` with each of ``secrets`` replaced by ``<redacted>``: a string, or data as
    decoded from JSON (dict keys and values, list items, at any depth)."""
    if isinstance(value, str):
        text = str(value)
        for secret in secrets:
            text = text.replace(secret, REDACTED)
        return cast(T, text)
    if isinstance(value, dict):
        return cast(T, {redact(k, secrets): redact(v, secrets) for k, v in value.items()})
    if isinstance(value, list):
        return cast(T, [redact(item, secrets) for item in value])
    return value


@attrs.frozen(kw_only=True)
class SchemeBasicAuth:
    """HTTP basic credentials. The API takes the API key as the username and no password."""

    username: str = attrs.field(repr=False)
    password: str = attrs.field(default="", repr=False)


@attrs.frozen(kw_only=True)
class Security:
    """Credentials for one call, overriding the client's key: basic auth or a bearer key."""

    basic_auth: SchemeBasicAuth | None = None
    bearer_auth: str | None = attrs.field(default=None, repr=False)

    def authorization(self) -> Secret:
        """The ``Authorization`` header value these credentials produce."""
        if (self.basic_auth is None) == (self.bearer_auth is None):
            raise ValidationError("security", "give exactly one of basic_auth or bearer_auth")
        if self.bearer_auth is not None:
            return bearer_header(_checked(self.bearer_auth, "security.bearer_auth"))
        if not isinstance(self.basic_auth, SchemeBasicAuth):
            raise ValidationError(
                "security.basic_auth",
                f"must be a SchemeBasicAuth, got {type(self.basic_auth).__name__}",
            )
        username = _checked(self.basic_auth.username, "security.basic_auth.username")
        password = conceal(self.basic_auth.password)
        if not isinstance(password, str):
            raise ValidationError("security.basic_auth.password", "must be a str")
        # In one expression: no local ever holds the pair in the clear.
        return Secret("Basic " + base64.b64encode(f"{username}:{password}".encode()).decode())


def authorization_of(security: object) -> Secret:
    """The header for a per-call ``security=`` argument, checked to be a ``Security``."""
    if not isinstance(security, Security):
        raise ValidationError(
            "security", f"must be a lambda_cloud.Security, got {type(security).__name__}"
        )
    return security.authorization()


def _checked(value: object, field: str) -> str:
    # The value is a credential: name its type, never echo it.
    value = conceal(value)
    if not isinstance(value, str) or not value:
        raise ValidationError(field, f"must be a non-empty str, got {type(value).__name__}")
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        raise ValidationError(field, "contains whitespace or control characters")
    return value
