"""Argument checks the bulk operations share."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from .._validation import check_ids
from ..errors import ValidationError

__all__ = ["check_names", "check_positive", "distinct_ids"]


def distinct_ids(ids: Iterable[str], field: str = "ids") -> list[str]:
    """Validated ids with duplicates dropped, first occurrence first."""
    return list(dict.fromkeys(check_ids(ids, field)))


def check_positive(value: float, field: str, *, integer: bool = False) -> None:
    """A positive number (an ``int`` when ``integer``), else ``ValidationError``."""
    kinds: tuple[type, ...] = (int,) if integer else (int, float)
    if (
        isinstance(value, bool)
        or not isinstance(value, kinds)
        or not 0 < value < math.inf  # an infinite poll interval would sleep forever
    ):
        expected = "a positive integer" if integer else "a positive finite number"
        raise ValidationError(field, f"must be {expected}, got {value!r}")


def check_names(values: Sequence[str] | None, field: str) -> list[str] | None:
    """A non-empty list of distinct non-empty strings, or ``None``."""
    if values is None:
        return None
    if isinstance(values, str):
        raise ValidationError(field, "expected a list, got a single string")
    names = list(dict.fromkeys(values))
    if not names or not all(isinstance(v, str) and v for v in names):
        raise ValidationError(field, "expected a non-empty list of non-empty strings")
    return names
