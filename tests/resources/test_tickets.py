"""``client.tickets``: open, list (paged, filtered), read, update, and attachments."""

from __future__ import annotations

import pathlib

import aiohttp
import pytest

from lambda_cloud import (
    Attachment,
    AttachmentUploadStatus,
    InvalidParametersError,
    NotFoundError,
    Ticket,
    TicketCreated,
    TicketSeverity,
    TicketStatus,
    TicketType,
    ValidationError,
)
from lambda_cloud.emulator import Emulator

from .conftest import Api

HERE = pathlib.Path(__file__).parent


async def _incident(api: Api, subject: str = "GPU slow", severity: str = "sev_2") -> str:
    created = await api(
        lambda c: c.tickets.create(subject, "Drops 30% at peak.", "incident", severity=severity)
    )
    assert type(created) is TicketCreated
    return str(created.id)


async def test_create_get_comment_solve(api: Api, emu: Emulator) -> None:
    created = await api(
        lambda c: c.tickets.create(
            "Node down", "It rebooted.", "incident", severity="sev_1", ip="192.222.53.194"
        )
    )
    assert (created.status, created.type, created.severity) == (
        TicketStatus.OPEN,
        TicketType.INCIDENT,
        TicketSeverity.SEV_1,
    )
    ticket = await api(lambda c: c.tickets.get(created.id))
    assert type(ticket) is Ticket
    assert (ticket.subject, ticket.description) == ("Node down", "It rebooted.")
    assert [comment.body for comment in ticket.comments] == ["It rebooted."]
    assert ticket.resolved_at is None
    await api(lambda c: c.tickets.update(created.id, comment="Fixed now.", severity="sev_3"))
    await api(lambda c: c.tickets.update(created.id, status=TicketStatus.SOLVED))
    ticket = await api(lambda c: c.tickets.get(created.id))
    assert [comment.body for comment in ticket.comments] == ["It rebooted.", "Fixed now."]
    assert (ticket.status, ticket.severity) == (TicketStatus.SOLVED, TicketSeverity.SEV_3)
    assert ticket.resolved_at is not None


async def test_service_request_has_no_severity(api: Api) -> None:
    created = await api(lambda c: c.tickets.create("Quota", "More GPUs.", "service_request"))
    ticket = await api(lambda c: c.tickets.get(created.id))
    assert (ticket.type, ticket.severity) == (TicketType.SERVICE_REQUEST, None)


async def test_list_pages_and_filters(api: Api, emu: Emulator) -> None:
    emu.tickets_page_size = 2
    ids = [await _incident(api, f"t{i}", severity=f"sev_{i % 3 + 1}") for i in range(5)]
    emu.set_ticket_status(ids[0], "pending")
    listed = await api(lambda c: c.tickets.list(direction="asc"))
    assert [t.id for t in listed] == ids
    newest_first = await api(lambda c: c.tickets.list(order_by="created_at"))
    assert [t.id for t in newest_first] == ids[::-1]
    page = await api(lambda c: c.tickets.list_page(direction="asc"))
    assert [t.id for t in page.tickets] == ids[:2] and page.page_token
    pending = await api(lambda c: c.tickets.list(status=["pending", TicketStatus.ON_HOLD]))
    assert [t.id for t in pending] == [ids[0]]
    severe = await api(lambda c: c.tickets.list(severity=["sev_1", "sev_2"], direction="asc"))
    assert [t.id for t in severe] == [ids[0], ids[1], ids[3], ids[4]]


async def test_unknown_ticket_is_not_found(api: Api) -> None:
    with pytest.raises(NotFoundError) as caught:
        await api(lambda c: c.tickets.get("nope"))
    assert caught.value.code == "global/not-found"
    with pytest.raises(NotFoundError):
        await api(lambda c: c.tickets.update("nope", comment="hi"))
    with pytest.raises(InvalidParametersError):
        await api(lambda c: c.tickets.list_page(page_token="forged"))


