"""SSH keys, file systems, images, regions, firewall rules and rulesets, audit events."""

from __future__ import annotations

import base64
import random
import re
import uuid
from typing import Any

import pytest

from lambda_cloud.emulator import Emulator, ManualClock
from lambda_cloud.emulator.keys import SYNTHETIC_LABEL, _synthetic_pair, is_public_key

from .helpers import Api

PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICN+lJwsONkwrdsSnQsu1ydUkIuIg5oOC+Eslvmtt60T me"
TCP_22 = {"protocol": "tcp", "port_range": [22, 22], "source_network": "0.0.0.0/0"}
RULE = {**TCP_22, "description": "ssh"}
NO_PORTS = {"protocol": "tcp", "source_network": "0.0.0.0/0", "description": "d"}
NO_DESCRIPTION = dict(TCP_22)


# -- ssh keys --------------------------------------------------------------------------------


async def test_ssh_key_upload_list_delete(api: Api) -> None:
    key = (await api.post("/ssh-keys", {"name": "mine", "public_key": PUBLIC_KEY})).data
    assert set(key) == {"id", "name", "public_key"}
    assert key["public_key"] == PUBLIC_KEY
    assert (await api.get("/ssh-keys")).data == [key]
    deleted = await api("DELETE", f"/ssh-keys/{key['id']}")
    assert deleted.body == {"data": {}}
    again = await api("DELETE", f"/ssh-keys/{key['id']}")
    assert again.status == 404
    assert again.code == "global/not-found"
    assert (await api.get("/ssh-keys")).data == []


async def test_generated_ssh_key_is_a_real_pair(api: Api) -> None:
    serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")
    key = (await api.post("/ssh-keys", {"name": "gen"})).data
    assert set(key) == {"id", "name", "public_key", "private_key"}
    private = serialization.load_ssh_private_key(key["private_key"].encode(), password=None)
    public = private.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    assert key["public_key"] == public.decode()
    listed = (await api.get("/ssh-keys")).data
    assert listed == [{k: key[k] for k in ("id", "name", "public_key")}]


def test_synthetic_key_pair_is_labelled() -> None:
    public, private = _synthetic_pair(random.Random(1))
    assert is_public_key(public)
    assert public.endswith(SYNTHETIC_LABEL)
    body = "".join(private.strip().splitlines()[1:-1])
    assert SYNTHETIC_LABEL.encode() in base64.b64decode(body)
    assert _synthetic_pair(random.Random(1)) == (public, private)


@pytest.mark.parametrize(
    ("body", "prefix"),
    [
        ({}, "name: field required"),
        ({"name": ""}, "name: must be at least 1"),
        ({"name": "x" * 65}, "name: must be at most 64"),
        ({"name": "k", "public_key": ""}, "public_key: must be at least 1"),
        ({"name": "k", "public_key": "x" * 4097}, "public_key: must be at most 4096"),
        ({"name": "k", "public_key": "not a key"}, "public_key: not a valid"),
    ],
)
async def test_ssh_key_validation(api: Api, body: dict[str, Any], prefix: str) -> None:
    reply = await api.post("/ssh-keys", body)
    assert reply.code == "global/invalid-parameters"
    assert reply.message.startswith(prefix)


async def test_duplicate_ssh_key_name(api: Api) -> None:
    await api.post("/ssh-keys", {"name": "dup", "public_key": PUBLIC_KEY})
    reply = await api.post("/ssh-keys", {"name": "dup"})
    assert reply.status == 400
    assert reply.code == "global/invalid-parameters"


