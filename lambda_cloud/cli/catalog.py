"""``lambda-cloud types``, ``images`` and ``regions``: what can be launched, and where."""

from __future__ import annotations

import click

from ..types.images import Image
from ..types.instance_types import InstanceTypesItem
from ..types.regions import Region
from .app import State, pass_state
from .output import Column, price

__all__ = ["images", "regions", "types"]

TYPE_COLUMNS: list[Column[InstanceTypesItem]] = [
    ("NAME", lambda t: t.instance_type.name),
    ("GPUS", lambda t: t.instance_type.specs.gpus),
    ("GPU", lambda t: t.instance_type.gpu_description),
    ("PRICE", lambda t: price(t.instance_type.price_cents_per_hour)),
    ("REGIONS WITH CAPACITY", lambda t: t.region_names),
]
IMAGE_COLUMNS: list[Column[Image]] = [
    ("ID", lambda i: i.id),
    ("NAME", lambda i: i.name),
    ("FAMILY", lambda i: i.family),
    ("VERSION", lambda i: i.version),
    ("ARCH", lambda i: i.architecture),
    ("REGION", lambda i: i.region.name),
]
REGION_COLUMNS: list[Column[Region]] = [
    ("NAME", lambda r: r.name),
    ("DESCRIPTION", lambda r: r.description),
]


@click.command()
@click.option("--gpu", help="Only types whose GPU description contains this (e.g. H100).")
@click.option("--min-gpus", type=click.IntRange(min=1), help="Only types with this many GPUs.")
@click.option("--max-price", type=float, help="Only types costing at most this, in $/hour.")
@click.option("--region", help="Only types with capacity in this region.")
@click.option("--available", is_flag=True, help="Only types with capacity somewhere.")
@pass_state
def types(
    state: State,
    gpu: str | None,
    min_gpus: int | None,
    max_price: float | None,
    region: str | None,
    available: bool,
) -> None:
    """Instance types, cheapest first, with the regions that have capacity now.

    \b
    Example:
      lambda-cloud types --gpu H100 --min-gpus 8 --available
    """
    items = [
        t
        for t in state.client().instance_types.list().values()
        if (gpu is None or gpu.lower() in t.instance_type.gpu_description.lower())
        and (min_gpus is None or t.instance_type.specs.gpus >= min_gpus)
        and (max_price is None or t.instance_type.price_cents_per_hour <= max_price * 100)
        and (region is None or region in t.region_names)
        and (not available or t.region_names)
    ]
    items.sort(key=lambda t: (t.instance_type.price_cents_per_hour, t.instance_type.name))
    state.output.rows(items, TYPE_COLUMNS)


@click.command()
@click.option("--region", help="Only images in this region.")
@pass_state
def images(state: State, region: str | None) -> None:
    """Images you can launch, once per region.

    \b
    Example:
      lambda-cloud images --region us-west-1
    """
    found = state.client().images.list()
    state.output.rows([i for i in found if region in (None, i.region.name)], IMAGE_COLUMNS)


@click.command()
@pass_state
def regions(state: State) -> None:
    """Every region.

    \b
    Example:
      lambda-cloud regions
    """
    state.output.rows(state.client().regions.list(), REGION_COLUMNS)
