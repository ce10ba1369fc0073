"""Checks on arguments, from the API spec's limits, run before anything is sent.

Each check raises ``ValidationError`` naming the argument, so a bad call costs no request.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable, Sequence

from .errors import ValidationError

__all__ = [
    "HOSTNAME_PATTERN",
    "MAX_USER_DATA_BYTES",
    "check_hostname",
    "check_ids",
    "check_length",
    "check_mount_point",
    "check_path_id",
    "check_pattern",
    "check_single_ssh_key",
    "check_string",
    "check_tag",
    "check_user_data",
]

HOSTNAME_PATTERN = re.compile(r"^[a-z0-9][0-9a-z-]{0,62}$")
TAG_KEY_PATTERN = re.compile(r"^[a-z][a-z0-9-:]+$")
MOUNT_POINT_PATTERN = re.compile(r"^(/home|/lambda/nfs|/data)[//a-zA-Z0-9-]*$")
MAX_USER_DATA_BYTES = 1_000_000  # "1 MB", as the API counts it: UTF-8 bytes


def check_string(value: object, field: str) -> str:
    """``value`` must be a ``str``."""
    if not isinstance(value, str):
        raise ValidationError(field, f"expected a string, got {type(value).__name__}")
    return value


def check_length(value: object, field: str, *, min_len: int = 0, max_len: int) -> str:
    """A string of ``min_len`` to ``max_len`` characters."""
    text = check_string(value, field)
    if not min_len <= len(text) <= max_len:
        raise ValidationError(
            field, f"must be {min_len} to {max_len} characters long, got {len(text)}"
        )
    return text


def check_pattern(value: object, field: str, pattern: re.Pattern[str], *, max_len: int) -> str:
    """A string of at most ``max_len`` characters matching ``pattern``."""
    text = check_length(value, field, min_len=0, max_len=max_len)
    if not pattern.fullmatch(text):
        raise ValidationError(field, f"{text!r} does not match {pattern.pattern}")
    return text


def check_path_id(value: object, field: str = "id") -> str:
    """An id that goes into a URL path: a non-empty string, sent percent-encoded."""
    return urllib.parse.quote(check_length(value, field, min_len=1, max_len=256), safe="")


def check_ids(ids: Iterable[object], field: str) -> list[str]:
    """A non-empty list of id strings (a lone string is refused: it is not a list of ids)."""
    if isinstance(ids, str | bytes):
        raise ValidationError(field, "expected a list of ids, got a single string")
    result = [
        check_length(value, f"{field}[{i}]", min_len=1, max_len=256) for i, value in enumerate(ids)
    ]
    if not result:
        raise ValidationError(field, "must name at least one id")
    return result


def check_single_ssh_key(names: Sequence[object]) -> list[str]:
    """The API takes exactly one SSH key name per launch."""
    if isinstance(names, str | bytes):
        raise ValidationError("ssh_key_names", "expected a list holding one key name")
    if len(names) != 1:
        raise ValidationError(
            "ssh_key_names", f"exactly one SSH key name is required, got {len(names)}"
        )
    return [check_length(names[0], "ssh_key_names[0]", min_len=1, max_len=64)]


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
