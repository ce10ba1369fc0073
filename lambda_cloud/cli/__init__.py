"""The ``lambda-cloud`` command line, a thin layer over the sync client ``LambdaCloud``.

Installed with the ``cli`` extra (``pip install 'lambda-cloud[cli]'``).
"""

from __future__ import annotations

from .app import accept_output_option, cli

__all__ = ["cli", "main"]

# A command loads its module when it runs: `instances list` loads no other command's.
cli.lazy.update(
    {
        "instances": ".instances:instances",
        "fleet": ".fleets:fleet",
        "types": ".catalog:types",
        "ssh-keys": ".ssh_keys:ssh_keys",
        "file-systems": ".file_systems:file_systems",
        "images": ".catalog:images",
        "regions": ".catalog:regions",
        "firewall": ".firewall:firewall",
        "audit-events": ".audit_events:audit_events",
        "fabric-partitions": ".fabric:fabric_partitions",
        "tickets": ".tickets:tickets",
        "cost": ".lifecycle:cost",
        "reap": ".lifecycle:reap",
        "extend": ".lifecycle:extend",
        "ssh": ".connect:ssh",
        "configure": ".tools:configure",
        "emulator": ".tools:emulator",
        "demo": ".tools:demo",
    }
)
accept_output_option(cli)


def main() -> None:
    """The ``lambda-cloud`` entry point."""
    cli(prog_name="lambda-cloud")
