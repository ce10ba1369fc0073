"""Per-call credentials, in the shape the seed SDK used (``security=``)."""

from __future__ import annotations

import base64

import attrs

from .errors import ValidationError

__all__ = ["SchemeBasicAuth", "Secret", "Security", "authorization_of", "bearer_header"]


class Secret(str):
    """A string that never shows itself in a repr (tracebacks with locals, logs of headers)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'<redacted>'"


def bearer_header(api_key: str) -> Secret:
    """The ``Authorization`` value for an API key."""
    return Secret(f"Bearer {api_key}")


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
        password = self.basic_auth.password
        if not isinstance(password, str):
            raise ValidationError("security.basic_auth.password", "must be a str")
        pair = f"{username}:{password}".encode()
        return Secret("Basic " + base64.b64encode(pair).decode("ascii"))


def authorization_of(security: object) -> Secret:
    """The header for a per-call ``security=`` argument, checked to be a ``Security``."""
    if not isinstance(security, Security):
        raise ValidationError(
            "security", f"must be a lambda_cloud.Security, got {type(security).__name__}"
        )
    return security.authorization()


def _checked(value: object, field: str) -> str:
    # The value is a credential: name its type, never echo it.
    if not isinstance(value, str) or not value:
        raise ValidationError(field, f"must be a non-empty str, got {type(value).__name__}")
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        raise ValidationError(field, "contains whitespace or control characters")
    return value
