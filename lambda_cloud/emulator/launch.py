"""Launching: ``POST /instance-operations/launch``. The body's validation, every check the API
runs before an instance takes a capacity slot (in the API's order: 403, the lookups' 404s, then
the 400s), the new instance, and the log of launch attempts ``emu.launch_attempts()`` reads."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import attrs

from . import catalog
from .catalog import INSTANCE_TYPES, REGIONS
from .errors import ApiError, invalid
from .filesystems import Filesystem, default_mount
from .firewall import Ruleset, find_ruleset
from .instances import Instance
from .model import Account
from .routing import Call, Route
from .validation import (
    USER_DATA_MAX_BYTES,
    array,
    integer,
    obj,
    optional_string,
    string,
    string_array,
)

if TYPE_CHECKING:
    from .audit import AuditLog
    from .world import World

__all__ = ["LaunchAttempt", "LaunchSpec", "Launcher", "launch_spec"]

HOSTNAME = re.compile(r"^[a-z0-9][0-9a-z-]{0,62}$")
TAG_KEY = re.compile(r"^[a-z][a-z0-9-:]+$")
MOUNT_POINT = re.compile(r"^(/home|/lambda/nfs|/data)[//a-zA-Z0-9-]*$")

_PUBLIC_PREFIXES = ("104.171", "129.146", "150.136", "192.222", "209.20")
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

# -- the request body --------------------------------------------------------------------------


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


def launch_spec(raw: Any) -> LaunchSpec:
    """Validate an InstanceLaunchRequest."""
    body = obj(
        raw,
        "",
        required=("region_name", "instance_type_name", "ssh_key_names"),
        optional=_LAUNCH_FIELDS,
    )
    _check_quantity(body)
    region = string(body["region_name"], "region_name", min_length=1)
    type_name = string(body["instance_type_name"], "instance_type_name", min_length=1)
    ssh_key_name = _ssh_key_name(body)
    fs_names = string_array(body.get("file_system_names", []), "file_system_names")
    mounts = _mounts(body)
    hostname = optional_string(body, "hostname", min_length=1, max_length=63, pattern=HOSTNAME)
    name = optional_string(body, "name", max_length=64)
    image_id, image_family = _image(body)
    return LaunchSpec(
        region_name=region,
        instance_type_name=type_name,
        ssh_key_name=ssh_key_name,
        file_system_names=list(dict.fromkeys(fs_names)),
        file_system_mounts=mounts,
        hostname=hostname,
        name=name,
        image_id=image_id,
        image_family=image_family,
        user_data=_user_data(body),
        tags=_tags(body),
        firewall_ruleset_ids=_ruleset_ids(body),
    )


def _check_quantity(body: dict[str, Any]) -> None:
    if "quantity" in body:
        quantity = integer(body["quantity"], "quantity")
        if quantity > 1:
            raise invalid("quantity: Input should be less than or equal to 1")
        if quantity < 1:
            raise invalid("quantity: Input should be greater than or equal to 1")


def _ssh_key_name(body: dict[str, Any]) -> str:
    keys = string_array(body["ssh_key_names"], "ssh_key_names")
    if len(keys) != 1:
        raise invalid(
            f"ssh_key_names: exactly one SSH key name must be given, got {len(keys)}",
            "Pass a list holding the name of one SSH key.",
        )
    return keys[0]


def _mounts(body: dict[str, Any]) -> list[tuple[str, str]]:
    """``file_system_mounts`` as ``(file_system_id, mount_point)`` pairs."""
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
    return mounts


def _image(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """``(image_id, image_family)``: at most one of them is set."""
    if "image" not in body:
        return None, None
    image = body["image"]
    if not isinstance(image, dict) or len(image) != 1 or not ({"id", "family"} & set(image)):
        raise invalid('image: must be either {"id": ...} or {"family": ...}')
    image_id = optional_string(image, "id", "image", min_length=1)
    return image_id, optional_string(image, "family", "image", min_length=1)


def _user_data(body: dict[str, Any]) -> str | None:
    user_data = optional_string(body, "user_data")
    if user_data is not None and len(user_data.encode()) > USER_DATA_MAX_BYTES:
        raise invalid(f"user_data: must be at most {USER_DATA_MAX_BYTES} bytes (UTF-8)")
    return user_data


def _tags(body: dict[str, Any]) -> list[dict[str, str]]:
    tags: list[dict[str, str]] = []
    for i, item in enumerate(array(body.get("tags", []), "tags")):
        path = f"tags[{i}]"
        entry = obj(item, path, required=("key", "value"))
        key = string(entry["key"], f"{path}.key", max_length=55, pattern=TAG_KEY)
        value = string(entry["value"], f"{path}.value", max_length=128)
        if any(tag["key"] == key for tag in tags):
            raise invalid(f"{path}.key: duplicate tag key {key!r}")
        tags.append({"key": key, "value": value})
    return tags


def _ruleset_ids(body: dict[str, Any]) -> list[str]:
    rulesets: list[str] = []
    for i, item in enumerate(array(body.get("firewall_rulesets", []), "firewall_rulesets")):
        entry = obj(item, f"firewall_rulesets[{i}]", required=("id",))
        rulesets.append(string(entry["id"], f"firewall_rulesets[{i}].id", min_length=1))
    return list(dict.fromkeys(rulesets))


# -- the lookups (404) ---------------------------------------------------------------------------


def _not_found(what: str, suggestion: str) -> ApiError:
    return ApiError("global/object-does-not-exist", f"{what} does not exist.", suggestion)


def _instance_type(spec: LaunchSpec) -> catalog.InstanceType:
    itype = INSTANCE_TYPES.get(spec.instance_type_name)
    if itype is None:
        raise _not_found(
            f"Instance type {spec.instance_type_name!r}",
            "Use GET /instance-types to see the instance types on offer.",
        )
    return itype


def _check_region_and_key(account: Account, spec: LaunchSpec) -> None:
    if spec.region_name not in REGIONS:
        raise _not_found(f"Region {spec.region_name!r}", "Use GET /regions to see the regions.")
    if not any(key.name == spec.ssh_key_name for key in account.ssh_keys.values()):
        raise _not_found(
            f"SSH key {spec.ssh_key_name!r}",
            "Add the key with POST /ssh-keys, or check its name with GET /ssh-keys.",
        )


def _filesystems(account: Account, spec: LaunchSpec) -> list[tuple[Filesystem, str]]:
    """The file systems to mount, each with its mount point (overrides win)."""
    by_name = {fs.name: fs for fs in account.filesystems.values()}
    chosen: dict[str, Filesystem] = {}
    for name in spec.file_system_names:
        fs = by_name.get(name)
        if fs is None:
            raise _not_found(f"File system {name!r}", "Check the name with GET /file-systems.")
        chosen[fs.id] = fs
    overrides: dict[str, str] = {}
    for fs_id, point in spec.file_system_mounts:
        fs = account.filesystems.get(fs_id)
        if fs is None:
            raise _not_found(
                f"File system with ID {fs_id!r}", "Check the ID with GET /file-systems."
            )
        chosen.setdefault(fs.id, fs)
        overrides[fs.id] = point
    return [(fs, overrides.get(fs.id, default_mount(fs))) for fs in chosen.values()]


def _image_for(spec: LaunchSpec, architecture: str) -> catalog.Image:
    """The image to boot: the one with the given id (of any architecture; the caller
    checks it), or the family's build for ``architecture``."""
    region = spec.region_name
    suggestion = "Use GET /images to see the images in each region."
    if spec.image_id is not None:
        for image in catalog.images_in(region):
            if image.id == spec.image_id:
                return image
        raise _not_found(f"Image {spec.image_id!r} in region {region}", suggestion)
    family = spec.image_family or catalog.DEFAULT_IMAGE_FAMILY
    for image in catalog.images_in(region):
        if image.family == family and image.architecture == architecture:
            return image
    raise _not_found(f"An {architecture} image of family {family!r} in region {region}", suggestion)


