"""Argument checks that run before anything is sent: the ``_validation`` functions themselves,
and every public instance / SSH-key method refusing bad input without touching the network (the
client points at a closed port, so a request that slipped through would fail differently)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from lambda_cloud import (
    AsyncLambdaCloud,
    FirewallRulesetEntry,
    ImageSpecificationFamily,
    ImageSpecificationID,
    LambdaCloud,
    RequestedFilesystemMountEntry,
    RequestedTagEntry,
    ValidationError,
)
from lambda_cloud._validation import (
    MAX_USER_DATA_BYTES,
    check_hostname,
    check_ids,
    check_length,
    check_mount_point,
    check_path_id,
    check_single_ssh_key,
    check_tag,
    check_user_data,
)
from lambda_cloud.emulator.validation import USER_DATA_MAX_BYTES
from lambda_cloud.resources._launch_request import build_launch_request

# -- the check functions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("", True),
        ("x" * 64, True),
        ("é" * 64, True),  # characters, not bytes
        ("🚀" * 64, True),
        ("x" * 65, False),
        ("é" * 65, False),
        (None, False),
        (64, False),
        (b"name", False),
    ],
)
def test_name_is_at_most_64_characters(value: object, ok: bool) -> None:
    if ok:
        assert check_length(value, "name", max_len=64) == value
    else:
        with pytest.raises(ValidationError) as info:
            check_length(value, "name", max_len=64)
        assert info.value.field == "name"


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        pytest.param("", True, id="empty"),
        pytest.param("a" * MAX_USER_DATA_BYTES, True, id="ascii-at-limit"),
        pytest.param("a" * (MAX_USER_DATA_BYTES + 1), False, id="ascii-over"),
        # 2-byte characters: half as many fit.
        pytest.param("é" * (MAX_USER_DATA_BYTES // 2), True, id="2-byte-at-limit"),
        pytest.param("é" * (MAX_USER_DATA_BYTES // 2 + 1), False, id="2-byte-over"),
        # 3-byte characters: the count is under the limit, the encoded size over it.
        pytest.param("€" * 333_334, False, id="3-byte-over"),
        pytest.param("🚀" * (MAX_USER_DATA_BYTES // 4), True, id="4-byte-at-limit"),
        pytest.param("🚀" * (MAX_USER_DATA_BYTES // 4) + "a", False, id="4-byte-over"),
        pytest.param(b"#cloud-config", False, id="bytes"),
    ],
)
def test_user_data_is_at_most_1mb_encoded(value: Any, ok: bool) -> None:
    if ok:
        assert check_user_data(value) is value
    else:
        with pytest.raises(ValidationError) as info:
            check_user_data(value)
        assert info.value.field == "user_data"


@pytest.mark.parametrize(
    ("names", "ok"),
    [
        pytest.param(["k"], True, id="one"),
        pytest.param(("k",), True, id="one-in-a-tuple"),
        pytest.param([], False, id="none"),
        pytest.param(["a", "b"], False, id="two"),
        pytest.param("my-key", False, id="bare-string"),
        pytest.param(b"my-key", False, id="bare-bytes"),
        pytest.param([""], False, id="empty-name"),
        pytest.param([5], False, id="not-a-string"),
        pytest.param(["x" * 65], False, id="name-too-long"),
    ],
)
def test_exactly_one_ssh_key(names: Any, ok: bool) -> None:
    if ok:
        assert check_single_ssh_key(names) == ["k"]
    else:
        with pytest.raises(ValidationError) as info:
            check_single_ssh_key(names)
        assert info.value.field.startswith("ssh_key_names")


@pytest.mark.parametrize(
    ("hostname", "ok"),
    [
        ("a", True),
        ("0", True),
        ("my-host-1", True),
        ("a" * 63, True),
        ("9-lives", True),
        ("a" * 64, False),
        ("", False),
        ("-leading-dash", False),
        ("UPPER", False),
        ("under_score", False),
        ("dotted.name", False),
        ("space d", False),
        ("trailing\n", False),
        (None, False),
    ],
)
def test_hostname_pattern(hostname: Any, ok: bool) -> None:
    if ok:
        assert check_hostname(hostname) == hostname
    else:
        with pytest.raises(ValidationError) as info:
            check_hostname(hostname)
        assert info.value.field == "hostname"


@pytest.mark.parametrize(
    ("key", "value", "ok", "field"),
    [
        ("ab", "v", True, None),
        ("team", "", True, None),
        ("a1", "v", True, None),
        ("env:prod-1", "v", True, None),
        ("a" * 55, "v", True, None),
        ("k" + "-" * 54, "x" * 128, True, None),
        ("a", "v", False, "tags[0].key"),  # the pattern needs at least two characters
        ("1a", "v", False, "tags[0].key"),
        ("Ab", "v", False, "tags[0].key"),
        ("a_b", "v", False, "tags[0].key"),
        ("a b", "v", False, "tags[0].key"),
        ("", "v", False, "tags[0].key"),
        ("a" * 56, "v", False, "tags[0].key"),
        ("ab", "x" * 129, False, "tags[0].value"),
        ("ab", 5, False, "tags[0].value"),
        (5, "v", False, "tags[0].key"),
    ],
)
def test_tag_key_pattern_and_value_length(
    key: Any, value: Any, ok: bool, field: str | None
) -> None:
    if ok:
        check_tag(key, value, "tags[0]")
    else:
        with pytest.raises(ValidationError) as info:
            check_tag(key, value, "tags[0]")
        assert info.value.field == field


@pytest.mark.parametrize(
    ("ids", "field"),
    [
        pytest.param([], "ids", id="empty-list"),
        pytest.param((), "ids", id="empty-tuple"),
        pytest.param("0920582c7ff041399e34823a0be62549", "ids", id="bare-string"),
        pytest.param(b"abc", "ids", id="bare-bytes"),
        pytest.param([5], "ids[0]", id="int"),
        pytest.param(["a", None], "ids[1]", id="none"),
        pytest.param(["a", ""], "ids[1]", id="empty-id"),
        pytest.param(["x" * 257], "ids[0]", id="too-long"),
    ],
)
def test_bad_id_lists(ids: Any, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        check_ids(ids, "ids")
    assert info.value.field == field


def test_good_id_lists() -> None:
    assert check_ids(["a", "b"], "ids") == ["a", "b"]
    assert check_ids(iter(("a",)), "ids") == ["a"]
    assert check_ids(("a", "a"), "ids") == ["a", "a"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0920582c7ff041399e34823a0be62549", "0920582c7ff041399e34823a0be62549"),
        ("a/b", "a%2Fb"),
        ("../ssh-keys", "..%2Fssh-keys"),
        ("a b?c#d", "a%20b%3Fc%23d"),
        ("a.b~c_d-e", "a.b~c_d-e"),
        ("é", "%C3%A9"),
        ("%41", "%2541"),
    ],
)
def test_path_ids_are_percent_encoded(value: str, expected: str) -> None:
    assert check_path_id(value) == expected


@pytest.mark.parametrize("value", ["", None, 5, "x" * 257, ".", ".."])
def test_bad_path_ids(value: Any) -> None:
    with pytest.raises(ValidationError):
        check_path_id(value)


@pytest.mark.parametrize(
    ("point", "ok"),
    [
        ("/home/ubuntu/data", True),
        ("/lambda/nfs/fs-1", True),
        ("/data", True),
        ("/data/a-b/C9", True),
        ("/etc/passwd", False),
        ("home/x", False),
        ("/home/with space", False),
        ("/home/" + "x" * 251, False),
    ],
)
def test_mount_point_pattern(point: str, ok: bool) -> None:
    if ok:
        assert check_mount_point(point, "m") == point
    else:
        with pytest.raises(ValidationError):
            check_mount_point(point, "m")


# -- the launch body ---------------------------------------------------------------------------

LAUNCH: dict[str, Any] = {
    "region_name": "us-west-1",
    "instance_type_name": "gpu_1x_a10",
    "ssh_key_names": ["my-key"],
}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"region_name": ""}, "region_name"),
        ({"region_name": None}, "region_name"),
        ({"instance_type_name": ""}, "instance_type_name"),
        ({"ssh_key_names": []}, "ssh_key_names"),
        ({"ssh_key_names": ["a", "b"]}, "ssh_key_names"),
        ({"ssh_key_names": "my-key"}, "ssh_key_names"),
        ({"name": "n" * 65}, "name"),
        ({"hostname": "Bad_Host"}, "hostname"),
        ({"hostname": "h" * 64}, "hostname"),
        ({"user_data": "€" * 333_334}, "user_data"),
        ({"tags": {"a": "v"}}, "tags[0].key"),
        ({"tags": {"ok": "v", "Bad": "v"}}, "tags[1].key"),
        ({"tags": [RequestedTagEntry(key="ok", value="v" * 129)]}, "tags[0].value"),
        ({"tags": [("ok", "v")]}, "tags[0]"),
        ({"file_system_names": "fs"}, "file_system_names"),
        ({"file_system_names": ["fs", ""]}, "file_system_names[1]"),
        (
            {
                "file_system_mounts": [
                    RequestedFilesystemMountEntry(mount_point="/etc", file_system_id="f")
                ]
            },
            "file_system_mounts[0].mount_point",
        ),
        ({"file_system_mounts": [{"mount_point": "/data"}]}, "file_system_mounts[0]"),
        ({"image": {"name": "ubuntu"}}, "image"),  # neither {"id"} nor {"family"}
        ({"image": ImageSpecificationID(id="")}, "image.id"),
        ({"image": ImageSpecificationFamily(family="")}, "image.family"),
        ({"firewall_rulesets": "rs-1"}, "firewall_rulesets"),
        ({"firewall_rulesets": ["rs-1", ""]}, "firewall_rulesets[1]"),
    ],
)
def test_bad_launch_arguments(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        build_launch_request(**{**LAUNCH, **changes})
    assert info.value.field == field


def test_launch_tags_may_be_a_mapping_or_entries() -> None:
    from_mapping = build_launch_request(**LAUNCH, tags={"team": "ml", "env:stage": "prod"})
    from_entries = build_launch_request(
        **LAUNCH,
        tags=[
            RequestedTagEntry(key="team", value="ml"),
            RequestedTagEntry(key="env:stage", value="prod"),
        ],
    )
    assert from_mapping.tags == from_entries.tags
    assert from_mapping.tags is not None
    assert [t.key for t in from_mapping.tags] == ["team", "env:stage"]


def test_launch_rulesets_may_be_ids_or_entries() -> None:
    request = build_launch_request(
        **LAUNCH, firewall_rulesets=["rs-1", FirewallRulesetEntry(id="rs-2")]
    )
    assert request.firewall_rulesets == [
        FirewallRulesetEntry(id="rs-1"),
        FirewallRulesetEntry(id="rs-2"),
    ]


# -- public methods refuse before sending ------------------------------------------------------


@pytest.fixture
async def offline(closed_url: str) -> AsyncIterator[AsyncLambdaCloud]:
    async with AsyncLambdaCloud(
        api_key="secret_offline", base_url=closed_url, max_retries=0, rate_limits=None
    ) as client:
        yield client


Call = Callable[[AsyncLambdaCloud], Awaitable[object]]

BAD_CALLS: list[tuple[str, Call, str]] = [
    ("get-empty-id", lambda c: c.instances.get(""), "id"),
    ("get-non-string-id", lambda c: c.instances.get(5), "id"),  # type: ignore[arg-type]
    ("update-empty-id", lambda c: c.instances.update("", name="x"), "id"),
    ("update-long-name", lambda c: c.instances.update("i1", name="n" * 65), "name"),
    ("update-non-string-name", lambda c: c.instances.update("i1", name=None), "name"),  # type: ignore[arg-type]
    ("restart-empty", lambda c: c.instances.restart([]), "ids"),
    ("restart-bare-string", lambda c: c.instances.restart("i1"), "ids"),
    ("restart-non-string", lambda c: c.instances.restart([1]), "ids[0]"),  # type: ignore[list-item]
    ("terminate-empty", lambda c: c.instances.terminate([]), "ids"),
    ("terminate-bare-string", lambda c: c.instances.terminate("i1"), "ids"),
    ("terminate-non-string", lambda c: c.instances.terminate(["i1", 2]), "ids[1]"),  # type: ignore[list-item]
    (
        "launch-two-keys",
        lambda c: c.instances.launch(**{**LAUNCH, "ssh_key_names": ["a", "b"]}),
        "ssh_key_names",
    ),
    (
        "launch-no-key",
        lambda c: c.instances.launch(**{**LAUNCH, "ssh_key_names": []}),
        "ssh_key_names",
    ),
    (
        "launch-bare-key",
        lambda c: c.instances.launch(**{**LAUNCH, "ssh_key_names": "my-key"}),
        "ssh_key_names",
    ),
    ("launch-long-name", lambda c: c.instances.launch(**LAUNCH, name="n" * 65), "name"),
    ("launch-hostname", lambda c: c.instances.launch(**LAUNCH, hostname="-x"), "hostname"),
    (
        "launch-user-data",
        lambda c: c.instances.launch(**LAUNCH, user_data="é" * 500_001),
        "user_data",
    ),
    ("launch-tag-key", lambda c: c.instances.launch(**LAUNCH, tags={"X": "1"}), "tags[0].key"),
    ("ssh-create-empty-name", lambda c: c.ssh_keys.create(""), "name"),
    ("ssh-create-long-name", lambda c: c.ssh_keys.create("k" * 65), "name"),
    ("ssh-create-empty-key", lambda c: c.ssh_keys.create("k", ""), "public_key"),
    ("ssh-create-huge-key", lambda c: c.ssh_keys.create("k", "x" * 4097), "public_key"),
    ("ssh-delete-empty-id", lambda c: c.ssh_keys.delete(""), "id"),
    ("seed-get", lambda c: c.instances.get_instance(id=""), "id"),
    ("seed-post", lambda c: c.instances.post_instance(id="i1", name="n" * 65), "name"),
    ("seed-restart", lambda c: c.instances.restart_instance(instance_ids=[]), "ids"),
    ("seed-terminate", lambda c: c.instances.terminate_instance(instance_ids="i1"), "ids"),
    (
        "seed-launch",
        lambda c: c.instances.launch_instance(**{**LAUNCH, "ssh_key_names": ["a", "b"]}),
        "ssh_key_names",
    ),
]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        *(pytest.param(call, field, id=label) for label, call, field in BAD_CALLS),
        pytest.param(lambda c: c.instances.list(cluster_id=""), "cluster_id", id="list-cluster"),
    ],
)
async def test_bad_arguments_are_refused_before_sending(
    offline: AsyncLambdaCloud, call: Call, field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        await call(offline)
    assert info.value.field == field


def test_sdk_and_emulator_share_one_user_data_limit() -> None:
    assert MAX_USER_DATA_BYTES == USER_DATA_MAX_BYTES == 1_000_000


# -- what the hostile-argument fuzzer found (issue 18), each refused before sending ----------


async def _first(items: AsyncIterator[object]) -> None:
    async for _ in items:
        break


LAUNCH_MANY: dict[str, Any] = {"instance_type_name": "gpu_1x_a10", "ssh_key_names": ["k"]}

FOUND: list[tuple[str, Call, str]] = [
    ("terminate-int", lambda c: c.instances.terminate(5), "ids"),  # type: ignore[arg-type]
    ("restart-none", lambda c: c.instances.restart(None), "ids"),  # type: ignore[arg-type]
    ("terminate-many-none", lambda c: c.instances.terminate_many(None), "ids"),  # type: ignore[arg-type]
    ("wait-for-none", lambda c: c.instances.wait_for(None), "ids"),  # type: ignore[arg-type]
    ("reclaim-keep-int", lambda c: c.instances.reclaim("run1", keep=5), "keep"),  # type: ignore[arg-type]
    ("reclaim-keep-none", lambda c: c.instances.reclaim("run1", keep=None), "keep"),  # type: ignore[arg-type]
    # reclaim lists the run's instances first: everything must be checked before that.
    ("reclaim-timeout", lambda c: c.instances.reclaim("run1", timeout="5"), "timeout"),  # type: ignore[arg-type]
    ("reclaim-wait", lambda c: c.instances.reclaim("run1", wait=1), "wait"),  # type: ignore[arg-type]
    (
        "reclaim-progress",
        lambda c: c.instances.reclaim("run1", on_progress=[1]),  # type: ignore[arg-type]
        "on_progress",
    ),
    (
        "reclaim-request-timeout",
        lambda c: c.instances.reclaim("run1", request_timeout="5"),  # type: ignore[arg-type]
        "request_timeout",
    ),
    (
        "terminate-many-timeout",
        lambda c: c.instances.terminate_many(["i1"], timeout="5"),  # type: ignore[arg-type]
        "timeout",
    ),
    (
        "terminate-many-progress",
        lambda c: c.instances.terminate_many(["i1"], on_progress=[1]),  # type: ignore[arg-type]
        "on_progress",
    ),
    ("wait-for-timeout", lambda c: c.instances.wait_for(["i1"], timeout="5"), "timeout"),  # type: ignore[arg-type]
    (
        "wait-for-progress",
        lambda c: c.instances.wait_for(["i1"], on_progress=[1]),  # type: ignore[arg-type]
        "on_progress",
    ),
    (
        "launch-many-timeout",
        lambda c: c.instances.launch_many(1, timeout="5", **LAUNCH_MANY),  # type: ignore[arg-type]
        "timeout",
    ),
    (
        "launch-many-progress",
        lambda c: c.instances.launch_many(1, on_progress=[1], **LAUNCH_MANY),  # type: ignore[arg-type]
        "on_progress",
    ),
    (
        "launch-many-no-type",
        lambda c: c.instances.launch_many(1, ssh_key_names=["k"]),
        "instance_type_name",
    ),
    (
        "launch-many-regions",
        lambda c: c.instances.launch_many(1, region_names=True, **LAUNCH_MANY),  # type: ignore[arg-type]
        "region_names",
    ),
    # Suffixed per slot, a 5 would pass as the string "5-1".
    (
        "launch-many-hostname",
        lambda c: c.instances.launch_many(2, **{**LAUNCH_MANY, "hostname": 5}),  # type: ignore[typeddict-item]
        "hostname",
    ),
    (
        "launch-many-name-prefix",
        lambda c: c.instances.launch_many(2, name_prefix=5, **LAUNCH_MANY),  # type: ignore[arg-type]
        "name_prefix",
    ),
    (
        "launch-file-system-names",
        lambda c: c.instances.launch(**LAUNCH, file_system_names=True),  # type: ignore[typeddict-item]
        "file_system_names",
    ),
    ("launch-tags", lambda c: c.instances.launch(**LAUNCH, tags=True), "tags"),  # type: ignore[typeddict-item]
    (
        "launch-mounts",
        lambda c: c.instances.launch(**LAUNCH, file_system_mounts=5),  # type: ignore[typeddict-item]
        "file_system_mounts",
    ),
    (
        "launch-rulesets",
        lambda c: c.instances.launch(**LAUNCH, firewall_rulesets=5),  # type: ignore[typeddict-item]
        "firewall_rulesets",
    ),
    ("find-regions", lambda c: c.instance_types.find(regions=True), "regions"),  # type: ignore[arg-type]
    ("tickets-list-status", lambda c: _first(c.tickets.list(status=1)), "status"),  # type: ignore[arg-type]
    ("tickets-page-type", lambda c: c.tickets.list_page(type=1), "type"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(
    ("call", "field"), [pytest.param(call, field, id=label) for label, call, field in FOUND]
)
async def test_hostile_arguments_are_refused_before_sending(
    offline: AsyncLambdaCloud, call: Call, field: str
) -> None:
    # offline points at a closed port: a request sent first would raise APIConnectionError.
    with pytest.raises(ValidationError) as info:
        await call(offline)
    assert info.value.field == field


def test_the_sync_facade_refuses_a_callback_that_is_not_one(closed_url: str) -> None:
    # The facade relays callbacks to the calling thread: wrapping [1] made it look callable.
    with (
        LambdaCloud(
            api_key="secret_offline", base_url=closed_url, max_retries=0, rate_limits=None
        ) as client,
        pytest.raises(ValidationError) as info,
    ):
        client.instances.wait_for(["i1"], timeout=0.01, on_progress=[1])  # type: ignore[arg-type]
    assert info.value.field == "on_progress"