@pytest.mark.usefixtures("unsent")
@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda c: c.tickets.create("s", "d", "incident"), "severity"),
        (lambda c: c.tickets.create("s", "d", "service_request", severity="sev_1"), "severity"),
        (lambda c: c.tickets.create("s", "d", "automated_event", severity="sev_1"), "type"),
        (lambda c: c.tickets.create("s", "d", "incident", severity="sev_9"), "severity"),
        (lambda c: c.tickets.update("t", status="open"), "status"),
        (lambda c: c.tickets.update("t"), "update"),
        (lambda c: c.tickets.list_page(status="open"), "status"),
        (lambda c: c.tickets.list_page(type=["bogus"]), "type[0]"),
        (lambda c: c.tickets.list_page(direction="up"), "direction"),
        (lambda c: c.tickets.attachments.upload("t", b"x"), "filename"),
        (lambda c: c.tickets.attachments.upload("t", b"", filename="a"), "data_or_path"),
        (lambda c: c.tickets.attachments.upload("t", b"x", filename="a" * 256), "filename"),
        (lambda c: c.tickets.attachments.list("t", status="gone"), "status"),
        (lambda c: c.tickets.get(""), "ticket_id"),
        # What the hostile-argument fuzzer found (issue 18): OSError and TypeError before.
        (lambda c: c.tickets.attachments.upload("t", HERE / "no-such-file"), "data_or_path"),
        (lambda c: c.tickets.attachments.upload("t", str(HERE)), "data_or_path"),
        (lambda c: c.tickets.attachments.upload("t", "a\x00b"), "data_or_path"),
        (lambda c: c.tickets.attachments.upload("t", 5), "data_or_path"),
        (lambda c: c.tickets.attachments.upload("t", bytearray(b"x")), "data_or_path"),
        (lambda c: c.tickets.list_page(status=1), "status"),
        (lambda c: c.tickets.list_page(severity=True), "severity"),
    ],
)
async def test_bad_input_is_refused_before_sending(api: Api, call: object, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        await api(call)  # type: ignore[arg-type]
    assert caught.value.field == field


async def test_upload_bytes_then_download(api: Api) -> None:
    ticket_id = await _incident(api)
    attachment = await api(
        lambda c: c.tickets.attachments.upload(ticket_id, b"log line\n", filename="debug.log")
    )
    assert type(attachment) is Attachment
    assert (attachment.filename, attachment.size_bytes, attachment.upload_status) == (
        "debug.log",
        9,
        AttachmentUploadStatus.UPLOADED,
    )
    assert attachment.content_type == "application/octet-stream"
    assert attachment.uploaded_at is not None
    assert await api(lambda c: c.tickets.attachments.list(ticket_id)) == [attachment]
    link = await api(lambda c: c.tickets.attachments.download_url(ticket_id, attachment.id))
    assert link.expires_in > 0
    async with aiohttp.ClientSession() as session, session.get(link.download_url) as got:
        assert (got.status, await got.read()) == (200, b"log line\n")
    await api(lambda c: c.tickets.attachments.delete(ticket_id, attachment.id))
    assert await api(lambda c: c.tickets.attachments.list(ticket_id)) == []
    deleted = await api(lambda c: c.tickets.attachments.list(ticket_id, status="deleted"))
    assert [a.id for a in deleted] == [attachment.id]
    with pytest.raises(NotFoundError):
        await api(lambda c: c.tickets.attachments.download_url(ticket_id, attachment.id))


async def test_upload_a_path_guesses_name_and_type(api: Api, tmp_path: pathlib.Path) -> None:
    ticket_id = await _incident(api)
    path = tmp_path / "notes.txt"
    path.write_bytes(b"hello")
    attachment = await api(lambda c: c.tickets.attachments.upload(ticket_id, path))
    assert (attachment.filename, attachment.content_type) == ("notes.txt", "text/plain")


async def test_completing_without_uploading_is_refused(api: Api, emu: Emulator) -> None:
    ticket_id = await _incident(api)
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {emu.api_key}"}) as session:
        url = f"{emu.base_url}/tickets/{ticket_id}/attachments"
        body = {"filename": "a.bin", "content_type": "application/octet-stream", "size_bytes": 3}
        async with session.post(url, json=body) as started:
            target = (await started.json())["data"]
        assert target["upload_status"] == "pending"
        async with session.post(f"{url}/{target['attachment_id']}/complete") as early:
            assert early.status == 400
        async with session.put(target["upload_url"], data=b"toolong") as wrong_size:
            assert wrong_size.status == 400
    pending = await api(lambda c: c.tickets.attachments.list(ticket_id, status="pending"))
    assert [a.id for a in pending] == [target["attachment_id"]]
