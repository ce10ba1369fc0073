"""The schema primitives noun modules check request bodies with (objects, strings, arrays,
integers); each noun's own body rules live in its module.

Every failure is a 400 ``global/invalid-parameters`` whose message starts with the offending
field's path (``tags[1].key: ...``), so a client can tell which field was refused.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from typing import Any

from .errors import ApiError, invalid

__all__ = [
    "USER_DATA_MAX_BYTES",
    "array",
    "choice",
    "integer",
    "obj",
    "optional_string",
    "parse_error",
    "string",
    "string_array",
]

# The spec's "1 MB", read as 10**6 UTF-8 bytes (the SDK checks the same number; launch.py
# enforces it).
USER_DATA_MAX_BYTES = 1_000_000


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def obj(
    value: Any, path: str, *, required: Collection[str] = (), optional: Collection[str] = ()
) -> dict[str, Any]:
    """``value`` as an object holding all of ``required``, as the API's pydantic models read it:
    unknown fields are dropped and an optional field sent as ``null`` counts as absent."""
    if not isinstance(value, dict):
        raise invalid(f"{path or 'body'}: must be a JSON object")
    for key in required:
        if key not in value:
            raise invalid(f"{_join(path, key)}: field required")
    kept = {key: value[key] for key in required}
    kept.update((key, value[key]) for key in optional if value.get(key) is not None)
    return kept


def string(
    value: Any,
    path: str,
    *,
    min_length: int = 0,
    max_length: int | None = None,
    pattern: re.Pattern[str] | None = None,
) -> str:
    """``value`` as a string within the given limits."""
    if not isinstance(value, str):
        raise invalid(f"{path}: must be a string")
    if len(value) < min_length:
        raise invalid(f"{path}: must be at least {min_length} characters long")
    if max_length is not None and len(value) > max_length:
        raise invalid(f"{path}: must be at most {max_length} characters long")
    if pattern is not None and not pattern.match(value):
        raise invalid(f"{path}: must match the pattern {pattern.pattern}")
    return value


def optional_string(body: dict[str, Any], key: str, path: str = "", **limits: Any) -> str | None:
    """``body[key]`` checked as a string, or None when the key is absent."""
    if key not in body:
        return None
    return string(body[key], _join(path, key), **limits)


def array(value: Any, path: str, *, min_items: int = 0) -> list[Any]:
    """``value`` as a JSON array of at least ``min_items`` items."""
    if not isinstance(value, list):
        raise invalid(f"{path}: must be an array")
    if len(value) < min_items:
        raise invalid(f"{path}: must contain at least {min_items} item(s)")
    return value


def string_array(value: Any, path: str, *, min_items: int = 0) -> list[str]:
    """``value`` as an array of strings."""
    items = array(value, path, min_items=min_items)
    return [string(item, _join(path, i)) for i, item in enumerate(items)]


def integer(value: Any, path: str) -> int:
    # bool is an int subclass in Python, but not a JSON integer.
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(f"{path}: must be an integer")
    return value


def parse_error(message: str) -> ApiError:
    """The error for a body that is not a JSON object at all."""
    return invalid(message, "Send a JSON object with Content-Type: application/json.")


def choice(value: Any, path: str, allowed: Sequence[str]) -> str:
    """``value`` as one of the ``allowed`` strings (an enum)."""
    if value not in allowed:
        raise invalid(f"{path}: Input should be {', '.join(repr(a) for a in allowed)}")
    return str(value)