# -- file systems ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("create", "delete"), [("/filesystems", "/filesystems"), ("/file-systems", "/file-systems")]
)
async def test_file_system_create_list_delete(
    api: Api, emu: Emulator, create: str, delete: str
) -> None:
    fs = (await api.post(create, {"name": "my-fs", "region": "us-east-1"})).data
    assert re.fullmatch(r"[0-9a-f]{32}", fs["id"])
    assert fs["name"] == "my-fs"
    assert fs["mount_point"] == "/lambda/nfs/my-fs"
    assert fs["created"].endswith("Z")
    account = emu.account()
    assert fs["created_by"] == {"id": account.user_id, "email": account.email, "status": "active"}
    assert fs["is_in_use"] is False
    assert fs["region"] == {"name": "us-east-1", "description": "Virginia, USA"}
    assert fs["bytes_used"] == 0
    assert (await api.get("/file-systems")).data == [fs]
    assert (await api("DELETE", f"{delete}/{fs['id']}")).data == {"deleted_ids": [fs["id"]]}
    missing = await api("DELETE", f"{delete}/{fs['id']}")
    assert missing.status == 404
    assert missing.body["error"]["code"] == "global/object-does-not-exist"
    assert missing.message == "Filesystem was not found."


@pytest.mark.parametrize(
    ("body", "code", "prefix"),
    [
        ({"name": "1fs", "region": "us-east-1"}, "global/invalid-parameters", "name: must match"),
        ({"name": "a_b", "region": "us-east-1"}, "global/invalid-parameters", "name: must match"),
        ({"name": "a" * 61, "region": "us-east-1"}, "global/invalid-parameters", "name: must be"),
        ({"name": "fs"}, "global/invalid-parameters", "region: field required"),
        ({"name": "fs", "region": "mars-1"}, "global/invalid-parameters", "region: unknown"),
    ],
)
async def test_file_system_validation(
    api: Api, body: dict[str, Any], code: str, prefix: str
) -> None:
    reply = await api.post("/filesystems", body)
    assert reply.status == 400
    assert reply.code == code
    assert reply.message.startswith(prefix)


async def test_file_system_duplicate_quota_and_address(api: Api, emu: Emulator) -> None:
    await api.post("/filesystems", {"name": "fs", "region": "us-east-1"})
    duplicate = await api.post("/filesystems", {"name": "fs", "region": "us-west-1"})
    assert duplicate.code == "global/duplicate"
    emu.account().file_system_quota = 1
    assert (await api.post("/filesystems", {"name": "fs2", "region": "us-east-1"})).code == (
        "global/quota-exceeded"
    )
    emu.account().file_system_quota = None
    emu.account().billing_address_valid = False
    invalid_address = await api.post("/filesystems", {"name": "fs3", "region": "us-east-1"})
    assert invalid_address.status == 403
    assert invalid_address.code == "global/invalid-address"


async def test_file_system_in_use_until_terminated(keyed: Api, clock: ManualClock) -> None:
    fs = (await keyed.post("/filesystems", {"name": "fs", "region": "us-west-1"})).data
    instance_id = await keyed.launch_id(file_system_names=["fs"])
    busy = await keyed("DELETE", f"/filesystems/{fs['id']}")
    assert busy.status == 400
    assert busy.code == "filesystems/filesystem-in-use"
    await keyed.post("/instance-operations/terminate", {"instance_ids": [instance_id]})
    assert (await keyed("DELETE", f"/filesystems/{fs['id']}")).status == 400  # terminating
    clock.advance(0.5)
    assert (await keyed("DELETE", f"/filesystems/{fs['id']}")).status == 200


# -- images and regions ----------------------------------------------------------------------


async def test_images_one_per_region(api: Api) -> None:
    images = (await api.get("/images")).data
    regions = {r["name"] for r in (await api.get("/regions")).data}
    assert {i["region"]["name"] for i in images} == regions
    fields = {"id", "created_time", "updated_time", "name", "description", "family", "version",
              "architecture", "region"}  # fmt: skip
    for image in images:
        assert set(image) == fields
        uuid.UUID(image["id"])
        assert image["architecture"] in ("x86_64", "arm64")
    assert len({i["id"] for i in images}) == len(images)
    families = {i["family"] for i in images}
    assert {"lambda-stack-22-04", "lambda-stack-24-04", "ubuntu-22-04"} <= families
    assert {i["architecture"] for i in images} == {"x86_64", "arm64"}


