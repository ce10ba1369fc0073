"""The spend guard: price a launch from the instance-types list before it is sent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..errors import SpendLimitExceededError, ValidationError
from ..types.instance_types import InstanceTypesItem

__all__ = ["check_spend"]


def check_spend(
    types: Mapping[str, InstanceTypesItem], names: Sequence[str], count: int, ceiling: int
) -> None:
    """Raise ``SpendLimitExceededError`` if ``count`` instances of the dearest of ``names``
    would cost more than ``ceiling`` cents per hour (``ValidationError`` for an unknown type)."""
    unknown = [name for name in names if name not in types]
    if unknown:
        field = "instance_type_name" if len(names) == 1 else "instance_type_names"
        raise ValidationError(field, f"unknown instance type(s): {', '.join(unknown)}")
    dearest = max(names, key=lambda name: types[name].instance_type.price_cents_per_hour)
    price = types[dearest].instance_type.price_cents_per_hour
    if count * price > ceiling:
        raise SpendLimitExceededError(
            count=count,
            instance_type_name=dearest,
            price_cents_per_hour=price,
            max_hourly_cost_cents=ceiling,
        )
