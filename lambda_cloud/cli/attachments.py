"""``lambda-cloud tickets attachments list|upload|delete|download-url``."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

import click

import lambda_cloud

from .app import State, pass_state
from .output import Column, Mode
from .params import LazyChoice

if TYPE_CHECKING:
    from lambda_cloud import Attachment

__all__ = ["attachments", "when"]


def when(moment: datetime.datetime | None) -> str | None:
    """A timestamp as ISO 8601, or None."""
    return moment.isoformat() if moment is not None else None


COLUMNS: list[Column[Attachment]] = [
    ("ID", lambda a: a.id),
    ("FILENAME", lambda a: a.filename),
    ("TYPE", lambda a: a.content_type),
    ("BYTES", lambda a: a.size_bytes),
    ("STATUS", lambda a: a.upload_status),
    ("UPLOADED", lambda a: when(a.uploaded_at)),
]


@click.group()
def attachments() -> None:
    """Files attached to a ticket.

    \b
    Example:
      lambda-cloud tickets attachments upload 5b1f0c2d7e8a4f6b9c3d2e1f0a9b8c7d ./nvidia-smi.log
    """


@attachments.command("list")
@click.argument("ticket_id")
@click.option(
    "--status",
    type=LazyChoice(lambda: lambda_cloud.AttachmentUploadStatus),
    help="Only attachments in this state (default: uploaded ones).",
)
@pass_state
def list_(state: State, ticket_id: str, status: str | None) -> None:
    """List a ticket's attachments.

    \b
    Example:
      lambda-cloud tickets attachments list 5b1f0c2d7e8a4f6b9c3d2e1f0a9b8c7d
    """
    found = state.client().tickets.attachments.list(ticket_id, status=status)
    state.output.rows(found, COLUMNS)


@attachments.command()
@click.argument("ticket_id")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--filename", help="The name to give it (default: the file's name).")
@click.option("--content-type", help="Its MIME type (default: guessed from the name).")
@pass_state
def upload(
    state: State, ticket_id: str, path: str, filename: str | None, content_type: str | None
) -> None:
    """Attach a file to a ticket.

    \b
    Example:
      lambda-cloud tickets attachments upload 5b1f0c2d7e8a4f6b9c3d2e1f0a9b8c7d ./nvidia-smi.log
    """
    attached = state.client().tickets.attachments.upload(
        ticket_id, path, filename=filename, content_type=content_type
    )
    state.output.record(attached, COLUMNS)


@attachments.command()
@click.argument("ticket_id")
@click.argument("attachment_id")
@pass_state
def delete(state: State, ticket_id: str, attachment_id: str) -> None:
    """Delete an attachment.

    \b
    Example:
      lambda-cloud tickets attachments delete 5b1f0c2d7e8a4f6b9c3d2e1f0a9b8c7d 9e8d7c6b5a4f
    """
    state.client().tickets.attachments.delete(ticket_id, attachment_id)
    state.output.message(f"Deleted attachment {attachment_id}.")


@attachments.command("download-url")
@click.argument("ticket_id")
@click.argument("attachment_id")
@pass_state
def download_url(state: State, ticket_id: str, attachment_id: str) -> None:
    """Print a temporary URL that downloads the attachment (no API key needed).

    \b
    Example:
      curl -o log.txt "$(lambda-cloud tickets attachments download-url TICKET_ID ATTACHMENT_ID)"
    """
    link = state.client().tickets.attachments.download_url(ticket_id, attachment_id)
    if state.output.mode is Mode.JSON:
        state.output.json(link.to_dict())
        return
    state.output.line(link.download_url)
    state.output.message(f"Valid for {link.expires_in} s.")
