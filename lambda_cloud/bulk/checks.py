"""Argument checks the bulk operations share."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from .._validation import check_ids, check_list, check_real
from ..errors import ValidationError

__all__ = ["check_names", "check_positive", "distinct_ids"]


def distinct_ids(ids: Iterable[str], field: str = "ids") -> list[str]:
    """Validated ids with duplicates dropped, first occurrence first."""
    return list(dict.fromkeys(check_ids(ids, field)))


def check_positive(value: float, field: str, *, integer: bool = False) -> None:
    """A positive number (an ``int`` when ``integer``), else ``ValidationError``."""
    number = check_real(value, field)
    # An infinite poll interval would sleep forever (and NaN compares false either way).
    if (integer and not isinstance(number, int)) or not 0 < number < math.inf:
        expected = "a positive integer" if integer else "a positive finite number"
        raise ValidationError(field, f"must be {expected}, got {value!r}")


def check_names(values: Sequence[str] | None, field: str) -> list[str] | None:
    """A non-empty list of distinct non-empty strings, or ``None``."""
    if values is None:
        return None
    items = check_list(values, field)
    names = [v for v in items if isinstance(v, str) and v]
    if not names or len(names) != len(items):
        raise ValidationError(field, "expected a non-empty list of non-empty strings")
    return list(dict.fromkeys(names))