async def test_regions(api: Api) -> None:
    regions = (await api.get("/regions")).data
    assert {"name": "us-west-1", "description": "California, USA"} in regions
    assert len(regions) == 17


# -- firewall --------------------------------------------------------------------------------


async def test_firewall_rules_replace(api: Api) -> None:
    assert (await api.get("/firewall-rules")).data[0]["port_range"] == [22, 22]
    rules = [
        {"protocol": "icmp", "source_network": "10.0.0.0/8", "description": ""},
        {
            "protocol": "all",
            "port_range": [1, 65535],
            "source_network": "1.2.3.4",
            "description": "x",
        },
    ]
    assert (await api("PUT", "/firewall-rules", {"data": rules})).data == rules
    assert (await api.get("/firewall-rules")).data == rules
    assert (await api.get("/firewall-rulesets/global")).data == {
        "id": "global",
        "name": "Global Firewall Rules",
        "rules": rules,
    }
    bare_list = await api("PUT", "/firewall-rules", rules)
    assert bare_list.code == "global/invalid-parameters"


@pytest.mark.parametrize(
    ("rule", "prefix"),
    [
        ({**RULE, "protocol": "sctp"}, "data[0].protocol: must be one of"),
        (NO_PORTS, "data[0].port_range: required"),
        ({**RULE, "protocol": "icmp"}, "data[0].port_range: not allowed"),
        ({**RULE, "port_range": [22]}, "data[0].port_range: must be exactly"),
        ({**RULE, "port_range": [1, 2, 3]}, "data[0].port_range: must be exactly"),
        ({**RULE, "port_range": [0, 22]}, "data[0].port_range[0]: must be between"),
        ({**RULE, "port_range": [22, 65536]}, "data[0].port_range[1]: must be between"),
        ({**RULE, "port_range": [80, 22]}, "data[0].port_range: min must not"),
        ({**RULE, "port_range": ["22", 22]}, "data[0].port_range[0]: must be an integer"),
        ({**RULE, "source_network": "10.0.0.1/8"}, "data[0].source_network"),
        ({**RULE, "source_network": "::/0"}, "data[0].source_network"),
        ({**RULE, "source_network": "300.1.1.1"}, "data[0].source_network"),
        (NO_DESCRIPTION, "data[0].description: field required"),
        ({**RULE, "description": "d" * 129}, "data[0].description: must be at most 128"),
    ],
)  # fmt: skip
async def test_firewall_rule_validation(api: Api, rule: dict[str, Any], prefix: str) -> None:
    reply = await api("PUT", "/firewall-rules", {"data": [rule]})
    assert reply.code == "global/invalid-parameters"
    assert reply.message.startswith(prefix), reply.message


async def test_ruleset_crud(api: Api) -> None:
    created = (
        await api.post(
            "/firewall-rulesets", {"name": "web", "region": "us-west-1", "rules": [RULE]}
        )
    ).data
    assert set(created) == {"id", "name", "region", "rules", "created", "instance_ids"}
    assert created["instance_ids"] == []
    rid = created["id"]
    assert (await api.get("/firewall-rulesets")).data == [created]
    assert (await api.get(f"/firewall-rulesets/{rid}")).data == created
    renamed = (await api("PATCH", f"/firewall-rulesets/{rid}", {"name": "www"})).data
    assert renamed["name"] == "www" and renamed["rules"] == [RULE]
    emptied = (await api("PATCH", f"/firewall-rulesets/{rid}", {"rules": []})).data
    assert emptied["rules"] == [] and emptied["name"] == "www"
    assert (await api("DELETE", f"/firewall-rulesets/{rid}")).body == {"data": {}}
    for method in ("GET", "PATCH", "DELETE"):
        reply = await api(method, f"/firewall-rulesets/{rid}", {} if method == "PATCH" else None)
        assert reply.status == 404
        assert reply.body["error"] == {
            "code": "global/object-does-not-exist",
            "message": "Firewall ruleset does not exist or you do not have permission to access "
            "it.",
            "suggestion": "Check your firewall ruleset ID and try again.",
        }


