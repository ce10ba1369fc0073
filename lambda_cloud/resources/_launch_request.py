"""Launch requests: a launch's arguments checked against the spec and built into its body, and
the spend guard's reservation a guarded launch opens before it sends anything."""

from __future__ import annotations

import builtins
import datetime
from collections.abc import Mapping, Sequence
from typing import TypeVar

from .._api import ClientAPI
from .._budget import LiveCost, Reservation
from .._compat import Unpack
from .._config import check_spend_ceiling
from .._options import RequestOptions
from .._validation import (
    check_hostname,
    check_length,
    check_list,
    check_mount_point,
    check_single_ssh_key,
    check_tag,
    check_user_data,
)
from ..bulk.options import EXPIRES_AT_TAG, OWNER_TAG
from ..bulk.slots import token
from ..errors import ValidationError
from ..lifecycle.expiry import ExpiresIn, lifecycle_tags
from ..types.instance_types import InstanceTypesItem
from ..types.instances import (
    FirewallRulesetEntry,
    ImageSpecification,
    ImageSpecificationFamily,
    ImageSpecificationID,
    LaunchInstanceRequest,
    RequestedFilesystemMountEntry,
    RequestedTagEntry,
)
from ..types.launch import (
    FileSystemMountParam,
    FirewallRulesetParam,
    ImageParam,
    LaunchOptions,
    TagsParam,
)
from ._instance_requests import InstanceRequests
from ._spend import dearest, live_costs
from .instance_types import AsyncInstanceTypes

__all__ = ["build_launch_request", "reserve", "sdk_tags", "type_names"]

_LIFECYCLE_TAGS = frozenset({EXPIRES_AT_TAG, OWNER_TAG})


def sdk_tags(
    api: ClientAPI,
    user_tags: Sequence[RequestedTagEntry] | None,
    expires_in: ExpiresIn | None,
    expires_at: datetime.datetime | None,
) -> tuple[RequestedTagEntry, ...]:
    """The owner and expiry tags a launch adds to ``user_tags`` (``ValidationError`` if those
    set either key themselves: the SDK alone writes them)."""
    for tag in user_tags or ():
        if tag.key in _LIFECYCLE_TAGS:
            raise ValidationError("tags", f"the tag key {tag.key!r} is reserved")
    return lifecycle_tags(
        owner=api.owner,
        expires_in=expires_in,
        expires_at=expires_at,
        default_expires_in=api.default_expires_in,
    )


async def reserve(
    api: ClientAPI,
    names: builtins.list[str],
    count: int,
    max_hourly_cost_cents: int | None,
    options: RequestOptions,
    *,
    run_id: str | None = None,
) -> tuple[Reservation | None, dict[str, InstanceTypesItem] | None]:
    """Reserve ``count`` launches of the dearest of ``names`` (run ``run_id``'s slots) from
    the client's spend budget, or raise ``SpendLimitExceededError`` (``InvalidPriceError``);
    the reservation and the instance-types listing that priced it (``None`` and ``None``
    without a ceiling)."""
    ceiling = (
        api.max_hourly_cost_cents
        if max_hourly_cost_cents is None
        else check_spend_ceiling(max_hourly_cost_cents)
    )
    if ceiling is None:
        return None, None
    types = await AsyncInstanceTypes(api).list(**options)
    name, price = dearest(types, names)

    async def live() -> builtins.list[LiveCost]:
        return live_costs(await InstanceRequests(api).list(options=options))

    # The run's instances, listed while it runs (or adopted by a rerun), are in its hold.
    tokens = frozenset(() if run_id is None else (token(run_id, i) for i in range(count)))
    reservation = await api.budget.reserve(
        ceiling=ceiling,
        count=count,
        instance_type_name=name,
        price=price,
        live=live,
        tokens=tokens,
    )
    return reservation, types


def build_launch_request(
    *, region_name: str, name: str | None = None, **options: Unpack[LaunchOptions]
) -> LaunchInstanceRequest:
    """Validate launch arguments against the spec and build the request body."""
    _check_option_names(options)
    mounts = options.get("file_system_mounts")
    image = options.get("image")
    tags = options.get("tags")
    rulesets = options.get("firewall_rulesets")
    names = options.get("file_system_names")
    hostname = options.get("hostname")
    user_data = options.get("user_data")
    return LaunchInstanceRequest(
        region_name=check_length(region_name, "region_name", min_len=1, max_len=64),
        instance_type_name=check_length(
            options["instance_type_name"], "instance_type_name", min_len=1, max_len=128
        ),
        ssh_key_names=check_single_ssh_key(options["ssh_key_names"]),
        file_system_names=None if names is None else _names(names, "file_system_names"),
        file_system_mounts=None if mounts is None else _mounts(mounts),
        hostname=None if hostname is None else check_hostname(hostname),
        name=None if name is None else check_length(name, "name", max_len=64),
        image=None if image is None else _image(image),
        user_data=None if user_data is None else check_user_data(user_data),
        tags=None if tags is None else _tags(tags),
        firewall_rulesets=None if rulesets is None else _rulesets(rulesets),
    )


