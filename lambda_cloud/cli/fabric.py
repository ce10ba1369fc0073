"""``lambda-cloud fabric-partitions create|update|delete``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from .app import State, pass_state
from .output import Column

if TYPE_CHECKING:
    from lambda_cloud import FabricPartition

__all__ = ["fabric_partitions"]

COLUMNS: list[Column[FabricPartition]] = [
    ("ID", lambda p: p.id),
    ("NAME", lambda p: p.name),
    ("REGION", lambda p: p.region.name),
    ("WORKSPACE", lambda p: p.workspace_id),
    ("CREATED", lambda p: p.created.isoformat()),
]


@click.group("fabric-partitions")
def fabric_partitions() -> None:
    """Create, rename and delete partitions of a region's compute fabric.

    \b
    Example:
      lambda-cloud fabric-partitions create training us-east-1
    """


@fabric_partitions.command()
@click.argument("name")
@click.argument("region")
@click.option("--workspace-id", help="The workspace to own it (default: yours).")
@pass_state
def create(state: State, name: str, region: str, workspace_id: str | None) -> None:
    """Create a partition (NAME: 1-32 of a-z, 0-9, '-', not starting with '-').

    \b
    Example:
      lambda-cloud fabric-partitions create training us-east-1
    """
    created = state.client().fabric_partitions.create(name, region, workspace_id=workspace_id)
    state.output.record(created, COLUMNS)


@fabric_partitions.command()
@click.argument("partition_id")
@click.option("--name", required=True, help="The new name.")
@pass_state
def update(state: State, partition_id: str, name: str) -> None:
    """Rename a partition.

    \b
    Example:
      lambda-cloud fabric-partitions update 7d1a0c2e9b4f4b0c8e6f1a2b3c4d5e6f --name eval
    """
    updated = state.client().fabric_partitions.update(partition_id, name=name)
    state.output.record(updated, COLUMNS)


@fabric_partitions.command()
@click.argument("partition_id")
@pass_state
def delete(state: State, partition_id: str) -> None:
    """Delete a partition (no instance may be assigned to it).

    \b
    Example:
      lambda-cloud fabric-partitions delete 7d1a0c2e9b4f4b0c8e6f1a2b3c4d5e6f
    """
    state.client().fabric_partitions.delete(partition_id)
    state.output.message(f"Deleted fabric partition {partition_id}.")
