"""Instance lifecycle, capacity and quotas, driven by a manual clock."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from lambda_cloud.emulator import Emulator, ManualClock

from .helpers import Api

NETWORK_KEYS = {"ip", "private_ip", "hostname", "jupyter_token", "jupyter_url"}
ACTIONS = {"migrate", "rebuild", "restart", "cold_reboot", "terminate"}


def blocked(instance: dict[str, Any]) -> dict[str, str | None]:
    return {
        name: None if action["available"] else action["reason_code"]
        for name, action in instance["actions"].items()
    }


async def test_launch_boots_then_becomes_active(keyed: Api, clock: ManualClock) -> None:
    reply = await keyed.launch(
        name="trainer", hostname="node-1", tags=[{"key": "team", "value": "ml"}]
    )
    [instance_id] = reply.data["instance_ids"]
    assert len(instance_id) == 32 and int(instance_id, 16) >= 0 and instance_id.islower()

    booting = (await keyed.get(f"/instances/{instance_id}")).data
    assert booting["status"] == "booting"
    assert not NETWORK_KEYS & booting.keys()
    assert "file_system_mounts" not in booting
    assert booting["name"] == "trainer"
    assert booting["ssh_key_names"] == ["my-key"]
    assert booting["file_system_names"] == []
    assert booting["region"] == {"name": "us-west-1", "description": "California, USA"}
    assert booting["instance_type"]["name"] == "gpu_1x_a10"
    assert set(booting["instance_type"]) == {
        "name", "description", "gpu_description", "price_cents_per_hour", "specs"
    }  # fmt: skip
    assert booting["tags"] == [{"key": "team", "value": "ml"}]
    assert set(booting["actions"]) == ACTIONS
    assert blocked(booting) == {
        "migrate": "vm-has-not-launched",
        "rebuild": "vm-has-not-launched",
        "restart": "vm-has-not-launched",
        "cold_reboot": "vm-has-not-launched",
        "terminate": None,
    }

    clock.advance(0.999)
    assert (await keyed.get(f"/instances/{instance_id}")).data["status"] == "booting"
    clock.advance(0.001)
    active = (await keyed.get(f"/instances/{instance_id}")).data
    assert active["status"] == "active"
    assert active.keys() >= NETWORK_KEYS
    assert active["hostname"] == "node-1"
    assert active["jupyter_token"] in active["jupyter_url"]
    assert all(a == {"available": True} for a in active["actions"].values())
    assert (await keyed.get("/instances")).data == [active]


async def test_default_hostname_comes_from_the_ip(keyed: Api, clock: ManualClock) -> None:
    instance_id = await keyed.launch_id()
    clock.advance(1)
    instance = (await keyed.get(f"/instances/{instance_id}")).data
    assert instance["hostname"] == instance["ip"].replace(".", "-")
    assert "name" not in instance


async def test_restart(keyed: Api, clock: ManualClock) -> None:
    instance_id = await keyed.launch_id()
    body = {"instance_ids": [instance_id]}
    early = await keyed.post("/instance-operations/restart", body)
    assert early.status == 409
    assert early.code == "global/conflict"

    clock.advance(1)
    [restarted] = (await keyed.post("/instance-operations/restart", body)).data[
        "restarted_instances"
    ]
    assert restarted["status"] == "booting"
    assert restarted.keys() >= NETWORK_KEYS  # a reboot keeps the address
    assert blocked(restarted)["restart"] == "vm-action-in-progress"
    assert (await keyed.post("/instance-operations/restart", body)).code == "global/conflict"
    clock.advance(0.5)
    assert (await keyed.get(f"/instances/{instance_id}")).data["status"] == "active"


async def test_restart_with_an_unknown_id_restarts_nothing(keyed: Api, clock: ManualClock) -> None:
    instance_id = await keyed.launch_id()
    clock.advance(1)
    reply = await keyed.post(
        "/instance-operations/restart", {"instance_ids": [instance_id, "0" * 32]}
    )
    assert reply.status == 404
    assert reply.body["error"]["code"] == "global/object-does-not-exist"
    assert reply.message == "Specified instance does not exist."
    assert (await keyed.get(f"/instances/{instance_id}")).data["status"] == "active"


async def test_terminate_lifecycle_and_retention(
    keyed: Api, clock: ManualClock, emu: Emulator
) -> None:
    instance_id = await keyed.launch_id()
    clock.advance(1)
    assert emu.capacity("gpu_1x_a10", "us-west-1") == 7
    body = {"instance_ids": [instance_id]}
    [terminating] = (await keyed.post("/instance-operations/terminate", body)).data[
        "terminated_instances"
    ]
    assert terminating["status"] == "terminating"
    assert set(blocked(terminating).values()) == {"vm-is-terminating"}
    assert emu.capacity("gpu_1x_a10", "us-west-1") == 7  # still held until terminated

    # Terminating again is harmless and reports the instance unchanged.
    again = (await keyed.post("/instance-operations/terminate", body)).data
    assert again["terminated_instances"] == [terminating]

    clock.advance(0.5)
    terminated = (await keyed.get(f"/instances/{instance_id}")).data
    assert terminated["status"] == "terminated"
    assert emu.capacity("gpu_1x_a10", "us-west-1") == 8
    assert [i["id"] for i in (await keyed.get("/instances")).data] == [instance_id]

    clock.advance(4.999)
    assert (await keyed.get(f"/instances/{instance_id}")).status == 200
    clock.advance(0.001)
    gone = await keyed.get(f"/instances/{instance_id}")
    assert gone.status == 404
    assert gone.code == "global/object-does-not-exist"
    assert (await keyed.get("/instances")).data == []
    assert emu.instances() == []
    assert [i["id"] for i in emu.instances(include_gone=True)] == [instance_id]
    again = await keyed.post("/instance-operations/terminate", body)
    assert again.code == "global/object-does-not-exist"

    events = (await keyed.get("/audit-events", params={"resource_type": "cloud.instance"})).data
    assert [e["action"] for e in events] == ["launched", "terminated"]


async def test_terminate_with_an_unknown_id_terminates_nothing(keyed: Api) -> None:
    instance_id = await keyed.launch_id()
    reply = await keyed.post(
        "/instance-operations/terminate", {"instance_ids": [instance_id, "f" * 32]}
    )
    assert reply.status == 404
    assert (await keyed.get(f"/instances/{instance_id}")).data["status"] == "booting"


async def test_terminating_a_booting_instance_never_gives_it_an_address(
    keyed: Api, clock: ManualClock
) -> None:
    instance_id = await keyed.launch_id()
    await keyed.post("/instance-operations/terminate", {"instance_ids": [instance_id]})
    clock.advance(2)
    instance = (await keyed.get(f"/instances/{instance_id}")).data
    assert instance["status"] == "terminated"
    assert not NETWORK_KEYS & instance.keys()


@pytest.mark.parametrize(
    "body", [{}, {"instance_ids": []}, {"instance_ids": "x"}, {"instance_ids": [1]}]
)
@pytest.mark.parametrize("operation", ["restart", "terminate"])
async def test_instance_ids_are_validated(api: Api, operation: str, body: Any) -> None:
    reply = await api.post(f"/instance-operations/{operation}", body)
    assert reply.code == "global/invalid-parameters"
    assert reply.message.startswith("instance_ids")


async def test_rename(keyed: Api) -> None:
    instance_id = await keyed.launch_id()
    renamed = (await keyed.post(f"/instances/{instance_id}", {"name": "new name"})).data
    assert renamed["name"] == "new name"
    assert (await keyed.post(f"/instances/{instance_id}", {})).data["name"] == "new name"
    cleared = (await keyed.post(f"/instances/{instance_id}", {"name": ""})).data
    assert "name" not in cleared
    too_long = await keyed.post(f"/instances/{instance_id}", {"name": "x" * 65})
    assert too_long.code == "global/invalid-parameters"
    assert too_long.message.startswith("name:")
    missing = await keyed.post(f"/instances/{'0' * 32}", {"name": "x"})
    assert missing.status == 404
    assert missing.code == "global/object-does-not-exist"


async def test_capacity_runs_out_and_comes_back(
    keyed: Api, emu: Emulator, clock: ManualClock
) -> None:
    emu.set_capacity("gpu_1x_h100_pcie", "us-west-1", 2)
    ids = [await keyed.launch_id(instance_type_name="gpu_1x_h100_pcie") for _ in range(2)]
    assert emu.capacity("gpu_1x_h100_pcie", "us-west-1") == 0
    types = (await keyed.get("/instance-types")).data
    regions = [r["name"] for r in types["gpu_1x_h100_pcie"]["regions_with_capacity_available"]]
    assert "us-west-1" not in regions

    full = await keyed.launch(instance_type_name="gpu_1x_h100_pcie")
    assert full.status == 400
    assert full.body["error"] == {
        "code": "instance-operations/launch/insufficient-capacity",
        "message": "Not enough capacity to fulfill launch request.",
        "suggestion": "Choose an instance type with more availability, or try again later.",
    }
    await keyed.post("/instance-operations/terminate", {"instance_ids": ids[:1]})
    clock.advance(0.5)
    assert emu.capacity("gpu_1x_h100_pcie", "us-west-1") == 1
    assert (await keyed.launch(instance_type_name="gpu_1x_h100_pcie")).status == 200


async def test_default_capacity_forces_a10_fallback_across_regions(emu: Emulator) -> None:
    regions = ("us-west-1", "us-east-1", "us-south-1", "europe-central-1")
    counts = [emu.capacity("gpu_1x_a10", r) for r in regions]
    assert sum(counts) >= 20
    assert all(0 < c < 20 for c in counts)


async def test_instance_types_is_an_object_keyed_by_name(api: Api) -> None:
    types = (await api.get("/instance-types")).data
    assert isinstance(types, dict)
    for name, item in types.items():
        assert item["instance_type"]["name"] == name
        assert set(item["instance_type"]["specs"]) == {"vcpus", "memory_gib", "storage_gib", "gpus"}
        for region in item["regions_with_capacity_available"]:
            assert set(region) == {"name", "description"}
    assert types["gpu_8x_b200_sxm6"]["regions_with_capacity_available"] == []
    assert {"gpu_1x_a10", "gpu_1x_a100_sxm4", "gpu_8x_h100_sxm5", "gpu_1x_gh200"} <= types.keys()


async def test_capacity_argument_replaces_the_defaults(clock: ManualClock) -> None:
    async with Emulator(clock=clock, capacity={("gpu_1x_a10", "us-east-2"): 1}) as emu:
        assert emu.capacity("gpu_1x_a10", "us-east-2") == 1
        assert emu.capacity("gpu_1x_a10", "us-west-1") == 0
        with pytest.raises(ValueError, match="unknown region"):
            emu.set_capacity("gpu_1x_a10", "mars-1", 1)
        with pytest.raises(ValueError, match="unknown instance type"):
            emu.capacity("gpu_9x_nope", "us-west-1")


async def test_scheduled_capacity_follows_the_clock(clock: ManualClock) -> None:
    async with Emulator(clock=clock, capacity={}, time_scale=0.5) as emu:
        emu.schedule_capacity(
            [
                (10, "gpu_1x_a10", "us-east-1", 2),
                (4, "gpu_1x_a100_sxm4", "us-west-1", 1),
                (10, "gpu_1x_a10", "us-east-1", 3),  # a later entry wins a tie
                (20, "gpu_1x_a100_sxm4", "us-west-1", 0),
            ]
        )
        clock.advance(1.99)  # 4 s scaled by 0.5 is 2 s of clock
        assert emu.capacity("gpu_1x_a100_sxm4", "us-west-1") == 0
        clock.advance(0.01)
        assert emu.capacity("gpu_1x_a100_sxm4", "us-west-1") == 1
        assert emu.capacity("gpu_1x_a10", "us-east-1") == 0
        clock.advance(3)
        assert emu.capacity("gpu_1x_a10", "us-east-1") == 3
        async with aiohttp.ClientSession() as session:
            types = (await Api(session, emu).get("/instance-types")).data
        listed = [r["name"] for r in types["gpu_1x_a10"]["regions_with_capacity_available"]]
        assert listed == ["us-east-1"]
        clock.advance(5)
        assert emu.capacity("gpu_1x_a100_sxm4", "us-west-1") == 0
        with pytest.raises(ValueError, match="unknown region"):
            emu.schedule_capacity([(1, "gpu_1x_a10", "mars-1", 1)])
        with pytest.raises(ValueError, match="negative"):
            emu.schedule_capacity([(-1, "gpu_1x_a10", "us-east-1", 1)])


async def test_a_price_change_shows_in_listings_and_on_later_instances(
    keyed: Api, emu: Emulator
) -> None:
    before = await keyed.launch_id()
    emu.set_price("gpu_1x_a10", 300)
    types = (await keyed.get("/instance-types")).data
    assert types["gpu_1x_a10"]["instance_type"]["price_cents_per_hour"] == 300
    assert types["gpu_1x_a6000"]["instance_type"]["price_cents_per_hour"] == 80
    after = await keyed.launch_id()
    prices = {i["id"]: i["instance_type"]["price_cents_per_hour"] for i in emu.instances()}
    assert prices == {before: 75, after: 300}  # a running instance keeps its price
    emu.set_price("gpu_1x_a10", None)  # served as given, off-spec or not
    types = (await keyed.get("/instance-types")).data
    assert types["gpu_1x_a10"]["instance_type"]["price_cents_per_hour"] is None
    with pytest.raises(ValueError, match="unknown instance type"):
        emu.set_price("gpu_9x_nope", 1)


async def test_instance_quota(keyed: Api, emu: Emulator, clock: ManualClock) -> None:
    emu.account().instance_quota = 1
    instance_id = await keyed.launch_id()
    reply = await keyed.launch()
    assert reply.status == 400
    assert reply.body["error"] == {
        "code": "global/quota-exceeded",
        "message": "Quota exceeded.",
        "suggestion": "Contact Support to increase your quota.",
    }
    await keyed.post("/instance-operations/terminate", {"instance_ids": [instance_id]})
    clock.advance(0.5)
    assert (await keyed.launch()).status == 200


async def test_invalid_billing_address_blocks_launch(keyed: Api, emu: Emulator) -> None:
    emu.account().billing_address_valid = False
    reply = await keyed.launch()
    assert reply.status == 403
    assert reply.body["error"] == {
        "code": "global/invalid-address",
        "message": "Your billing address is invalid.",
        "suggestion": "Make sure your billing address is valid. Contact Support if problems "
        "continue.",
    }
    assert (await keyed.get("/instances")).data == []


async def test_preempt_and_cluster_helpers(keyed: Api, emu: Emulator, clock: ManualClock) -> None:
    first, second = await keyed.launch_id(), await keyed.launch_id()
    emu.set_cluster(first, "cluster-a")
    only = (await keyed.get("/instances", params={"cluster_id": "cluster-a"})).data
    assert [i["id"] for i in only] == [first]
    assert (await keyed.get("/instances", params={"cluster_id": "nope"})).data == []
    clock.advance(1)
    emu.preempt(second)
    assert (await keyed.get(f"/instances/{second}")).data["status"] == "preempted"
    assert emu.capacity("gpu_1x_a10", "us-west-1") == 7


async def test_unhealthy_knob(keyed: Api, emu: Emulator, clock: ManualClock) -> None:
    instance_id = await keyed.launch_id()
    emu.set_unhealthy(instance_id)  # flagged while booting: still booting
    booting = (await keyed.get(f"/instances/{instance_id}")).data
    assert booting["status"] == "booting"
    assert blocked(booting)["restart"] == "vm-has-not-launched"
    clock.advance(1)
    sick = (await keyed.get(f"/instances/{instance_id}")).data
    assert sick["status"] == "unhealthy"
    assert sick.keys() >= NETWORK_KEYS
    assert all(a == {"available": True} for a in sick["actions"].values())
    assert emu.instances() == [sick] == (await keyed.get("/instances")).data
    assert emu.capacity("gpu_1x_a10", "us-west-1") == 7  # still holds its slot

    # A restart is allowed, and the flag survives it.
    body = {"instance_ids": [instance_id]}
    [restarted] = (await keyed.post("/instance-operations/restart", body)).data[
        "restarted_instances"
    ]
    assert restarted["status"] == "booting"
    clock.advance(0.5)
    assert (await keyed.get(f"/instances/{instance_id}")).data["status"] == "unhealthy"

    emu.set_unhealthy(instance_id, False)
    assert (await keyed.get(f"/instances/{instance_id}")).data["status"] == "active"
    emu.set_unhealthy(instance_id, True, api_key=emu.api_key)
    assert (await keyed.get(f"/instances/{instance_id}")).data["status"] == "unhealthy"

    # Terminating wins over the flag.
    [ending] = (await keyed.post("/instance-operations/terminate", body)).data[
        "terminated_instances"
    ]
    assert ending["status"] == "terminating"
    clock.advance(0.5)
    assert (await keyed.get(f"/instances/{instance_id}")).data["status"] == "terminated"


async def test_unhealthy_knob_lookup(keyed: Api, emu: Emulator, clock: ManualClock) -> None:
    instance_id = await keyed.launch_id()
    other = emu.add_account()
    with pytest.raises(KeyError):
        emu.set_unhealthy(instance_id, api_key=other)  # another account's instance
    with pytest.raises(KeyError):
        emu.set_unhealthy(instance_id, api_key="secret_nobody")
    with pytest.raises(KeyError):
        emu.set_unhealthy("0" * 32)
    clock.advance(1)
    assert (await keyed.get(f"/instances/{instance_id}")).data["status"] == "active"
    # Found in any account when no key is given.
    await keyed.add_key(key=other)
    theirs = await keyed.launch_id(key=other)
    clock.advance(1)
    emu.set_unhealthy(theirs)
    assert [i["status"] for i in emu.instances(other)] == ["unhealthy"]
    assert [i["status"] for i in emu.instances()] == ["active"]


async def test_time_scale_scales_the_lifecycle(clock: ManualClock) -> None:
    async with Emulator(clock=clock, time_scale=0.01) as emu:
        account = emu.account()
        assert account.api_key.startswith("secret_emu_")
        async with aiohttp.ClientSession() as session:
            api = Api(session, emu)
            await api.add_key()
            instance_id = await api.launch_id()
            clock.advance(0.009)
            assert (await api.get(f"/instances/{instance_id}")).data["status"] == "booting"
            clock.advance(0.002)
            assert (await api.get(f"/instances/{instance_id}")).data["status"] == "active"


async def test_seed_replays_ids(clock: ManualClock) -> None:
    async def run() -> tuple[str, str]:
        async with Emulator(clock=ManualClock(), seed=7) as emu, aiohttp.ClientSession() as s:
            api = Api(s, emu)
            await api.post("/ssh-keys", {"name": "my-key", "public_key": PUBLIC_KEY})
            return emu.api_key, await api.launch_id()

    assert await run() == await run()


PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICN+lJwsONkwrdsSnQsu1ydUkIuIg5oOC+Eslvmtt60T me"