# -- the checks on what was found (400) ----------------------------------------------------------


@attrs.frozen
class _Found:
    """What a launch's lookups found."""

    itype: catalog.InstanceType
    mounted: list[tuple[Filesystem, str]]
    image: catalog.Image
    rulesets: list[Ruleset]


def _check_regions(found: _Found, region: str) -> None:
    for fs, _ in found.mounted:
        if fs.region != region:
            raise ApiError(
                "instance-operations/launch/file-system-in-wrong-region",
                f"File system {fs.name!r} is in region {fs.region}, not {region}.",
                "Launch the instance in the file system's region, or use a file system "
                "in that region.",
            )
    image, itype = found.image, found.itype
    if image.architecture != itype.architecture:
        raise invalid(
            f"image.id: image {image.name!r} is built for {image.architecture}, but "
            f"{itype.name} needs {itype.architecture}",
            "Use GET /images to see the images in each region.",
        )
    for i, ruleset in enumerate(found.rulesets):
        if ruleset.region != region:
            raise invalid(
                f"firewall_rulesets[{i}].id: ruleset {ruleset.id!r} is in region "
                f"{ruleset.region}, not {region}",
                "Use firewall rulesets from the region you launch in.",
            )


def _check_quota(account: Account, now: float) -> None:
    if account.instance_quota is not None:
        live = sum(1 for i in account.instances.values() if i.holds_capacity(now))
        if live >= account.instance_quota:
            raise ApiError("global/quota-exceeded")


