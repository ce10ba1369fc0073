"""``lambda-cloud types``, ``images`` and ``regions``: what can be launched, and where."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

import click

from .app import State, pass_state
from .output import Column, price
from .params import check_names, dollars

if TYPE_CHECKING:
    from lambda_cloud import Image, InstanceTypesItem, LambdaCloud, Region

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


def check_regions(client: LambdaCloud, names: Collection[str]) -> None:
    """Refuse a region that does not exist (one list call), rather than show nothing."""
    if names:
        known = {r.name for r in client.regions.list()}
        check_names("--region", "region", names, known, listing="regions")


@click.command()
@click.option("--gpu", help="Only types whose GPU description contains this (e.g. H100).")
@click.option("--gpus", type=click.IntRange(min=0), help="Only types with exactly this many GPUs.")
@click.option("--min-gpus", type=click.IntRange(min=0), help="Only types with this many GPUs.")
@click.option(
    "--max-price",
    metavar="DOLLARS",
    callback=dollars,
    help="Only types costing at most this many US dollars per hour (e.g. 2.50).",
)
@click.option(
    "--region",
    "regions",
    multiple=True,
    help="Only types with capacity in this region (repeatable); shows only these regions.",
)
@click.option("--available", is_flag=True, help="Only types with capacity somewhere.")
@pass_state
def types(
    state: State,
    gpu: str | None,
    gpus: int | None,
    min_gpus: int | None,
    max_price: int | None,
    regions: tuple[str, ...],
    available: bool,
) -> None:
    """Instance types, cheapest first, with the regions that have capacity now.

    \b
    Example:
      lambda-cloud types --gpu H100 --min-gpus 8 --available
    """
    if gpus is not None and min_gpus is not None:
        raise click.UsageError("give --gpus or --min-gpus, not both")
    check_regions(state.client(), regions)
    found = state.client().instance_types.find(
        gpus=gpus,
        min_gpus=min_gpus,
        gpu_name=gpu,
        max_price_cents_per_hour=max_price,
        regions=regions or None,
        available_only=available or bool(regions),
    )
    # ``find`` puts the cheapest per GPU first; a person scanning a table wants the price.
    found.sort(key=lambda t: (t.instance_type.price_cents_per_hour, t.instance_type.name))
    state.output.rows(found, TYPE_COLUMNS)


@click.command()
@click.option("--region", help="Only images in this region.")
@pass_state
def images(state: State, region: str | None) -> None:
    """Images you can launch, once per region.

    \b
    Example:
      lambda-cloud images --region us-west-1
    """
    check_regions(state.client(), [region] if region else [])
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