@pytest.mark.parametrize(
    ("body", "prefix"),
    [
        ({"name": "n", "region": "us-west-1"}, "rules: field required"),
        ({"name": "n" * 65, "region": "us-west-1", "rules": []}, "name: must be at most 64"),
        ({"name": "n", "region": "mars-1", "rules": []}, "region: unknown region"),
        ({"name": "n", "region": "us-west-1", "rules": [{}]}, "rules[0].protocol: field required"),
    ],
)
async def test_ruleset_validation(api: Api, body: dict[str, Any], prefix: str) -> None:
    reply = await api.post("/firewall-rulesets", body)
    assert reply.code == "global/invalid-parameters"
    assert reply.message.startswith(prefix)


async def test_ruleset_quota(api: Api, emu: Emulator) -> None:
    emu.account().ruleset_quota = 0
    reply = await api.post("/firewall-rulesets", {"name": "n", "region": "us-west-1", "rules": []})
    assert reply.code == "global/quota-exceeded"


async def test_global_ruleset_patch(api: Api) -> None:
    patched = (await api("PATCH", "/firewall-rulesets/global", {"rules": [RULE]})).data
    assert patched == {"id": "global", "name": "Global Firewall Rules", "rules": [RULE]}
    assert (await api("PATCH", "/firewall-rulesets/global", {})).data == patched
    # Its name is fixed; like any unknown field, "name" is ignored, as pydantic would.
    renamed = await api("PATCH", "/firewall-rulesets/global", {"name": "x"})
    assert renamed.data == patched


async def test_ruleset_in_use_until_terminated(keyed: Api, clock: ManualClock) -> None:
    body = {"name": "n", "region": "us-west-1", "rules": [RULE]}
    rid = (await keyed.post("/firewall-rulesets", body)).data["id"]
    instance_id = await keyed.launch_id(firewall_rulesets=[{"id": rid}])
    busy = await keyed("DELETE", f"/firewall-rulesets/{rid}")
    assert busy.status == 400
    assert busy.body["error"] == {
        "code": "firewall-rulesets/firewall-ruleset-in-use",
        "message": "Firewall ruleset is in use by one or more instances.",
        "suggestion": "Terminate all instances that are using the ruleset before deleting it.",
    }
    await keyed.post("/instance-operations/terminate", {"instance_ids": [instance_id]})
    clock.advance(0.5)
    assert (await keyed.get(f"/firewall-rulesets/{rid}")).data["instance_ids"] == []
    assert (await keyed("DELETE", f"/firewall-rulesets/{rid}")).status == 200


# -- audit events ----------------------------------------------------------------------------


