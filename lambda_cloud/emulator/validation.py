"""Request-body validation against the spec's schemas.

Every failure is a 400 ``global/invalid-parameters`` whose message starts with the offending
field's path (``tags[1].key: ...``), so a client can tell which field was refused.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection
from typing import Any

import attrs

from .errors import ApiError, invalid

__all__ = [
    "LaunchSpec",
    "USER_DATA_MAX_BYTES",
    "firewall_rules",
    "instance_ids",
    "launch_spec",
    "obj",
    "optional_string",
    "string",
]

# The spec's "1 MB", read as 10**6 UTF-8 bytes (the SDK checks the same number).
USER_DATA_MAX_BYTES = 1_000_000

HOSTNAME = re.compile(r"^[a-z0-9][0-9a-z-]{0,62}$")
TAG_KEY = re.compile(r"^[a-z][a-z0-9-:]+$")
MOUNT_POINT = re.compile(r"^(/home|/lambda/nfs|/data)[//a-zA-Z0-9-]*$")
FILESYSTEM_NAME = re.compile(r"^[a-zA-Z]+[0-9a-zA-Z-]*$")

_LAUNCH_FIELDS = frozenset(
    {
        "region_name",
        "instance_type_name",
        "ssh_key_names",
        "file_system_names",
        "file_system_mounts",
        "hostname",
        "name",
        "image",
        "user_data",
        "tags",
        "firewall_rulesets",
        "quantity",
    }
)


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def obj(
    value: Any, path: str, *, required: Collection[str] = (), optional: Collection[str] = ()
) -> dict[str, Any]:
    """``value`` as an object holding all of ``required``, as the API's pydantic models read it:
    unknown fields are dropped and an optional field sent as ``null`` counts as absent."""
    if not isinstance(value, dict):
        raise invalid(f"{path or 'body'}: must be a JSON object")
    for key in required:
        if key not in value:
            raise invalid(f"{_join(path, key)}: field required")
    kept = {key: value[key] for key in required}
    kept.update((key, value[key]) for key in optional if value.get(key) is not None)
    return kept


def string(
    value: Any,
    path: str,
    *,
    min_length: int = 0,
    max_length: int | None = None,
    pattern: re.Pattern[str] | None = None,
) -> str:
    """``value`` as a string within the given limits."""
    if not isinstance(value, str):
        raise invalid(f"{path}: must be a string")
    if len(value) < min_length:
        raise invalid(f"{path}: must be at least {min_length} characters long")
    if max_length is not None and len(value) > max_length:
        raise invalid(f"{path}: must be at most {max_length} characters long")
    if pattern is not None and not pattern.match(value):
        raise invalid(f"{path}: must match the pattern {pattern.pattern}")
    return value


def optional_string(body: dict[str, Any], key: str, path: str = "", **limits: Any) -> str | None:
    """``body[key]`` checked as a string, or None when the key is absent."""
    if key not in body:
        return None
    return string(body[key], _join(path, key), **limits)


def array(value: Any, path: str, *, min_items: int = 0) -> list[Any]:
    """``value`` as a JSON array of at least ``min_items`` items."""
    if not isinstance(value, list):
        raise invalid(f"{path}: must be an array")
    if len(value) < min_items:
        raise invalid(f"{path}: must contain at least {min_items} item(s)")
    return value


def string_array(value: Any, path: str, *, min_items: int = 0) -> list[str]:
    """``value`` as an array of strings."""
    items = array(value, path, min_items=min_items)
    return [string(item, _join(path, i)) for i, item in enumerate(items)]


def integer(value: Any, path: str) -> int:
    # bool is an int subclass in Python, but not a JSON integer.
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(f"{path}: must be an integer")
    return value


def instance_ids(body: Any) -> list[str]:
    """The ``{instance_ids: [...]}`` body of restart and terminate, duplicates dropped."""
    body = obj(body, "", required=("instance_ids",))
    ids = string_array(body["instance_ids"], "instance_ids", min_items=1)
    return list(dict.fromkeys(ids))


@attrs.frozen(kw_only=True)
class LaunchSpec:
    """A launch request that passed validation."""

    region_name: str
    instance_type_name: str
    ssh_key_name: str
    file_system_names: list[str]
    file_system_mounts: list[tuple[str, str]]  # (file_system_id, mount_point)
    hostname: str | None
    name: str | None
    image_id: str | None
    image_family: str | None
    user_data: str | None
    tags: list[dict[str, str]]
    firewall_ruleset_ids: list[str]


def launch_spec(body: Any) -> LaunchSpec:
    """Validate an InstanceLaunchRequest."""
    body = obj(
        body,
        "",
        required=("region_name", "instance_type_name", "ssh_key_names"),
        optional=_LAUNCH_FIELDS,
    )
    if "quantity" in body:
        quantity = integer(body["quantity"], "quantity")
        if quantity > 1:
            raise invalid("quantity: Input should be less than or equal to 1")
        if quantity < 1:
            raise invalid("quantity: Input should be greater than or equal to 1")
    region = string(body["region_name"], "region_name", min_length=1)
    type_name = string(body["instance_type_name"], "instance_type_name", min_length=1)
    keys = string_array(body["ssh_key_names"], "ssh_key_names")
    if len(keys) != 1:
        raise invalid(
            f"ssh_key_names: exactly one SSH key name must be given, got {len(keys)}",
            "Pass a list holding the name of one SSH key.",
        )
    fs_names = string_array(body.get("file_system_names", []), "file_system_names")
    mounts: list[tuple[str, str]] = []
    for i, item in enumerate(array(body.get("file_system_mounts", []), "file_system_mounts")):
        path = f"file_system_mounts[{i}]"
        entry = obj(item, path, required=("mount_point", "file_system_id"))
        mount_point = string(
            entry["mount_point"],
            f"{path}.mount_point",
            min_length=1,
            max_length=256,
            pattern=MOUNT_POINT,
        )
        fs_id = string(entry["file_system_id"], f"{path}.file_system_id", min_length=1)
        mounts.append((fs_id, mount_point))
    points = [point for _, point in mounts]
    if len(set(points)) != len(points):
        raise invalid("file_system_mounts: two file systems cannot share a mount point")
    hostname = optional_string(body, "hostname", min_length=1, max_length=63, pattern=HOSTNAME)
    name = optional_string(body, "name", max_length=64)
    image_id = image_family = None
    if "image" in body:
        image = body["image"]
        if not isinstance(image, dict) or len(image) != 1 or not ({"id", "family"} & set(image)):
            raise invalid('image: must be either {"id": ...} or {"family": ...}')
        image_id = optional_string(image, "id", "image", min_length=1)
        image_family = optional_string(image, "family", "image", min_length=1)
    user_data = optional_string(body, "user_data")
    if user_data is not None and len(user_data.encode()) > USER_DATA_MAX_BYTES:
        raise invalid(f"user_data: must be at most {USER_DATA_MAX_BYTES} bytes (UTF-8)")
    tags: list[dict[str, str]] = []
    for i, item in enumerate(array(body.get("tags", []), "tags")):
        path = f"tags[{i}]"
        entry = obj(item, path, required=("key", "value"))
        key = string(entry["key"], f"{path}.key", max_length=55, pattern=TAG_KEY)
        value = string(entry["value"], f"{path}.value", max_length=128)
        if any(tag["key"] == key for tag in tags):
            raise invalid(f"{path}.key: duplicate tag key {key!r}")
        tags.append({"key": key, "value": value})
    rulesets: list[str] = []
    for i, item in enumerate(array(body.get("firewall_rulesets", []), "firewall_rulesets")):
        entry = obj(item, f"firewall_rulesets[{i}]", required=("id",))
        rulesets.append(string(entry["id"], f"firewall_rulesets[{i}].id", min_length=1))
    return LaunchSpec(
        region_name=region,
        instance_type_name=type_name,
        ssh_key_name=keys[0],
        file_system_names=list(dict.fromkeys(fs_names)),
        file_system_mounts=mounts,
        hostname=hostname,
        name=name,
        image_id=image_id,
        image_family=image_family,
        user_data=user_data,
        tags=tags,
        firewall_ruleset_ids=list(dict.fromkeys(rulesets)),
    )


def firewall_rules(value: Any, path: str) -> list[dict[str, Any]]:
    """A list of FirewallRule objects, echoed back as given once valid."""
    rules: list[dict[str, Any]] = []
    for i, item in enumerate(array(value, path)):
        where = f"{path}[{i}]"
        rule = obj(
            item,
            where,
            required=("protocol", "source_network", "description"),
            optional=("port_range",),
        )
        protocol = rule["protocol"]
        if protocol not in ("tcp", "udp", "icmp", "all"):
            raise invalid(f"{where}.protocol: must be one of tcp, udp, icmp, all")
        out: dict[str, Any] = {"protocol": protocol}
        if protocol == "icmp":
            if "port_range" in rule:
                raise invalid(f"{where}.port_range: not allowed for the icmp protocol")
        else:
            if "port_range" not in rule:
                raise invalid(f"{where}.port_range: required for the {protocol} protocol")
            ports = array(rule["port_range"], f"{where}.port_range")
            if len(ports) != 2:
                raise invalid(f"{where}.port_range: must be exactly [min, max]")
            low, high = (integer(p, f"{where}.port_range[{j}]") for j, p in enumerate(ports))
            for j, port in enumerate((low, high)):
                if not 1 <= port <= 65535:
                    raise invalid(f"{where}.port_range[{j}]: must be between 1 and 65535")
            if low > high:
                raise invalid(f"{where}.port_range: min must not be greater than max")
            out["port_range"] = [low, high]
        network = string(rule["source_network"], f"{where}.source_network", min_length=1)
        try:
            ipaddress.IPv4Network(network, strict=True)
        except ValueError:
            raise invalid(
                f"{where}.source_network: must be an IPv4 address or CIDR network",
                "Use CIDR notation such as 203.0.113.0/24, or 0.0.0.0/0 for any address.",
            ) from None
        out["source_network"] = network
        out["description"] = string(rule["description"], f"{where}.description", max_length=128)
        rules.append(out)
    return rules


def parse_error(message: str) -> ApiError:
    """The error for a body that is not a JSON object at all."""
    return invalid(message, "Send a JSON object with Content-Type: application/json.")
