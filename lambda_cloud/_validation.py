"""Checks on arguments, from the API spec's limits, run before anything is sent.

Each check raises ``ValidationError`` naming the argument, so a bad call costs no request.
"""

from __future__ import annotations

import datetime
import re
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

from .errors import ValidationError
from .types._fields import OpenEnum

__all__ = [
    "FILESYSTEM_NAME_PATTERN",
    "HOSTNAME_PATTERN",
    "MAX_USER_DATA_BYTES",
    "check_bool",
    "check_callback",
    "check_choice",
    "check_filesystem_name",
    "check_headers",
    "check_hostname",
    "check_ids",
    "check_length",
    "check_list",
    "check_mount_point",
    "check_path_id",
    "check_pattern",
    "check_real",
    "check_single_ssh_key",
    "check_string",
    "check_tag",
    "check_timestamp",
    "check_user_data",
]

HOSTNAME_PATTERN = re.compile(r"^[a-z0-9][0-9a-z-]{0,62}$")
TAG_KEY_PATTERN = re.compile(r"^[a-z][a-z0-9-:]+$")
MOUNT_POINT_PATTERN = re.compile(r"^(/home|/lambda/nfs|/data)[//a-zA-Z0-9-]*$")
# "1 MB" in the spec, read as 10**6 UTF-8 bytes (the emulator uses the same number).
MAX_USER_DATA_BYTES = 1_000_000
FILESYSTEM_NAME_PATTERN = re.compile(r"^[a-zA-Z]+[0-9a-zA-Z-]*$")


def check_string(value: object, field: str) -> str:
    """``value`` must be a ``str``."""
    if not isinstance(value, str):
        raise ValidationError(field, f"expected a string, got {type(value).__name__}")
    return value


def check_bool(value: object, field: str) -> bool:
    """``True`` or ``False`` (a truthy ``1`` or ``"no"`` is a mistake, not a yes)."""
    if not isinstance(value, bool):
        raise ValidationError(field, f"expected True or False, got {value!r}")
    return value


def check_real(value: object, field: str, *, expected: str = "a number") -> float:
    """An ``int`` or ``float`` (not a ``bool``: ``True`` is no quantity) that converts to a
    float; NaN and infinities are the caller's to refuse."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(field, f"expected {expected}, got {type(value).__name__}")
    try:
        float(value)  # an int past 1.8e308 would overflow in every deadline and sleep
    except OverflowError:
        raise ValidationError(field, "too large a number") from None
    return value


_F = TypeVar("_F", bound=Callable[..., object])


def check_callback(value: _F | None, field: str) -> _F | None:
    """A function to call back, or ``None``."""
    if value is not None and not callable(value):
        raise ValidationError(field, f"expected a function, got {type(value).__name__}")
    return value


def check_list(value: object, field: str) -> list[object]:
    """A list's items: from a list, tuple or other iterable, but not from a string, bytes or a
    mapping (each iterates, but is no list of values)."""
    if isinstance(value, str | bytes | bytearray | Mapping) or not isinstance(value, Iterable):
        raise ValidationError(field, f"expected a list, got {type(value).__name__}")
    return list(value)


# RFC 9110: a field name is a token; a value is visible characters, spaces and tabs (a CR or LF
# would end the header, and aiohttp refuses them only once the request is on its way).
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE = re.compile(r"[^\x00-\x08\x0a-\x1f\x7f]*")


def check_headers(value: object, field: str = "default_headers") -> dict[str, str]:
    """HTTP headers: a mapping of names to values, both strings; ``None`` is none."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError(
            field, f"expected a mapping of names to values, got {type(value).__name__}"
        )
    for name, text in value.items():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            raise ValidationError(field, f"{name!r} is not a header name")
        if not isinstance(text, str) or not _HEADER_VALUE.fullmatch(text):
            raise ValidationError(f"{field}[{name!r}]", "expected text without control characters")
    return dict(value)


def check_length(value: object, field: str, *, min_len: int = 0, max_len: int) -> str:
    """A string of ``min_len`` to ``max_len`` characters."""
    text = check_string(value, field)
    if not min_len <= len(text) <= max_len:
        raise ValidationError(
            field, f"must be {min_len} to {max_len} characters long, got {len(text)}"
        )
    return text


