"""Authentication, accounts, routing and body parsing."""

from __future__ import annotations

import pytest

from lambda_cloud.emulator import Emulator

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


async def test_unknown_body_fields_are_named(api: Api) -> None:
    reply = await api.post("/ssh-keys", {"name": "k", "colour": "red"})
    assert reply.code == "global/invalid-parameters"
    assert reply.message == "colour: unexpected field"


async def test_oversized_bodies_get_400(api: Api) -> None:
    reply = await api("POST", "/ssh-keys", data=b"{" + b" " * (8 * 1024 * 1024) + b"}")
    assert reply.code == "global/invalid-parameters"
    assert reply.message.startswith("body: larger than")
