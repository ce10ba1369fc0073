"""The seed SDK's operation names on ``client.instances``, with per-call ``security=`` in basic
and bearer form, against the emulator."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from lambda_cloud import (
    AsyncLambdaCloud,
    AuthenticationError,
    ImageSpecificationFamily,
    Instance,
    InstanceStatus,
    InstanceTypesItem,
    InternalServerError,
    RequestedTagEntry,
    RetryPolicy,
    SchemeBasicAuth,
    Security,
    ValidationError,
)
from lambda_cloud.emulator import Emulator, Fault, ManualClock
from tests.conftest import BOOT, PUBLIC_KEY

REGION, TYPE = "us-west-1", "gpu_1x_a10"


def basic(key: str) -> Security:
    return Security(basic_auth=SchemeBasicAuth(username=key, password=""))


def bearer(key: str) -> Security:
    return Security(bearer_auth=key)


SECURITY = pytest.mark.parametrize(
    "as_security", [pytest.param(basic, id="basic"), pytest.param(bearer, id="bearer")]
)


@SECURITY
async def test_every_seed_call(
    client: AsyncLambdaCloud,
    emu: Emulator,
    clock: ManualClock,
    as_security: Callable[[str], Security],
) -> None:
    security = as_security(emu.api_key)
    instances = client.instances
    await client.ssh_keys.create("seed-key", PUBLIC_KEY)

    types = await instances.list_instance_types(security=security)
    assert isinstance(types[TYPE], InstanceTypesItem)
    assert REGION in types[TYPE].region_names

    ids = await instances.launch_instance(
        security=security,
        region_name=REGION,
        instance_type_name=TYPE,
        ssh_key_names=["seed-key"],
        file_system_names=[],
        name="My Instance",
        hostname="seed-host",
        image=ImageSpecificationFamily(family="lambda-stack-22-04"),
        user_data="#cloud-config\n",
        tags=[RequestedTagEntry(key="origin", value="seed")],
        firewall_rulesets=[],
    )
    assert len(ids) == 1
    [instance_id] = ids

    listed = await instances.list_instances(security=security)
    assert [i.id for i in listed] == [instance_id]
    got = await instances.get_instance(id=instance_id, security=security)
    assert isinstance(got, Instance)
    assert (got.name, got.tag("origin")) == ("My Instance", "seed")

    renamed = await instances.post_instance(id=instance_id, name="Renamed", security=security)
    assert renamed.name == "Renamed"
    unchanged = await instances.post_instance(id=instance_id, security=security)
    assert unchanged.name == "Renamed"

    clock.advance(BOOT)
    assert (await instances.get_instance(id=instance_id, security=security)).hostname == (
        "seed-host"
    )
    [restarted] = await instances.restart_instance(instance_ids=[instance_id], security=security)
    assert restarted.id == instance_id
    assert restarted.status is InstanceStatus.BOOTING
    [terminated] = await instances.terminate_instance(instance_ids=[instance_id], security=security)
    assert terminated.status is InstanceStatus.TERMINATING
    assert [i["status"] for i in emu.instances()] == ["terminating"]


async def test_seed_calls_work_without_security(
    client: AsyncLambdaCloud, emu: Emulator, ssh_key: str
) -> None:
    [instance_id] = await client.instances.launch_instance(
        region_name=REGION, instance_type_name=TYPE, ssh_key_names=[ssh_key]
    )
    assert [i.id for i in await client.instances.list_instances()] == [instance_id]
    assert (await client.instances.get_instance(id=instance_id)).id == instance_id


SeedCall = Callable[[AsyncLambdaCloud, Security], Awaitable[object]]
SEED_CALLS: list[tuple[str, SeedCall]] = [
    ("list_instances", lambda c, s: c.instances.list_instances(security=s)),
    ("get_instance", lambda c, s: c.instances.get_instance(id="0" * 32, security=s)),
    ("post_instance", lambda c, s: c.instances.post_instance(id="0" * 32, name="x", security=s)),
    ("list_instance_types", lambda c, s: c.instances.list_instance_types(security=s)),
    (
        "launch_instance",
        lambda c, s: c.instances.launch_instance(
            region_name=REGION, instance_type_name=TYPE, ssh_key_names=["k"], security=s
        ),
    ),
    ("restart_instance", lambda c, s: c.instances.restart_instance(instance_ids=["i"], security=s)),
    (
        "terminate_instance",
        lambda c, s: c.instances.terminate_instance(instance_ids=["i"], security=s),
    ),
]


@SECURITY
@pytest.mark.parametrize("call", [pytest.param(call, id=name) for name, call in SEED_CALLS])
async def test_a_wrong_key_in_security_is_401(
    client: AsyncLambdaCloud,
    emu: Emulator,
    as_security: Callable[[str], Security],
    call: SeedCall,
) -> None:
    with pytest.raises(AuthenticationError) as info:
        await call(client, as_security("secret_wrong"))
    assert info.value.status_code == 401
    assert info.value.code == "global/invalid-api-key"
    assert emu.instances() == []
    assert await client.instances.list_instances() == []  # the client's own key still works


@SECURITY
async def test_security_overrides_the_client_key_for_that_call_only(
    client: AsyncLambdaCloud,
    emu: Emulator,
    ssh_key: str,
    as_security: Callable[[str], Security],
) -> None:
    await client.instances.launch(
        region_name=REGION, instance_type_name=TYPE, ssh_key_names=[ssh_key]
    )
    other = as_security(emu.add_account())
    assert await client.instances.list_instances(security=other) == []
    assert len(await client.instances.list_instances()) == 1


@pytest.mark.parametrize(
    "security",
    [
        pytest.param(Security(), id="neither"),
        pytest.param(
            Security(basic_auth=SchemeBasicAuth(username="a"), bearer_auth="b"), id="both"
        ),
    ],
)
async def test_security_needs_exactly_one_scheme(
    client: AsyncLambdaCloud, security: Security
) -> None:
    with pytest.raises(ValidationError) as info:
        await client.instances.list_instances(security=security)
    assert info.value.field == "security"


async def test_seed_calls_take_retries(client: AsyncLambdaCloud, emu: Emulator) -> None:
    fault = emu.faults.add(Fault(kind="status", status=503, path="/instances", times=1))
    with pytest.raises(InternalServerError):
        await client.instances.list_instances(max_retries=0)
    assert fault.fired == 1
    emu.faults.add(fault := Fault(kind="status", status=503, path="/instances", times=1))
    policy = RetryPolicy(max_retries=1, initial_delay=0.0, max_delay=0.0)
    assert await client.instances.list_instances(max_retries=policy) == []
    assert fault.fired == 1
