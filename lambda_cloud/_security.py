"""Per-call credentials, in the shape the seed SDK used (``security=``)."""

from __future__ import annotations

import base64

import attrs

from .errors import ValidationError

__all__ = ["SchemeBasicAuth", "Secret", "Security", "bearer_header"]


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
            return bearer_header(self.bearer_auth)
        assert self.basic_auth is not None
        pair = f"{self.basic_auth.username}:{self.basic_auth.password}".encode()
        return Secret("Basic " + base64.b64encode(pair).decode("ascii"))