# -- the operation -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class LaunchAttempt:
    """One launch request: where it went, whether the account's latest ``GET /instance-types``
    had shown capacity there (``listed``), and its outcome (``"ok"`` or the error code)."""

    instance_type: str
    region: str
    listed: bool
    outcome: str


class Launcher:
    """``POST /instance-operations/launch``: one instance per call."""

    def __init__(self, world: World, audit: AuditLog, prices: catalog.Catalog) -> None:
        self.world = world
        self.audit = audit
        self.prices = prices
        self._ips: set[str] = set()  # public IPs handed out, never twice

    def routes(self) -> list[Route]:
        return [Route("POST", "/instance-operations/launch", self._launch_route, launch=True)]

    def launch(self, account: Account, spec: LaunchSpec) -> str:
        """Launch one instance, recording the attempt whatever its outcome; its id."""
        with self.world.lock:
            slot = (spec.instance_type_name, spec.region_name)
            listed = slot in account.listed_capacity
            outcome = "ok"
            try:
                return self._launch(account, spec)
            except ApiError as exc:
                outcome = exc.code
                raise
            finally:
                attempt = LaunchAttempt(
                    instance_type=slot[0], region=slot[1], listed=listed, outcome=outcome
                )
                account.launch_attempts.append(attempt)

    def _launch(self, account: Account, spec: LaunchSpec) -> str:
        with self.world.lock:
            now = self.world.settle()
            if not account.billing_address_valid:
                raise ApiError("global/invalid-address")
            found = self._look_up(account, spec)  # every 404 before any 400
            _check_regions(found, spec.region_name)
            _check_quota(account, now)
            if not self.world.take(found.itype.name, spec.region_name):
                raise ApiError("instance-operations/launch/insufficient-capacity")
            instance = self._new_instance(spec, found, now)
            account.instances[instance.id] = instance
            self.audit.record(
                account,
                "instance",
                "launched",
                [instance.id],
                instance_type=instance.instance_type,
                region=instance.region,
            )
            return instance.id

    def _look_up(self, account: Account, spec: LaunchSpec) -> _Found:
        itype = _instance_type(spec)
        _check_region_and_key(account, spec)
        mounted = _filesystems(account, spec)
        image = _image_for(spec, itype.architecture)
        rulesets = [find_ruleset(account, i) for i in spec.firewall_ruleset_ids]
        return _Found(itype, mounted, image, rulesets)

    def _new_instance(self, spec: LaunchSpec, found: _Found, now: float) -> Instance:
        ip, private_ip = self._new_ip()
        mounted = found.mounted
        return Instance(
            id=self.world.new_id(),
            name=spec.name or None,
            instance_type=found.itype.name,
            price_cents_per_hour=self.prices.price(found.itype.name),
            region=spec.region_name,
            ssh_key_names=[spec.ssh_key_name],
            file_system_ids=[fs.id for fs, _ in mounted],
            file_system_names=[fs.name for fs, _ in mounted],
            file_system_mounts=[
                {"mount_point": point, "file_system_id": fs.id} for fs, point in mounted
            ],
            tags=[dict(tag) for tag in spec.tags],
            firewall_ruleset_ids=list(spec.firewall_ruleset_ids),
            image_id=found.image.id,
            user_data=spec.user_data,
            ip=ip,
            private_ip=private_ip,
            hostname=spec.hostname or ip.replace(".", "-"),
            jupyter_token=self.world.new_id(),
            first_ready_at=now + self.world.boot_delay,
            ready_at=now + self.world.boot_delay,
        )

    def _new_ip(self) -> tuple[str, str]:
        """A public IP no instance had before, and a private one."""
        rng = self.world.rng
        while True:
            prefix = rng.choice(_PUBLIC_PREFIXES)
            ip = f"{prefix}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            if ip not in self._ips:
                self._ips.add(ip)
                break
        a, b, c = rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254)
        return ip, f"10.{a}.{b}.{c}"

    def _launch_route(self, call: Call) -> dict[str, Any]:
        spec = launch_spec(call.body())
        return {"instance_ids": [self.launch(call.account, spec)]}
