"""``lambda-cloud tickets list|get|create|update`` (and ``attachments ...``)."""

from __future__ import annotations

import itertools
import sys
from typing import TYPE_CHECKING

import click

import lambda_cloud

from .app import State, pass_state
from .attachments import attachments, when
from .output import Column, Mode
from .params import LazyChoice

if TYPE_CHECKING:
    from lambda_cloud import Ticket, TicketCreated

__all__ = ["tickets"]

COLUMNS: list[Column[Ticket]] = [
    ("ID", lambda t: t.id),
    ("SUBJECT", lambda t: t.subject),
    ("STATUS", lambda t: t.status),
    ("TYPE", lambda t: t.type),
    ("SEVERITY", lambda t: t.severity),
    ("CREATED", lambda t: when(t.created_at)),
]
FIELDS: list[Column[Ticket]] = [
    *COLUMNS,
    ("UPDATED", lambda t: when(t.updated_at)),
    ("RESOLVED", lambda t: when(t.resolved_at)),
    ("EXTERNAL ID", lambda t: t.external_ticket_id),
    ("DESCRIPTION", lambda t: t.description),
]
CREATED_FIELDS: list[Column[TicketCreated]] = [
    ("ID", lambda t: t.id),
    ("STATUS", lambda t: t.status),
    ("TYPE", lambda t: t.type),
    ("SEVERITY", lambda t: t.severity),
    ("CREATED", lambda t: when(t.created_at)),
    ("EXTERNAL ID", lambda t: t.external_ticket_id),
]
SEVERITY = LazyChoice(lambda: lambda_cloud.TicketSeverity)


@click.group()
def tickets() -> None:
    """Support tickets: list, read, open, comment on and solve them; attach files.

    \b
    Example:
      lambda-cloud tickets list --status open
    """


tickets.add_command(attachments)


@tickets.command("list")
@click.option(
    "--status", "statuses", multiple=True, type=LazyChoice(lambda: lambda_cloud.TicketStatus)
)
@click.option("--type", "types", multiple=True, type=LazyChoice(lambda: lambda_cloud.TicketType))
@click.option("--severity", "severities", multiple=True, type=SEVERITY)
@click.option("--order-by", type=LazyChoice(lambda: lambda_cloud.TicketOrderBy))
@click.option("--direction", type=LazyChoice(lambda: lambda_cloud.SortDirection))
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@pass_state
def list_(
    state: State,
    statuses: tuple[str, ...],
    types: tuple[str, ...],
    severities: tuple[str, ...],
    order_by: str | None,
    direction: str | None,
    limit: int,
) -> None:
    """List tickets, newest first; repeat a filter to accept any of its values.

    \b
    Example:
      lambda-cloud tickets list --status open --status pending --type incident
    """
    found = state.client().tickets.list(
        status=statuses or None,
        type=types or None,
        severity=severities or None,
        order_by=order_by,
        direction=direction,
    )
    state.output.rows(list(itertools.islice(found, limit)), COLUMNS)


@tickets.command()
@click.argument("ticket_id")
@pass_state
def get(state: State, ticket_id: str) -> None:
    """Show a ticket and its comments.

    \b
    Example:
      lambda-cloud tickets get 5b1f0c2d7e8a4f6b9c3d2e1f0a9b8c7d
    """
    ticket = state.client().tickets.get(ticket_id)
    state.output.record(ticket, FIELDS)
    if state.output.mode is not Mode.JSON:
        rows = ([when(c.created_at), c.author, c.body] for c in ticket.comments)
        state.output.table(["TIME", "AUTHOR", "COMMENT"], rows, "Comments")


@tickets.command()
@click.argument("subject")
@click.option(
    "--type",
    "type_",
    required=True,
    type=LazyChoice(lambda: lambda_cloud.TicketRequestType),
    help="An incident needs --severity; a service request takes none.",
)
@click.option(
    "--description", required=True, help="What happened ('-' reads it from standard input)."
)
@click.option("--severity", type=SEVERITY, help="sev_1 is the most severe.")
@click.option("--ip", help="The affected IP address.")
@click.option("--instance-id", help="The affected instance.")
@click.option("--cluster-id", help="The affected 1-Click Cluster.")
@pass_state
def create(
    state: State,
    subject: str,
    type_: str,
    description: str,
    severity: str | None,
    ip: str | None,
    instance_id: str | None,
    cluster_id: str | None,
) -> None:
    """Open a ticket.

    \b
    Example:
      lambda-cloud tickets create "GPU 3 missing" --type incident --severity sev_2 \\
          --instance-id 0920582c7ff041399e34823a0be62549 --description - < nvidia-smi.txt
    """
    if description == "-":
        description = sys.stdin.read()
    created = state.client().tickets.create(
        subject,
        description,
        type_,
        severity=severity,
        ip=ip,
        instance_id=instance_id,
        cluster_id=cluster_id,
    )
    state.output.record(created, CREATED_FIELDS)


@tickets.command()
@click.argument("ticket_id")
@click.option("--solved", is_flag=True, help="Mark the ticket solved.")
@click.option("--severity", type=SEVERITY, help="Change an incident's severity.")
@click.option("--comment", help="Add a comment.")
@pass_state
def update(
    state: State, ticket_id: str, solved: bool, severity: str | None, comment: str | None
) -> None:
    """Comment on a ticket, change its severity, or mark it solved.

    The API applies the change shortly after accepting it: `tickets get` shows the result.

    \b
    Example:
      lambda-cloud tickets update 5b1f0c2d7e8a4f6b9c3d2e1f0a9b8c7d --solved \\
          --comment "Fixed by a reboot"
    """
    state.client().tickets.update(
        ticket_id,
        status=lambda_cloud.TicketStatus.SOLVED if solved else None,
        severity=severity,
        comment=comment,
    )
    state.output.message(f"Update of ticket {ticket_id} accepted.")
