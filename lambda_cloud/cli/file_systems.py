"""``lambda-cloud file-systems ...``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from .app import State, pass_state
from .output import Column

if TYPE_CHECKING:
    from lambda_cloud import Filesystem

__all__ = ["file_systems"]

COLUMNS: list[Column[Filesystem]] = [
    ("ID", lambda f: f.id),
    ("NAME", lambda f: f.name),
    ("REGION", lambda f: f.region.name),
    ("MOUNT POINT", lambda f: f.mount_point),
    ("IN USE", lambda f: "yes" if f.is_in_use else "no"),
    ("BYTES USED", lambda f: f.bytes_used),
]


@click.group("file-systems")
def file_systems() -> None:
    """List, create and delete shared file systems.

    \b
    Example:
      lambda-cloud file-systems create datasets us-west-1
    """


@file_systems.command("list")
@pass_state
def list_(state: State) -> None:
    """List your file systems.

    \b
    Example:
      lambda-cloud file-systems list
    """
    state.output.rows(state.client().file_systems.list(), COLUMNS)


@file_systems.command()
@click.argument("name")
@click.argument("region")
@pass_state
def create(state: State, name: str, region: str) -> None:
    """Create a file system in a region.

    \b
    Example:
      lambda-cloud file-systems create datasets us-west-1
    """
    state.output.record(state.client().file_systems.create(name, region), COLUMNS)


@file_systems.command()
@click.argument("file_system_id")
@pass_state
def delete(state: State, file_system_id: str) -> None:
    """Delete a file system by id (it must not be mounted).

    \b
    Example:
      lambda-cloud file-systems delete 398578a2336b49079e74043f0bd2cfe8
    """
    state.client().file_systems.delete(file_system_id)
    state.output.message(f"Deleted file system {file_system_id}.")
