"""The ``lambda-cloud`` command line, a thin layer over the sync client ``LambdaCloud``.

Installed with the ``cli`` extra (``pip install 'lambda-cloud[cli]'``).
"""

from __future__ import annotations

from .app import accept_output_option, cli
from .audit_events import audit_events
from .catalog import images, regions, types
from .connect import ssh
from .fabric import fabric_partitions
from .file_systems import file_systems
from .firewall import firewall
from .fleets import fleet
from .instances import instances
from .lifecycle import cost, reap
from .runs import find_run, launch, reclaim
from .ssh_keys import ssh_keys
from .tickets import tickets
from .tools import configure, demo, emulator

__all__ = ["cli", "main"]

for command in (launch, find_run, reclaim):
    instances.add_command(command)

for command in (
    instances,
    fleet,
    types,
    ssh_keys,
    file_systems,
    images,
    regions,
    firewall,
    audit_events,
    fabric_partitions,
    tickets,
    cost,
    reap,
    ssh,
    configure,
    emulator,
    demo,
):
    cli.add_command(command)
accept_output_option(cli)


def main() -> None:
    """The ``lambda-cloud`` entry point."""
    cli(prog_name="lambda-cloud")
