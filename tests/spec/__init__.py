"""The vendored official OpenAPI spec and request-body checks against it.

``openapi.json`` is a verbatim copy of ``shared/reference/openapi.json`` (Lambda Cloud API
1.10.0), sha256 ``6163162cf92eb680111eba98f153701b76ab0711ab832d58fa6de2e9e1dda3ea``, vendored
so the suite needs nothing outside the repository. Replace it whole when the spec moves on.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import attrs
import orjson
from jsonschema import Draft202012Validator, FormatChecker

__all__ = ["SPEC", "SPEC_PATH", "Operation", "operation_for", "request_problem"]

SPEC_PATH = Path(__file__).with_name("openapi.json")
SPEC: dict[str, Any] = orjson.loads(SPEC_PATH.read_bytes())
_METHODS = ("get", "put", "post", "patch", "delete")


@attrs.frozen
class Operation:
    """One operation of the spec, with its request body's validator compiled once."""

    method: str
    template: str
    pattern: re.Pattern[str]
    body: Draft202012Validator | None

    @property
    def label(self) -> str:
        return f"{self.method} {self.template}"


def _validator(operation: dict[str, Any]) -> Draft202012Validator | None:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    # The components ride along so the body schema's "#/components/..." refs resolve.
    schema = {"allOf": [content["application/json"]["schema"]], "components": SPEC["components"]}
    return Draft202012Validator(schema, format_checker=FormatChecker())


@functools.cache
def _operations() -> tuple[Operation, ...]:
    found = [
        Operation(
            method.upper(),
            template,
            re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)) + "$"),
            _validator(operation),
        )
        for template, item in SPEC["paths"].items()
        for method, operation in item.items()
        if method in _METHODS
    ]
    # Literal segments win over parameters: /firewall-rulesets/global is not a ruleset id.
    return tuple(sorted(found, key=lambda op: op.template.count("{")))


def operation_for(method: str, path: str) -> Operation | None:
    """The spec operation a request to ``path`` (``/api/v1/...``) with ``method`` is."""
    for operation in _operations():
        if operation.method == method and operation.pattern.match(path):
            return operation
    return None


def request_problem(method: str, path: str, raw_body: bytes) -> str | None:
    """Why this request breaks the spec's request schema, or None if it conforms."""
    operation = operation_for(method, path)
    if operation is None:
        return f"{method} {path} is no operation of the spec"
    if operation.body is None:
        return f"{operation.label} takes no JSON body" if raw_body.strip() else None
    try:
        body = orjson.loads(raw_body)
    except orjson.JSONDecodeError:
        return f"{operation.label}: the body is not JSON: {raw_body[:200]!r}"
    errors = sorted(operation.body.iter_errors(body), key=lambda error: list(error.path))
    if not errors:
        return None
    details = "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    return f"{operation.label}: body {body!r} breaks the spec's schema: {details}"