_OPTION_NAMES = frozenset(LaunchOptions.__annotations__)
_REQUIRED_OPTIONS = ("instance_type_name", "ssh_key_names")


def _check_option_names(options: Mapping[str, object]) -> None:
    # ``**options`` accepts any keyword at run time; refuse what a signature would have.
    unknown = sorted(set(options) - _OPTION_NAMES)
    if unknown:
        raise TypeError(f"unexpected launch option(s): {', '.join(unknown)}")
    missing = [k for k in _REQUIRED_OPTIONS if k not in options]
    if missing:
        raise TypeError(f"missing required launch option(s): {', '.join(missing)}")


def type_names(single: str | None, several: builtins.list[str] | None) -> builtins.list[str]:
    """``launch_many``'s instance types: ``instance_type_name`` or ``instance_type_names``."""
    if several is None:
        if single is None:
            raise ValidationError(
                "instance_type_name", "required (or instance_type_names, in order of preference)"
            )
        return [single]
    if single is not None:
        raise ValidationError(
            "instance_type_names", "give instance_type_name or instance_type_names, not both"
        )
    return several  # checked by LaunchRun


def _names(values: Sequence[str], field: str) -> builtins.list[str]:
    return [
        check_length(v, f"{field}[{i}]", min_len=1, max_len=256)
        for i, v in enumerate(check_list(values, field))
    ]


def _entry(value: object, cls: type[_M], field: str, keys: tuple[str, ...]) -> _M:
    """``value`` as an instance of ``cls``: already one, or a dict with exactly ``keys``."""
    if isinstance(value, cls):
        return value
    if isinstance(value, Mapping) and set(value) == set(keys):
        return cls(**{k: value[k] for k in keys})
    shape = "{" + ", ".join(f'"{k}": ...' for k in keys) + "}"
    raise ValidationError(field, f"expected a {cls.__name__} or a dict {shape}, got {value!r}")


def _mounts(
    values: Sequence[RequestedFilesystemMountEntry | FileSystemMountParam],
) -> builtins.list[RequestedFilesystemMountEntry]:
    result = []
    for i, value in enumerate(check_list(values, "file_system_mounts")):
        field = f"file_system_mounts[{i}]"
        entry = _entry(value, RequestedFilesystemMountEntry, field, _MOUNT_KEYS)
        check_mount_point(entry.mount_point, f"{field}.mount_point")
        check_length(entry.file_system_id, f"{field}.file_system_id", min_len=1, max_len=256)
        result.append(entry)
    return result


def _image(image: ImageParam) -> ImageSpecification:
    if isinstance(image, Mapping) and "family" in image:
        image = _entry(image, ImageSpecificationFamily, "image", ("family",))
    elif isinstance(image, Mapping):
        image = _entry(image, ImageSpecificationID, "image", ("id",))
    if isinstance(image, ImageSpecificationID):
        check_length(image.id, "image.id", min_len=1, max_len=256)
    elif isinstance(image, ImageSpecificationFamily):
        check_length(image.family, "image.family", min_len=1, max_len=256)
    else:
        raise ValidationError(
            "image",
            "expected ImageSpecificationID(id=...), ImageSpecificationFamily(family=...), "
            '{"id": ...} or {"family": ...}',
        )
    return image


def _tags(tags: TagsParam) -> builtins.list[RequestedTagEntry]:
    if isinstance(tags, Mapping):
        entries = [RequestedTagEntry(key=k, value=v) for k, v in tags.items()]
    else:
        entries = [
            _entry(t, RequestedTagEntry, f"tags[{i}]", ("key", "value"))
            for i, t in enumerate(check_list(tags, "tags"))
        ]
    for i, entry in enumerate(entries):
        check_tag(entry.key, entry.value, f"tags[{i}]")
    return entries


def _rulesets(
    values: Sequence[str | FirewallRulesetEntry | FirewallRulesetParam],
) -> builtins.list[FirewallRulesetEntry]:
    result = []
    for i, value in enumerate(check_list(values, "firewall_rulesets")):
        field = f"firewall_rulesets[{i}]"
        entry = (
            FirewallRulesetEntry(id=value)
            if isinstance(value, str)
            else _entry(value, FirewallRulesetEntry, field, ("id",))
        )
        check_length(entry.id, field, min_len=1, max_len=256)
        result.append(entry)
    return result


_M = TypeVar("_M")
_MOUNT_KEYS = ("mount_point", "file_system_id")
