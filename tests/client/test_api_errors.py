"""Every error the instance, instance-type and SSH-key endpoints can return, raised as its class
with the server's code, message and suggestion carried (emulator over loopback)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from lambda_cloud import (
    AccountInactiveError,
    APIStatusError,
    AsyncLambdaCloud,
    AuthenticationError,
    ConflictError,
    FileSystemInWrongRegionError,
    InsufficientCapacityError,
    InvalidParametersError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    SchemeBasicAuth,
    Security,
)
from lambda_cloud._security import Secret
from lambda_cloud.emulator import Emulator, ManualClock
from tests.conftest import BOOT, PUBLIC_KEY, Canned, make_client

REGION, TYPE = "us-west-1", "gpu_1x_a10"
LAUNCH: dict[str, Any] = {
    "region_name": REGION,
    "instance_type_name": TYPE,
    "ssh_key_names": ["my-key"],
}
UNKNOWN_ID = "0123456789abcdef0123456789abcdef"

Op = Callable[[AsyncLambdaCloud], Awaitable[object]]

# One call per operation, valid on the client side.
OPERATIONS: list[tuple[str, Op]] = [
    ("list", lambda c: c.instances.list()),
    ("list-cluster", lambda c: c.instances.list(cluster_id="c1")),
    ("get", lambda c: c.instances.get(UNKNOWN_ID)),
    ("update", lambda c: c.instances.update(UNKNOWN_ID, name="x")),
    ("launch", lambda c: c.instances.launch(**LAUNCH)),
    ("restart", lambda c: c.instances.restart([UNKNOWN_ID])),
    ("terminate", lambda c: c.instances.terminate([UNKNOWN_ID])),
    ("instance-types", lambda c: c.instance_types.list()),
    ("ssh-list", lambda c: c.ssh_keys.list()),
    ("ssh-create", lambda c: c.ssh_keys.create("k", PUBLIC_KEY)),
    ("ssh-generate", lambda c: c.ssh_keys.create("k")),
    ("ssh-delete", lambda c: c.ssh_keys.delete(UNKNOWN_ID)),
]
ALL_OPS = pytest.mark.parametrize(("op",), [pytest.param(op, id=label) for label, op in OPERATIONS])

INVALID_KEY_MESSAGE = "API key was invalid, expired, or deleted."
INVALID_KEY_SUGGESTION = "Check your API key or create a new one, then try again."


def as_bearer(client: AsyncLambdaCloud, key: str) -> AsyncLambdaCloud:
    return client.with_options(api_key=key)


def with_authorization(client: AsyncLambdaCloud, authorization: Secret) -> AsyncLambdaCloud:
    """A copy of ``client`` sending this header, as per-call ``security=`` makes its requests."""
    copy = client.with_options()
    copy._api = copy._api.with_authorization(authorization)
    return copy


def as_basic(client: AsyncLambdaCloud, key: str) -> AsyncLambdaCloud:
    security = Security(basic_auth=SchemeBasicAuth(username=key, password=""))
    return with_authorization(client, security.authorization())


def as_raw_basic(client: AsyncLambdaCloud, key: str) -> AsyncLambdaCloud:
    return with_authorization(client, Secret(f"Basic {key}"))


AUTH_FORMS = pytest.mark.parametrize(
    "auth",
    [
        pytest.param(as_bearer, id="bearer"),
        pytest.param(as_basic, id="basic-base64"),
        pytest.param(as_raw_basic, id="basic-raw-key"),
    ],
)


@ALL_OPS
@AUTH_FORMS
async def test_wrong_key_is_401_on_every_operation(
    client: AsyncLambdaCloud,
    op: Op,
    auth: Callable[[AsyncLambdaCloud, str], AsyncLambdaCloud],
) -> None:
    with pytest.raises(AuthenticationError) as info:
        await op(auth(client, "secret_wrong_key"))
    exc = info.value
    assert exc.status_code == 401
    assert exc.code == "global/invalid-api-key"
    assert exc.message == INVALID_KEY_MESSAGE
    assert exc.suggestion == INVALID_KEY_SUGGESTION
    assert (
        str(exc) == f"401 global/invalid-api-key: {INVALID_KEY_MESSAGE} ({INVALID_KEY_SUGGESTION})"
    )


@AUTH_FORMS
async def test_right_key_in_every_form_is_accepted(
    client: AsyncLambdaCloud,
    emu: Emulator,
    auth: Callable[[AsyncLambdaCloud, str], AsyncLambdaCloud],
) -> None:
    assert await auth(client, emu.api_key).ssh_keys.list() == []


async def test_another_accounts_key_sees_another_account(
    client: AsyncLambdaCloud, emu: Emulator
) -> None:
    await client.ssh_keys.create("mine", PUBLIC_KEY)
    other = client.with_options(api_key=emu.add_account())
    assert await other.ssh_keys.list() == []
    assert len(await client.ssh_keys.list()) == 1


@ALL_OPS
async def test_inactive_account_is_403_on_every_operation(
    client: AsyncLambdaCloud, emu: Emulator, op: Op
) -> None:
    emu.account().inactive = True
    with pytest.raises(AccountInactiveError) as info:
        await op(client)
    exc = info.value
    assert isinstance(exc, PermissionDeniedError)
    assert exc.status_code == 403
    assert exc.code == "global/account-inactive"
    assert exc.message == "Your account is inactive."
    assert exc.suggestion is not None
    assert "payment method" in exc.suggestion


async def test_invalid_billing_address_is_403_on_launch(
    client: AsyncLambdaCloud, emu: Emulator, ssh_key: str
) -> None:
    emu.account().billing_address_valid = False
    with pytest.raises(PermissionDeniedError) as info:
        await client.instances.launch(**LAUNCH)
    exc = info.value
    assert type(exc) is PermissionDeniedError
    assert exc.status_code == 403
    assert exc.code == "global/invalid-address"
    assert exc.message == "Your billing address is invalid."
    assert exc.suggestion is not None
    assert emu.instances() == []
    assert await client.instances.list() == []  # other calls still work


@pytest.mark.parametrize(
    "op",
    [
        pytest.param(lambda c: c.instances.get(UNKNOWN_ID), id="get"),
        pytest.param(lambda c: c.instances.update(UNKNOWN_ID, name="x"), id="update"),
        pytest.param(lambda c: c.instances.restart([UNKNOWN_ID]), id="restart"),
        pytest.param(lambda c: c.instances.terminate([UNKNOWN_ID]), id="terminate"),
        pytest.param(lambda c: c.instances.get_instance(id=UNKNOWN_ID), id="seed-get"),
    ],
)
async def test_unknown_instance_is_404_object_does_not_exist(
    client: AsyncLambdaCloud, op: Op
) -> None:
    with pytest.raises(NotFoundError) as info:
        await op(client)
    exc = info.value
    assert exc.status_code == 404
    assert exc.code == "global/object-does-not-exist"
    assert exc.message == "Specified instance does not exist."
    assert exc.suggestion is not None and UNKNOWN_ID in exc.suggestion


async def test_one_unknown_id_fails_the_whole_terminate(
    client: AsyncLambdaCloud, emu: Emulator, ssh_key: str
) -> None:
    [real] = await client.instances.launch(**LAUNCH)
    with pytest.raises(NotFoundError):
        await client.instances.terminate([real, UNKNOWN_ID])
    assert emu.instances()[0]["status"] == "booting"


@pytest.mark.parametrize(
    ("changes", "names"),
    [
        pytest.param({"ssh_key_names": ["no-such-key"]}, "no-such-key", id="ssh-key"),
        pytest.param({"instance_type_name": "gpu_9x_nope"}, "gpu_9x_nope", id="instance-type"),
        pytest.param({"region_name": "mars-north-1"}, "mars-north-1", id="region"),
        pytest.param({"file_system_names": ["nofs"]}, "nofs", id="file-system"),
    ],
)
async def test_launch_with_a_missing_resource(
    client: AsyncLambdaCloud, emu: Emulator, ssh_key: str, changes: dict[str, Any], names: str
) -> None:
    with pytest.raises(NotFoundError) as info:
        await client.instances.launch(**{**LAUNCH, **changes})
    exc = info.value
    assert exc.code == "global/object-does-not-exist"
    assert names in exc.message
    assert exc.suggestion  # required by the spec for launch
    assert emu.instances() == []


async def test_insufficient_capacity(client: AsyncLambdaCloud, emu: Emulator, ssh_key: str) -> None:
    emu.set_capacity(TYPE, REGION, 0)
    with pytest.raises(InsufficientCapacityError) as info:
        await client.instances.launch(**LAUNCH)
    exc = info.value
    assert exc.status_code == 400
    assert exc.code == "instance-operations/launch/insufficient-capacity"
    assert exc.message == "Not enough capacity to fulfill launch request."
    assert exc.suggestion is not None
    assert emu.instances() == []


async def test_quota_exceeded(client: AsyncLambdaCloud, emu: Emulator, ssh_key: str) -> None:
    emu.account().instance_quota = 1
    await client.instances.launch(**LAUNCH)
    with pytest.raises(QuotaExceededError) as info:
        await client.instances.launch(**LAUNCH)
    exc = info.value
    assert exc.status_code == 400
    assert exc.code == "global/quota-exceeded"
    assert exc.message == "Quota exceeded."
    assert exc.suggestion == "Contact Support to increase your quota."
    assert len(emu.instances()) == 1


async def test_file_system_in_wrong_region(
    client: AsyncLambdaCloud, emu: Emulator, ssh_key: str
) -> None:
    await client.instances._request(
        "POST", "/filesystems", body={"name": "far", "region": "us-east-1"}
    )
    with pytest.raises(FileSystemInWrongRegionError) as info:
        await client.instances.launch(**LAUNCH, file_system_names=["far"])
    assert info.value.code == "instance-operations/launch/file-system-in-wrong-region"
    assert info.value.status_code == 400
    assert emu.instances() == []


async def test_restart_conflict_is_409(
    client: AsyncLambdaCloud, emu: Emulator, clock: ManualClock, ssh_key: str
) -> None:
    [booting] = await client.instances.launch(**LAUNCH)
    with pytest.raises(ConflictError) as info:
        await client.instances.restart([booting], max_retries=0)
    exc = info.value
    assert exc.status_code == 409
    assert exc.code == "global/conflict"
    assert "booting" in exc.message
    assert exc.suggestion
    clock.advance(BOOT)
    [restarted] = await client.instances.restart([booting])
    assert restarted.id == booting


@pytest.mark.off_spec_requests
@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        pytest.param(
            "POST",
            "/instance-operations/launch",
            {**LAUNCH, "ssh_key_names": ["a", "b"]},
            "ssh_key_names",
            id="launch-two-keys",
        ),
        pytest.param(
            "POST",
            "/instance-operations/launch",
            {**LAUNCH, "ssh_key_names": []},
            "ssh_key_names",
            id="launch-no-key",
        ),
        pytest.param(
            "POST",
            "/instance-operations/launch",
            {**LAUNCH, "hostname": "Not_Valid"},
            "hostname",
            id="launch-hostname",
        ),
        pytest.param(
            "POST",
            "/instance-operations/launch",
            {**LAUNCH, "name": "n" * 65},
            "name",
            id="launch-long-name",
        ),
        pytest.param(
            "POST",
            "/instance-operations/launch",
            {**LAUNCH, "tags": [{"key": "A", "value": "v"}]},
            "tags[0].key",
            id="launch-tag-key",
        ),
        pytest.param(
            "POST",
            "/instance-operations/launch",
            {**LAUNCH, "quantity": 2},
            "quantity",
            id="launch-quantity",
        ),
        pytest.param(
            "POST",
            "/instance-operations/launch",
            {**LAUNCH, "user_data": "x" * (1_000_000 + 1)},
            "user_data",
            id="launch-user-data",
        ),
        pytest.param(
            "POST",
            "/instance-operations/restart",
            {"instance_ids": []},
            "instance_ids",
            id="restart-empty",
        ),
        pytest.param(
            "POST",
            "/instance-operations/terminate",
            {"instance_ids": "abc"},
            "instance_ids",
            id="terminate-string",
        ),
        pytest.param(
            "POST",
            "/instance-operations/terminate",
            {"instance_ids": [1]},
            "instance_ids[0]",
            id="terminate-non-string",
        ),
        pytest.param("POST", f"/instances/{UNKNOWN_ID}", {"name": 5}, "name", id="rename-type"),
        pytest.param(
            "POST", f"/instances/{UNKNOWN_ID}", {"name": "n" * 65}, "name", id="rename-long"
        ),
        pytest.param("POST", "/ssh-keys", {"name": ""}, "name", id="ssh-key-empty-name"),
        pytest.param("POST", "/ssh-keys", {}, "name", id="ssh-key-no-name"),
    ],
)
async def test_server_side_invalid_parameters(
    client: AsyncLambdaCloud,
    emu: Emulator,
    ssh_key: str,
    method: str,
    path: str,
    body: object,
    field: str,
) -> None:
    # Straight to the transport, past the client's own checks, to see the server refuse.
    with pytest.raises(InvalidParametersError) as info:
        await client.instances._request(method, path, body=body)
    exc = info.value
    assert exc.status_code == 400
    assert exc.code == "global/invalid-parameters"
    assert exc.message.startswith(field)
    assert emu.instances() == []


@pytest.mark.off_spec_requests
async def test_unknown_route_is_404_global_not_found(client: AsyncLambdaCloud) -> None:
    with pytest.raises(NotFoundError) as info:
        await client.instances._request("GET", "/no-such-endpoint")
    exc = info.value
    assert exc.status_code == 404
    assert exc.code == "global/not-found"
    assert exc.message == "The requested resource was not found."


async def test_errors_carry_the_request(client: AsyncLambdaCloud, emu: Emulator) -> None:
    with pytest.raises(APIStatusError) as info:
        await client.instances.get(UNKNOWN_ID)
    exc = info.value
    assert exc.method == "GET"
    assert exc.url == f"{emu.base_url}/instances/{UNKNOWN_ID}"
    assert isinstance(exc.body, dict)
    assert exc.body["error"]["code"] == "global/object-does-not-exist"
    assert exc.headers["Content-Type"].startswith("application/json")


async def test_path_ids_cannot_escape_their_resource(client: AsyncLambdaCloud) -> None:
    # "/" in an id is encoded, so this is the (missing) instance "../ssh-keys", not a key list.
    with pytest.raises(NotFoundError):
        await client.instances.get("../ssh-keys")


async def test_a_fresh_client_on_another_key(emu: Emulator) -> None:
    async with make_client(emu, api_key="secret_nobody") as stranger:
        with pytest.raises(AuthenticationError):
            await stranger.instances.list()


@pytest.mark.parametrize("header", ["X-Request-Id", "x-request-id", "Request-Id"])
async def test_a_status_error_carries_the_request_id(canned: Canned, header: str) -> None:
    canned.reply(404, {"error": {"code": "global/not-found", "message": "no"}}, {header: "req-7"})
    async with AsyncLambdaCloud(api_key="k", base_url=canned.base_url, rate_limits=None) as c:
        with pytest.raises(NotFoundError) as info:
            await c.instances.get("i-1")
    assert info.value.request_id == "req-7"


async def test_no_request_id_header_means_none(canned: Canned) -> None:
    canned.reply(404, {"error": {"code": "global/not-found", "message": "no"}})
    async with AsyncLambdaCloud(api_key="k", base_url=canned.base_url, rate_limits=None) as c:
        with pytest.raises(NotFoundError) as info:
            await c.instances.get("i-1")
    assert info.value.request_id is None
