"""The spend guard's prices: a launch's from the instance-types list, the account's from its
live instances (the books they go into are ``lambda_cloud._budget``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from .._budget import LiveCost, check_price
from ..bulk.inventory import is_live
from ..bulk.options import LAUNCH_TOKEN_TAG
from ..errors import ValidationError
from ..types.instance_types import InstanceTypesItem
from ..types.instances import Instance

__all__ = ["dearest", "live_costs"]


def dearest(
    types: Mapping[str, InstanceTypesItem], names: Sequence[str], *, field: str | None = None
) -> tuple[str, int]:
    """The dearest of ``names`` and its price in cents per hour (``ValidationError`` naming
    ``field``, by default the launch argument that takes as many, for an unknown type;
    ``InvalidPriceError`` for a price that is not a whole number of cents)."""
    unknown = [name for name in names if name not in types]
    if unknown:
        if field is None:
            field = "instance_type_name" if len(names) == 1 else "instance_type_names"
        raise ValidationError(field, f"unknown instance type(s): {', '.join(unknown)}")
    priced = [
        (name, check_price(name, types[name].instance_type.price_cents_per_hour)) for name in names
    ]
    return max(priced, key=lambda item: item[1])


def live_costs(instances: Iterable[Instance]) -> list[LiveCost]:
    """Each live instance's launch-token tag and price (``InvalidPriceError`` for a price that
    is not a whole number of cents)."""
    costs = []
    for instance in instances:
        if is_live(instance):
            kind = instance.instance_type
            price = check_price(kind.name, kind.price_cents_per_hour)
            costs.append((instance.tag(LAUNCH_TOKEN_TAG), price))
    return costs
