"""What a noun module hands the request pipeline: its routes, and the call a handler receives.

A handler returns the answer's ``data`` (the pipeline wraps it in ``{"data": ...}``), or a
:class:`Page` when the answer also carries a top-level ``page_token``; it raises
:class:`~lambda_cloud.emulator.errors.ApiError` for an error answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import attrs
import orjson
from multidict import MultiMapping

from . import validation
from .model import Account

__all__ = ["MAX_BODY_BYTES", "Call", "Handler", "Noun", "Page", "Route"]

#: The largest request body the emulator reads (the API and the presigned storage alike).
MAX_BODY_BYTES = 8 * 1024 * 1024


@attrs.frozen
class Call:
    """One authenticated request, as a handler sees it."""

    account: Account
    params: Mapping[str, str]
    query: MultiMapping[str]
    raw_body: bytes
    origin: str  # scheme://host:port, for URLs the emulator serves itself

    def body(self) -> Any:
        """The request body parsed as JSON (400 if it is missing or not JSON)."""
        if not self.raw_body.strip():
            raise validation.parse_error("body: a JSON object is required")
        try:
            return orjson.loads(self.raw_body)
        except orjson.JSONDecodeError:
            raise validation.parse_error("body: not valid JSON") from None


@attrs.frozen
class Page:
    """An answer with a next page: ``{"data": data, "page_token": page_token}``."""

    data: Any
    page_token: str | None


Handler = Callable[[Call], Any]


def _compile(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")


@attrs.frozen
class Route:
    """``method template`` (relative to ``/api/v1``, ``{name}`` for a path parameter)."""

    method: str
    template: str
    handler: Handler
    launch: bool = False  # draws from the launch rate-limit bucket as well
    status: int = 200
    pattern: re.Pattern[str] = attrs.field(init=False)

    @pattern.default
    def _pattern(self) -> re.Pattern[str]:
        return _compile(self.template)


class Noun(Protocol):
    """One noun of the API: its state operations, rendering and routes."""

    def routes(self) -> list[Route]: ...
