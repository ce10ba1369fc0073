"""``/instance-types``: what can be launched, at what price, and where there is capacity."""

from __future__ import annotations

import builtins
from collections.abc import Sequence

import attrs

from .._compat import Unpack
from .._converter import structure
from .._options import RequestOptions
from .._raw import WithRawResponse, async_to_raw_response_wrapper
from .._validation import check_bool, check_length, check_list
from ..errors import ValidationError
from ..types.instance_types import InstanceTypesItem
from ._base import AsyncAPIResource

__all__ = ["AsyncInstanceTypes", "AsyncInstanceTypesWithRawResponse"]


class AsyncInstanceTypes(AsyncAPIResource):
    """Instance types offered on Lambda's public cloud."""

    async def list(self, **options: Unpack[RequestOptions]) -> dict[str, InstanceTypesItem]:
        """Every instance type, keyed by its name (``gpu_1x_a10``, ...), with the regions that
        have capacity for it right now. Capacity is a hint, not a reservation."""
        data = await self._request("GET", "/instance-types", options=options)
        return structure(data, dict[str, InstanceTypesItem])

    async def find(
        self,
        *,
        gpus: int | None = None,
        min_gpus: int | None = None,
        gpu_name: str | None = None,
        max_price_cents_per_hour: int | None = None,
        regions: Sequence[str] | None = None,
        available_only: bool = True,
        **options: Unpack[RequestOptions],
    ) -> builtins.list[InstanceTypesItem]:
        """The instance types that fit, cheapest per GPU first (types without GPUs last), from
        one list call.

        ``gpus`` asks for exactly that many GPUs, ``min_gpus`` for at least that many (not
        both); ``gpu_name`` is a case-insensitive substring of ``gpu_description`` (``"h100"``);
        ``max_price_cents_per_hour`` caps the price of the whole instance. ``regions`` keeps
        only those regions in each item's ``regions_with_capacity_available``; with
        ``available_only`` (the default) a type left with no region is dropped.
        """
        wanted = _Filter.checked(
            gpus=gpus,
            min_gpus=min_gpus,
            gpu_name=gpu_name,
            max_price_cents_per_hour=max_price_cents_per_hour,
            regions=regions,
            available_only=available_only,
        )
        items = await self.list(**options)
        found = [item for item in map(wanted.narrowed, items.values()) if wanted.fits(item)]
        return sorted(found, key=_price_per_gpu)


@attrs.frozen(kw_only=True)
class _Filter:
    """``find``'s validated criteria."""

    gpus: int | None
    min_gpus: int | None
    gpu_name: str | None
    max_price: int | None
    regions: frozenset[str] | None
    available_only: bool

    @classmethod
    def checked(
        cls,
        *,
        gpus: int | None,
        min_gpus: int | None,
        gpu_name: str | None,
        max_price_cents_per_hour: int | None,
        regions: Sequence[str] | None,
        available_only: bool,
    ) -> _Filter:
        if gpus is not None and min_gpus is not None:
            raise ValidationError("gpus", "give gpus or min_gpus, not both")
        names = None if regions is None else check_list(regions, "regions")
        if names == []:
            raise ValidationError("regions", "expected a non-empty list of region names")
        return cls(
            gpus=_count(gpus, "gpus", least=0),
            min_gpus=_count(min_gpus, "min_gpus", least=0),
            gpu_name=None
            if gpu_name is None
            else check_length(gpu_name, "gpu_name", min_len=1, max_len=256).lower(),
            max_price=_count(max_price_cents_per_hour, "max_price_cents_per_hour", least=1),
            regions=None
            if names is None
            else frozenset(
                check_length(r, f"regions[{i}]", min_len=1, max_len=64) for i, r in enumerate(names)
            ),
            available_only=check_bool(available_only, "available_only"),
        )

    def narrowed(self, item: InstanceTypesItem) -> InstanceTypesItem:
        """``item`` with only the wanted regions (the item itself when any region will do)."""
        if self.regions is None:
            return item
        kept = [r for r in item.regions_with_capacity_available if r.name in self.regions]
        return attrs.evolve(item, regions_with_capacity_available=kept)

    def fits(self, item: InstanceTypesItem) -> bool:
        kind = item.instance_type
        gpus = kind.specs.gpus
        return (
            (self.gpus is None or gpus == self.gpus)
            and (self.min_gpus is None or gpus >= self.min_gpus)
            and (self.gpu_name is None or self.gpu_name in kind.gpu_description.lower())
            and (self.max_price is None or kind.price_cents_per_hour <= self.max_price)
            and (not self.available_only or bool(item.regions_with_capacity_available))
        )


def _count(value: int | None, field: str, *, least: int) -> int | None:
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int) or value < least
    ):
        raise ValidationError(field, f"expected an int of at least {least}, got {value!r}")
    return value


def _price_per_gpu(item: InstanceTypesItem) -> tuple[bool, float, str]:
    kind = item.instance_type
    gpus = kind.specs.gpus
    per_gpu = kind.price_cents_per_hour / gpus if gpus > 0 else float(kind.price_cents_per_hour)
    return (gpus <= 0, per_gpu, kind.name)


class AsyncInstanceTypesWithRawResponse(WithRawResponse):
    """``AsyncInstanceTypes``, each method returning an ``APIResponse`` of its value."""

    def __init__(self, instance_types: AsyncInstanceTypes) -> None:
        super().__init__(instance_types)
        self.list = async_to_raw_response_wrapper(instance_types.list)
        self.find = async_to_raw_response_wrapper(instance_types.find)
