"""Authentication, accounts, routing and body parsing."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from lambda_cloud.emulator import Emulator
from lambda_cloud.emulator.ssh_keys import SshKeys

from .helpers import LAUNCH, Api, basic


async def test_bearer_and_both_basic_forms_are_accepted(api: Api) -> None:
    for auth in (f"Bearer {api.key}", basic(api.key), basic(api.key, encode=False)):
        reply = await api.get("/instances", auth=auth)
        assert reply.status == 200
        assert reply.data == []
        assert reply.headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    "auth",
    ["", "Bearer", "Bearer nope", "Token {key}", "Basic bm9wZTo=", "basic", "{key}"],
)
async def test_bad_credentials_get_401(api: Api, auth: str) -> None:
    reply = await api.get("/instance-types", auth=auth.format(key=api.key))
    assert reply.status == 401
    assert reply.body == {
        "error": {
            "code": "global/invalid-api-key",
            "message": "API key was invalid, expired, or deleted.",
            "suggestion": "Check your API key or create a new one, then try again.",
        }
    }


async def test_missing_header_gets_401(api: Api) -> None:
    async with api.session.get(api.emulator.base_url + "/instances") as r:
        assert r.status == 401
        assert (await r.json())["error"]["code"] == "global/invalid-api-key"


async def test_accounts_are_isolated(keyed: Api, emu: Emulator) -> None:
    other = emu.add_account()
    instance_id = await keyed.launch_id()
    assert (await keyed.get("/instances", key=other)).data == []
    assert (await keyed.get("/ssh-keys", key=other)).data == []
    assert (await keyed.get(f"/instances/{instance_id}", key=other)).status == 404
    terminate = await keyed.post(
        "/instance-operations/terminate", {"instance_ids": [instance_id]}, key=other
    )
    assert terminate.code == "global/object-does-not-exist"
    # The other account may reuse the key name, and cannot launch with ours.
    await keyed.add_key(key=other)
    assert len(emu.instances()) == 1
    assert emu.instances(other) == []


async def test_inactive_account_gets_403_everywhere(keyed: Api, emu: Emulator) -> None:
    emu.account().inactive = True
    for method, path in [("GET", "/instances"), ("POST", LAUNCH), ("GET", "/no-such-route")]:
        reply = await keyed(method, path, {})
        assert reply.status == 403
        assert reply.body["error"] == {
            "code": "global/account-inactive",
            "message": "Your account is inactive.",
            "suggestion": "Make sure you have verified your email address and have a valid "
            "payment method. Contact Support if problems continue.",
        }
    emu.account().inactive = False
    assert (await keyed.get("/instances")).status == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nope"), ("DELETE", "/instances"), ("GET", "/instances/"), ("PUT", "/ssh-keys")],
)
async def test_unknown_routes_get_404_not_found(api: Api, method: str, path: str) -> None:
    reply = await api(method, path)
    assert reply.status == 404
    assert reply.body["error"]["code"] == "global/not-found"
    assert reply.body["error"]["message"] == "The requested resource was not found."


async def test_paths_outside_the_api_get_404(api: Api) -> None:
    async with api.session.get(api.emulator.base_url.replace("/api/v1", "/other")) as r:
        assert r.status == 404
        assert (await r.json())["error"]["code"] == "global/not-found"


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        (b"", "body"),
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b'"text"', "must be a JSON object"),
    ],
)
async def test_unparseable_bodies_get_400(api: Api, raw: bytes, needle: str) -> None:
    reply = await api("POST", "/ssh-keys", data=raw)
    assert reply.code == "global/invalid-parameters"
    assert needle in reply.message


async def test_unknown_body_fields_are_ignored_like_pydantic_does(api: Api) -> None:
    reply = await api.post("/ssh-keys", {"name": "k", "colour": "red"})
    assert reply.status == 200, reply.body
    assert "colour" not in reply.data


async def test_null_counts_as_absent_for_optional_fields(api: Api) -> None:
    # dstack and a Terraform provider send "name": null on launch.
    await api.post("/ssh-keys", {"name": "key", "public_key": None})
    launched = await api.post(
        "/instance-operations/launch",
        {
            "region_name": "us-west-1",
            "instance_type_name": "gpu_1x_a10",
            "ssh_key_names": ["key"],
            "name": None,
            "hostname": None,
            "user_data": None,
            "file_system_names": None,
            "tags": None,
            "image": None,
        },
    )
    assert launched.status == 200, launched.body
    ruleset = await api.post(
        "/firewall-rulesets", {"name": "r", "region": "us-west-1", "rules": []}
    )
    patched = await api("PATCH", f"/firewall-rulesets/{ruleset.data['id']}", json={"name": None})
    assert (patched.status, patched.data["name"]) == (200, "r")


async def test_null_for_a_required_field_is_still_refused(api: Api) -> None:
    reply = await api.post("/ssh-keys", {"name": None})
    assert reply.code == "global/invalid-parameters"
    assert reply.message.startswith("name:")


@pytest.mark.parametrize(
    "path", ["/firewall-rulesets/a%0Ab", "/instances/a%00b", "/x%0A", "/tickets/%0D%0A/x"]
)
async def test_control_characters_in_a_path_get_the_json_envelope(api: Api, path: str) -> None:
    reply = await api("GET", path)
    assert reply.status == 404
    assert reply.code in ("global/not-found", "global/object-does-not-exist")


@pytest.mark.parametrize(
    "query",
    [
        "start=",
        "end=",
        "page_token=",
        "start=9999-12-31T23:59:59-23:59",
        "end=0001-01-01T00:00:00%2B23:59",
        "start=not-a-date",
    ],
)
async def test_bad_audit_queries_get_400_never_500(api: Api, query: str) -> None:
    reply = await api("GET", f"/audit-events?{query}")
    assert reply.code == "global/invalid-parameters", reply.body


async def test_a_body_announced_too_large_is_refused_unread(api: Api) -> None:
    limit = 8 * 1024 * 1024

    async def endless() -> AsyncIterator[bytes]:
        # Announced as far too large; only a first chunk is ever offered.
        yield b"{"

    headers = {
        "Authorization": f"Bearer {api.key}",
        "Content-Length": str(limit * 100),
        "Content-Type": "application/json",
    }
    url = api.emulator.base_url + "/ssh-keys"
    async with api.session.post(url, data=endless(), headers=headers) as reply:
        assert reply.status == 400
        body = await reply.json()
    assert body["error"]["code"] == "global/invalid-parameters"
    assert body["error"]["message"].startswith("body: larger than")


async def test_oversized_bodies_get_400(api: Api) -> None:
    reply = await api("POST", "/ssh-keys", data=b"{" + b" " * (8 * 1024 * 1024) + b"}")
    assert reply.code == "global/invalid-parameters"
    assert reply.message.startswith("body: larger than")


async def test_an_emulator_bug_is_a_json_500_whose_log_carries_no_key(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(self: object, account: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(SshKeys, "list_ssh_keys", boom)
    with caplog.at_level(logging.ERROR, logger="lambda_cloud.emulator"):
        reply = await api.get("/ssh-keys")
    assert (reply.status, reply.code) == (500, "global/internal-error")
    assert "emulator failed to handle GET" in caplog.text
    assert api.key not in caplog.text
    assert api.key not in repr(api.emulator.account())