def check_choice(value: object, field: str, choices: type[OpenEnum]) -> str:
    """One of the enum's known values, given as a member or its string; returns the string."""
    text = value.value if isinstance(value, OpenEnum) else check_string(value, field)
    if text not in choices._value2member_map_:
        allowed = ", ".join(member.value for member in choices)
        raise ValidationError(field, f"must be one of {allowed}, got {text!r}")
    return str(text)


def check_pattern(value: object, field: str, pattern: re.Pattern[str], *, max_len: int) -> str:
    """A string of at most ``max_len`` characters matching ``pattern``."""
    text = check_length(value, field, min_len=0, max_len=max_len)
    if not pattern.fullmatch(text):
        raise ValidationError(field, f"{text!r} does not match {pattern.pattern}")
    return text


def check_path_id(value: object, field: str = "id") -> str:
    """An id that goes into a URL path: a non-empty string, sent percent-encoded."""
    if type(value) is str and value.isascii() and value.isalnum() and len(value) <= 256:
        return value  # the usual case (ids are hex): nothing to quote, no call of ours
    text = check_length(value, field, min_len=1, max_len=256)
    if text in (".", ".."):  # a dot segment would be resolved away, sending elsewhere
        raise ValidationError(field, f"{text!r} is not an id")
    return urllib.parse.quote(text, safe="")


def check_ids(ids: object, field: str) -> list[str]:
    """A non-empty list of id strings (a lone string is refused: it is not a list of ids)."""
    result = [
        check_length(value, f"{field}[{i}]", min_len=1, max_len=256)
        for i, value in enumerate(check_list(ids, field))
    ]
    if not result:
        raise ValidationError(field, "must name at least one id")
    return result


def check_single_ssh_key(names: object) -> list[str]:
    """The API takes exactly one SSH key name per launch."""
    items = check_list(names, "ssh_key_names")
    if len(items) != 1:
        raise ValidationError(
            "ssh_key_names", f"exactly one SSH key name is required, got {len(items)}"
        )
    return [check_length(items[0], "ssh_key_names[0]", min_len=1, max_len=64)]


def check_hostname(hostname: object) -> str:
    """Launch hostname: ``^[a-z0-9][0-9a-z-]{0,62}$``."""
    return check_pattern(hostname, "hostname", HOSTNAME_PATTERN, max_len=63)


def check_user_data(user_data: object) -> str:
    """cloud-init user data, at most 1 MB encoded."""
    text = check_string(user_data, "user_data")
    size = len(text.encode("utf-8"))
    if size > MAX_USER_DATA_BYTES:
        raise ValidationError(
            "user_data", f"must be at most {MAX_USER_DATA_BYTES} bytes (UTF-8), got {size}"
        )
    return text


def check_tag(key: object, value: object, field: str) -> None:
    """A launch tag: key ``^[a-z][a-z0-9-:]+$`` up to 55 characters, value up to 128."""
    check_pattern(key, f"{field}.key", TAG_KEY_PATTERN, max_len=55)
    check_length(value, f"{field}.value", max_len=128)


def check_mount_point(mount_point: object, field: str) -> str:
    """A mount point under /home, /lambda/nfs or /data, up to 256 characters."""
    return check_pattern(mount_point, field, MOUNT_POINT_PATTERN, max_len=256)


def check_filesystem_name(name: object) -> str:
    """A file system name: 1 to 60 characters, ``^[a-zA-Z]+[0-9a-zA-Z-]*$``."""
    text = check_length(name, "name", min_len=1, max_len=60)
    return check_pattern(text, "name", FILESYSTEM_NAME_PATTERN, max_len=60)


def check_timestamp(value: object, field: str) -> str:
    """A query timestamp: a ``datetime`` (naive means UTC) rendered as ISO 8601 in UTC, or an ISO
    8601 string, sent as given."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        # "Z", as the spec's examples write UTC (and no "+" to survive query encoding).
        return value.astimezone(datetime.timezone.utc).isoformat().replace("+00:00", "Z")
    # Imported here: the converter loads cattrs, which waits for the first resource, while the
    # client's own options are checked with this module.
    from ._converter import parse_datetime

    text = check_length(value, field, min_len=1, max_len=64)
    try:
        parse_datetime(text)
    except ValueError:
        raise ValidationError(field, f"not an ISO 8601 date-time: {text!r}") from None
    return text