async def test_every_mutation_is_audited(keyed: Api, emu: Emulator, clock: ManualClock) -> None:
    instance_id = await keyed.launch_id()
    clock.advance(1)
    await keyed.post(f"/instances/{instance_id}", {"name": "n"})
    await keyed.post("/instance-operations/restart", {"instance_ids": [instance_id]})
    await keyed.post("/instance-operations/terminate", {"instance_ids": [instance_id]})
    fs = (await keyed.post("/filesystems", {"name": "fs", "region": "us-east-1"})).data
    await keyed("DELETE", f"/filesystems/{fs['id']}")
    rs = (
        await keyed.post("/firewall-rulesets", {"name": "r", "region": "us-east-1", "rules": []})
    ).data
    await keyed("PATCH", f"/firewall-rulesets/{rs['id']}", {"name": "s"})
    await keyed("DELETE", f"/firewall-rulesets/{rs['id']}")
    await keyed("PATCH", "/firewall-rulesets/global", {"rules": []})
    await keyed("PUT", "/firewall-rules", {"data": []})
    key = (await keyed.get("/ssh-keys")).data[0]
    await keyed("DELETE", f"/ssh-keys/{key['id']}")
    await keyed.get("/instances")  # reads are not audited

    reply = await keyed.get("/audit-events")
    assert reply.body["page_token"] is None
    seen = [(e["resource_name"], e["action"]) for e in reply.data]
    assert seen == [
        ("ssh_key", "created"),
        ("instance", "launched"),
        ("instance", "updated"),
        ("instance", "restarted"),
        ("instance", "terminated"),
        ("filesystem", "created"),
        ("filesystem", "deleted"),
        ("firewall_ruleset", "created"),
        ("firewall_ruleset", "updated"),
        ("firewall_ruleset", "deleted"),
        ("firewall_ruleset", "updated"),
        ("firewall_ruleset", "updated"),
        ("ssh_key", "deleted"),
    ]
    launched = reply.data[1]
    account = emu.account()
    assert launched == {
        "service_name": "cloud",
        "resource_name": "instance",
        "action": "launched",
        "catalog_version": launched["catalog_version"],
        "event_id": launched["event_id"],
        "event_time": launched["event_time"],
        "actor_lrn": f"lrn:cloud:identity:{account.user_id}",
        "resource_lrns": [f"lrn:cloud:instance:{instance_id}"],
        "resource_owner_lrn": f"lrn:cloud:account:{account.id}",
        "request_api_key_lrn": f"lrn:cloud:api_key:{account.api_key_id}",
        "additional_details": {
            "instance_lrn": f"lrn:cloud:instance:{instance_id}",
            "instance_type": "gpu_1x_a10",
            "region": "us-west-1",
        },
    }
    assert re.fullmatch(r"lrn:cloud:api_key:[0-9a-f]{32}", launched["request_api_key_lrn"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", launched["event_time"])
    other = emu.add_account()
    assert (await keyed.get("/audit-events", key=other)).data == []


async def test_audit_paging_and_filters(api: Api, emu: Emulator, clock: ManualClock) -> None:
    emu.audit_page_size = 3
    for i in range(7):
        await api.post("/ssh-keys", {"name": f"k{i}", "public_key": PUBLIC_KEY})
        clock.advance(1)
    await api.post("/filesystems", {"name": "fs", "region": "us-east-1"})

    pages: list[list[dict[str, Any]]] = []
    token: str | None = None
    while True:
        reply = await api.get("/audit-events", params={"page_token": token} if token else None)
        pages.append(reply.data)
        token = reply.body["page_token"]
        if token is None:
            break
    assert [len(p) for p in pages] == [3, 3, 2]
    events = [e for page in pages for e in page]
    assert len({e["event_id"] for e in events}) == 8

    only_fs = await api.get("/audit-events", params={"resource_type": "cloud.filesystem"})
    assert [e["resource_name"] for e in only_fs.data] == ["filesystem"]
    assert (await api.get("/audit-events", params={"resource_type": "cloud.nothing"})).data == []

    start, end = events[2]["event_time"], events[4]["event_time"]
    window = (await api.get("/audit-events", params={"start": start, "end": end})).data
    assert [e["event_id"] for e in window] == [e["event_id"] for e in events[2:5]]
    naive = start.replace("Z", "")
    assert len((await api.get("/audit-events", params={"start": naive})).data) == 3


@pytest.mark.parametrize(
    ("params", "prefix"),
    [
        ({"page_token": "garbage!"}, "page_token:"),
        ({"page_token": "YXVkaXQ6eA"}, "page_token:"),
        ({"start": "yesterday"}, "start:"),
        ({"end": "2025-13-01T00:00:00Z"}, "end:"),
    ],
)
async def test_audit_bad_parameters(api: Api, params: dict[str, str], prefix: str) -> None:
    reply = await api.get("/audit-events", params=params)
    assert reply.code == "global/invalid-parameters"
    assert reply.message.startswith(prefix)
