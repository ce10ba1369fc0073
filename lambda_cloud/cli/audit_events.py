"""``lambda-cloud audit-events``."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import click

from .app import State, pass_state
from .output import Column

if TYPE_CHECKING:
    from lambda_cloud import AuditEvent

__all__ = ["audit_events"]

COLUMNS: list[Column[AuditEvent]] = [
    ("TIME", lambda e: e.event_time.isoformat()),
    ("ACTION", lambda e: e.action),
    ("SERVICE", lambda e: e.service_name),
    ("RESOURCE", lambda e: e.resource_name),
    ("ACTOR", lambda e: e.actor_lrn),
]


@click.command("audit-events")
@click.option("--start", help="Earliest event time (ISO 8601; naive means UTC).")
@click.option("--end", help="Latest event time (ISO 8601).")
@click.option("--resource-type", help="Only this resource type, e.g. cloud.api_key.")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@pass_state
def audit_events(
    state: State, start: str | None, end: str | None, resource_type: str | None, limit: int
) -> None:
    """Who did what to which resource, and when.

    \b
    Example:
      lambda-cloud audit-events --start 2025-01-01 --resource-type cloud.api_key
    """
    events = state.client().audit_events.list(start=start, end=end, resource_type=resource_type)
    state.output.rows(list(itertools.islice(events, limit)), COLUMNS)
