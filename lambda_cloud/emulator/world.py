"""The emulated cloud's state: accounts, capacity, lifecycles and the audit log.

Nothing here runs on a timer. Every operation first *settles* the world against the clock
(returning capacity of instances that reached ``terminated``, dropping those past retention), so
a :class:`~lambda_cloud.emulator.ManualClock` makes every run deterministic. One re-entrant lock
guards everything, because tests poke at the world from their own thread while the server runs
on another.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import heapq
import math
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from . import catalog
from .catalog import INSTANCE_TYPES, REGIONS, region_json
from .errors import ApiError, invalid
from .keys import generate_key_pair, is_public_key
from .model import Account, AuditEvent, Filesystem, Instance, LaunchAttempt, Ruleset, SshKey
from .validation import LaunchSpec

__all__ = ["CATALOG_VERSION", "World"]

CATALOG_VERSION = "2025-09-06"

_RULESET_NOT_FOUND = "global/object-does-not-exist"
_PUBLIC_PREFIXES = ("104.171", "129.146", "150.136", "192.222", "209.20")


def _not_found(what: str, suggestion: str) -> ApiError:
    return ApiError("global/object-does-not-exist", f"{what} does not exist.", suggestion)


def _ruleset_not_found() -> ApiError:
    return ApiError(
        _RULESET_NOT_FOUND,
        "Firewall ruleset does not exist or you do not have permission to access it.",
        "Check your firewall ruleset ID and try again.",
    )


def _instance_not_found(instance_id: str) -> ApiError:
    return ApiError(
        "global/object-does-not-exist",
        "Specified instance does not exist.",
        f"Check the instance ID {instance_id!r}; terminated instances disappear after a while.",
    )


def parse_time(value: str, name: str) -> dt.datetime:
    """An ISO 8601 query parameter as an aware UTC datetime (naive means UTC)."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.timezone.utc)
        # A date at the edge of the calendar can overflow on the way to UTC.
        return parsed.astimezone(dt.timezone.utc)
    except (ValueError, OverflowError):
        raise invalid(f"{name}: must be an ISO 8601 date-time, got {value!r}") from None


class World:
    """All accounts and the capacity they share. Durations are already scaled."""

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        rng: random.Random,
        boot_delay: float,
        terminate_delay: float,
        restart_delay: float,
        terminated_retention: float,
        capacity: Mapping[tuple[str, str], int],
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.rng = rng
        self.boot_delay = boot_delay
        self.terminate_delay = terminate_delay
        self.restart_delay = restart_delay
        self.terminated_retention = terminated_retention
        self._due = math.inf  # when settle next has something to do
        self.audit_page_size = 50
        self._capacity: dict[tuple[str, str], int] = {}
        for (type_name, region), count in capacity.items():
            self._check_slot(type_name, region)
            if count < 0:
                raise ValueError("capacity cannot be negative")
            self._capacity[(type_name, region)] = count
        # Capacity changes due at a clock time, applied by ``settle`` in time order.
        self._scheduled: list[tuple[float, int, tuple[str, str], int]] = []
        self._schedule_seq = 0  # keeps entries due at the same time in the order given
        # Prices set by a test, served in place of the catalog's (any JSON value).
        self._prices: dict[str, object] = {}
        self._accounts: dict[str, Account] = {}
        self._ips: set[str] = set()
        self._event_seq = 0
        # Wall-clock timestamps follow the injected clock, so a manual clock moves them too.
        self._clock0 = clock()
        self._epoch0 = time.time()

    # -- helpers -----------------------------------------------------------------------------

    def random(self) -> float:
        with self.lock:
            return self.rng.random()

    def new_id(self) -> str:
        """A 32-character lowercase hex id."""
        with self.lock:
            return f"{self.rng.getrandbits(128):032x}"

    def wall(self, t: float) -> dt.datetime:
        seconds = self._epoch0 + (t - self._clock0)
        # Microsecond precision, so a timestamp read back from JSON compares equal.
        return dt.datetime.fromtimestamp(round(seconds, 6), tz=dt.timezone.utc)

    def iso(self, t: float) -> str:
        return self.wall(t).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def _check_slot(self, type_name: str, region: str) -> None:
        if type_name not in INSTANCE_TYPES:
            raise ValueError(f"unknown instance type {type_name!r}")
        if region not in REGIONS:
            raise ValueError(f"unknown region {region!r}")

    def _new_ip(self) -> tuple[str, str]:
        while True:
            prefix = self.rng.choice(_PUBLIC_PREFIXES)
            ip = f"{prefix}.{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}"
            if ip not in self._ips:
                self._ips.add(ip)
                break
        a, b, c = self.rng.randint(0, 255), self.rng.randint(0, 255), self.rng.randint(1, 254)
        return ip, f"10.{a}.{b}.{c}"

    def _all_instances(self) -> Iterator[Instance]:
        for account in self._accounts.values():
            yield from account.instances.values()

    def settle(self) -> float:
        """Apply whatever the clock says has happened; return the current time.

        Only an instance's end (``ended_at``: its capacity comes back) and the end of its
        retention change anything here, so the scan runs only once the earliest of those is due:
        every request settles, and a scan per request would make the emulator O(n) per call.
        """
        with self.lock:
            now = self.clock()
            while self._scheduled and self._scheduled[0][0] <= now:
                _, _, slot, count = heapq.heappop(self._scheduled)
                self._capacity[slot] = count
            if now < self._due:
                return now
            self._due = math.inf
            for account in self._accounts.values():
                for instance in list(account.instances.values()):
                    self._settle_one(account, instance, now)
            return now

    def _settle_one(self, account: Account, instance: Instance, now: float) -> None:
        ended = instance.ended_at
        if ended is None:
            return
        if not instance.capacity_released and not instance.holds_capacity(now):
            instance.capacity_released = True
            slot = (instance.instance_type, instance.region)
            self._capacity[slot] = self._capacity.get(slot, 0) + 1
        gone_at = ended + self.terminated_retention
        if now >= gone_at:
            del account.instances[instance.id]
            account.gone[instance.id] = instance
        else:
            self._expect(ended if not instance.capacity_released else gone_at)

    def _expect(self, at: float) -> None:
        """Something changes at ``at``: settle must scan once then."""
        self._due = min(self._due, at)

    # -- accounts ----------------------------------------------------------------------------

    def add_account(self, api_key: str | None = None) -> Account:
        with self.lock:
            if api_key is None:
                api_key = f"secret_emu_{self.new_id()}"
            if api_key in self._accounts:
                raise ValueError("an account with this API key already exists")
            user_id = self.new_id()
            account = Account(
                api_key=api_key,
                id=self.new_id(),
                user_id=user_id,
                api_key_id=self.new_id(),
                email=f"user-{user_id[:8]}@example.com",
                global_rules=[
                    {
                        "protocol": "tcp",
                        "port_range": [22, 22],
                        "source_network": "0.0.0.0/0",
                        "description": "Allow SSH from anywhere",
                    }
                ],
            )
            self._accounts[api_key] = account
            return account

    def account(self, api_key: str) -> Account | None:
        with self.lock:
            return self._accounts.get(api_key)

    # -- capacity ----------------------------------------------------------------------------

    def capacity(self, type_name: str, region: str) -> int:
        self._check_slot(type_name, region)
        with self.lock:
            self.settle()
            return self._capacity.get((type_name, region), 0)

    def set_capacity(self, type_name: str, region: str, count: int) -> None:
        self._check_slot(type_name, region)
        if count < 0:
            raise ValueError("capacity cannot be negative")
        with self.lock:
            self.settle()
            self._capacity[(type_name, region)] = count

    def schedule_capacity(self, changes: Iterable[tuple[float, str, str, int]]) -> None:
        """Set capacity ``(delay, type, region, count)`` once the clock has moved ``delay`` on
        from now (delays already scaled); later entries win a tie."""
        entries = list(changes)
        for delay, type_name, region, count in entries:
            self._check_slot(type_name, region)
            if count < 0 or not delay >= 0:
                raise ValueError("capacity and delays cannot be negative")
        with self.lock:
            now = self.settle()
            for delay, type_name, region, count in entries:
                self._schedule_seq += 1
                entry = (now + delay, self._schedule_seq, (type_name, region), count)
                heapq.heappush(self._scheduled, entry)

    def set_price(self, type_name: str, price: object) -> None:
        if type_name not in INSTANCE_TYPES:
            raise ValueError(f"unknown instance type {type_name!r}")
        with self.lock:
            self._prices[type_name] = price

    def price(self, type_name: str) -> object:
        """What ``type_name`` costs now, in US cents per hour."""
        with self.lock:
            return self._prices.get(type_name, INSTANCE_TYPES[type_name].price_cents_per_hour)

    def _type_json(self, itype: catalog.InstanceType) -> dict[str, Any]:
        shown = itype.to_json()
        shown["price_cents_per_hour"] = self.price(itype.name)
        return shown

    def instance_types(self, account: Account) -> dict[str, Any]:
        with self.lock:
            self.settle()
            account.listed_capacity = frozenset(k for k, n in self._capacity.items() if n > 0)
            return {
                name: {
                    "instance_type": self._type_json(itype),
                    "regions_with_capacity_available": [
                        region_json(region)
                        for region in REGIONS
                        if self._capacity.get((name, region), 0) > 0
                    ],
                }
                for name, itype in INSTANCE_TYPES.items()
            }

    # -- audit -------------------------------------------------------------------------------

    def record(
        self,
        account: Account,
        resource_name: str,
        action: str,
        resource_ids: list[str],
        **details: Any,
    ) -> None:
        now = self.clock()
        self._event_seq += 1
        lrns = [f"lrn:cloud:{resource_name}:{rid}" for rid in resource_ids]
        body = {
            "service_name": "cloud",
            "resource_name": resource_name,
            "action": action,
            "catalog_version": CATALOG_VERSION,
            "event_id": self.new_id(),
            "event_time": self.iso(now),
            "actor_lrn": f"lrn:cloud:identity:{account.user_id}",
            "resource_lrns": lrns,
            "resource_owner_lrn": account.lrn,
            "request_api_key_lrn": f"lrn:cloud:api_key:{account.api_key_id}",
            "additional_details": {f"{resource_name}_lrn": lrns[0], **details} if lrns else details,
        }
        account.events.append(AuditEvent(seq=self._event_seq, time=self.wall(now), body=body))

    def audit_events(
        self,
        account: Account,
        *,
        start: str | None,
        end: str | None,
        resource_type: str | None,
        page_token: str | None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of events, oldest first, and the token for the next page (or None)."""
        # An empty value is a value (and not a date-time), not an absent parameter.
        lower = parse_time(start, "start") if start is not None else None
        upper = parse_time(end, "end") if end is not None else None
        after = _decode_token(page_token) if page_token is not None else 0
        with self.lock:
            matching = [
                event
                for event in account.events
                if event.seq > after
                and (lower is None or event.time >= lower)
                and (upper is None or event.time <= upper)
                and (not resource_type or event.resource_type == resource_type)
            ]
            page = matching[: self.audit_page_size]
            token = _encode_token(page[-1].seq) if len(matching) > len(page) else None
            return [dict(event.body) for event in page], token

    # -- instances ---------------------------------------------------------------------------

    def list_instances(self, account: Account, cluster_id: str | None = None) -> list[Any]:
        with self.lock:
            now = self.settle()
            return [
                instance.to_json(now)
                for instance in account.instances.values()
                if not cluster_id or instance.cluster_id == cluster_id
            ]

    def rendered(self, account: Account, *, include_gone: bool) -> list[dict[str, Any]]:
        with self.lock:
            now = self.settle()
            shown = list(account.instances.values())
            if include_gone:
                shown = list(account.gone.values()) + shown
            return [instance.to_json(now) for instance in shown]

    def _visible(self, account: Account, instance_id: str) -> Instance:
        instance = account.instances.get(instance_id)
        if instance is None:
            raise _instance_not_found(instance_id)
        return instance

    def get_instance(self, account: Account, instance_id: str) -> dict[str, Any]:
        with self.lock:
            now = self.settle()
            return self._visible(account, instance_id).to_json(now)

    def rename_instance(
        self, account: Account, instance_id: str, name: str | None
    ) -> dict[str, Any]:
        with self.lock:
            now = self.settle()
            instance = self._visible(account, instance_id)
            if name is not None:
                instance.name = name or None
                self.record(account, "instance", "updated", [instance.id], name=name)
            return instance.to_json(now)

    def find_instance(self, instance_id: str) -> tuple[Account, Instance]:
        """The live instance with this id in any account (for test helpers)."""
        with self.lock:
            self.settle()
            for account in self._accounts.values():
                if instance_id in account.instances:
                    return account, account.instances[instance_id]
            raise KeyError(instance_id)

    def launch(self, account: Account, spec: LaunchSpec) -> str:
        with self.lock:
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
        with self.lock:
            now = self.settle()
            if not account.billing_address_valid:
                raise ApiError("global/invalid-address")
            itype = INSTANCE_TYPES.get(spec.instance_type_name)
            if itype is None:
                raise _not_found(
                    f"Instance type {spec.instance_type_name!r}",
                    "Use GET /instance-types to see the instance types on offer.",
                )
            region = spec.region_name
            if region not in REGIONS:
                raise _not_found(f"Region {region!r}", "Use GET /regions to see the regions.")
            if not any(key.name == spec.ssh_key_name for key in account.ssh_keys.values()):
                raise _not_found(
                    f"SSH key {spec.ssh_key_name!r}",
                    "Add the key with POST /ssh-keys, or check its name with GET /ssh-keys.",
                )
            # Every lookup (404) comes before the checks that need what it found (400).
            mounted = self._launch_filesystems(account, spec)
            image = self._launch_image(spec, itype.architecture)
            rulesets = [self._ruleset(account, i) for i in spec.firewall_ruleset_ids]
            for fs, _ in mounted:
                if fs.region != region:
                    raise ApiError(
                        "instance-operations/launch/file-system-in-wrong-region",
                        f"File system {fs.name!r} is in region {fs.region}, not {region}.",
                        "Launch the instance in the file system's region, or use a file system "
                        "in that region.",
                    )
            if image.architecture != itype.architecture:
                raise invalid(
                    f"image.id: image {image.name!r} is built for {image.architecture}, but "
                    f"{itype.name} needs {itype.architecture}",
                    "Use GET /images to see the images in each region.",
                )
            for i, ruleset in enumerate(rulesets):
                if ruleset.region != region:
                    raise invalid(
                        f"firewall_rulesets[{i}].id: ruleset {ruleset.id!r} is in region "
                        f"{ruleset.region}, not {region}",
                        "Use firewall rulesets from the region you launch in.",
                    )
            if account.instance_quota is not None:
                live = sum(1 for i in account.instances.values() if i.holds_capacity(now))
                if live >= account.instance_quota:
                    raise ApiError("global/quota-exceeded")
            slot = (itype.name, region)
            if self._capacity.get(slot, 0) <= 0:
                raise ApiError("instance-operations/launch/insufficient-capacity")
            self._capacity[slot] -= 1
            ip, private_ip = self._new_ip()
            instance = Instance(
                id=self.new_id(),
                name=spec.name or None,
                instance_type=itype.name,
                price_cents_per_hour=self.price(itype.name),
                region=region,
                ssh_key_names=[spec.ssh_key_name],
                file_system_ids=[fs.id for fs, _ in mounted],
                file_system_names=[fs.name for fs, _ in mounted],
                file_system_mounts=[
                    {"mount_point": point, "file_system_id": fs.id} for fs, point in mounted
                ],
                tags=[dict(tag) for tag in spec.tags],
                firewall_ruleset_ids=list(spec.firewall_ruleset_ids),
                image_id=image.id,
                user_data=spec.user_data,
                ip=ip,
                private_ip=private_ip,
                hostname=spec.hostname or ip.replace(".", "-"),
                jupyter_token=self.new_id(),
                first_ready_at=now + self.boot_delay,
                ready_at=now + self.boot_delay,
            )
            account.instances[instance.id] = instance
            self.record(
                account,
                "instance",
                "launched",
                [instance.id],
                instance_type=itype.name,
                region=region,
            )
            return instance.id

    def _launch_filesystems(
        self, account: Account, spec: LaunchSpec
    ) -> list[tuple[Filesystem, str]]:
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
        return [(fs, overrides.get(fs.id, _default_mount(fs))) for fs in chosen.values()]

    def _launch_image(self, spec: LaunchSpec, architecture: str) -> catalog.Image:
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
        raise _not_found(
            f"An {architecture} image of family {family!r} in region {region}", suggestion
        )

    def restart(self, account: Account, instance_ids: list[str]) -> list[dict[str, Any]]:
        with self.lock:
            now = self.settle()
            instances = [self._visible(account, i) for i in instance_ids]
            for instance in instances:
                status = instance.status(now)
                if status not in ("active", "unhealthy"):
                    raise ApiError(
                        "global/conflict",
                        f"Instance {instance.id} is {status}; only an active or unhealthy "
                        "instance can be restarted.",
                        "Wait until the instance is active, then try again.",
                    )
            for instance in instances:
                instance.ready_at = now + self.restart_delay
                self.record(account, "instance", "restarted", [instance.id])
            return [instance.to_json(now) for instance in instances]

    def terminate(self, account: Account, instance_ids: list[str]) -> list[dict[str, Any]]:
        with self.lock:
            now = self.settle()
            instances = [self._visible(account, i) for i in instance_ids]
            for instance in instances:
                if instance.terminate_requested_at is None:
                    instance.terminate_requested_at = now
                    instance.ended_at = now + self.terminate_delay
                    self._expect(instance.ended_at)
                    self.record(account, "instance", "terminated", [instance.id])
            return [instance.to_json(now) for instance in instances]

    def preempt(self, instance_id: str) -> None:
        with self.lock:
            now = self.settle()
            _, instance = self.find_instance(instance_id)
            if instance.ended_at is None or instance.ended_at > now:
                instance.terminate_requested_at = instance.terminate_requested_at or now
                instance.ended_at = now
                instance.preempted = True
                self._expect(now)

    def set_unhealthy(self, instance_id: str, unhealthy: bool, api_key: str | None) -> None:
        with self.lock:
            if api_key is None:
                _, instance = self.find_instance(instance_id)
            else:
                self.settle()
                account = self._accounts.get(api_key)
                if account is None:
                    raise KeyError("no account has this API key")
                if instance_id not in account.instances:
                    raise KeyError(instance_id)
                instance = account.instances[instance_id]
            instance.unhealthy = unhealthy

    # -- ssh keys ----------------------------------------------------------------------------

    def list_ssh_keys(self, account: Account) -> list[dict[str, Any]]:
        with self.lock:
            return [key.to_json() for key in account.ssh_keys.values()]

    def add_ssh_key(self, account: Account, name: str, public_key: str | None) -> dict[str, Any]:
        with self.lock:
            if any(key.name == name for key in account.ssh_keys.values()):
                # The spec lists only invalid-parameters for a 400 here (file systems, by
                # contrast, have global/duplicate).
                raise ApiError(
                    "global/invalid-parameters",
                    f"name: an SSH key named {name!r} already exists.",
                    "Choose another name, or delete the existing key first.",
                )
            private_key = None
            if public_key is None:
                public_key, private_key = generate_key_pair(self.rng)
            elif not is_public_key(public_key):
                raise invalid(
                    "public_key: not a valid OpenSSH public key",
                    "Pass one line such as 'ssh-ed25519 AAAA... comment'.",
                )
            key = SshKey(id=self.new_id(), name=name, public_key=public_key.strip())
            account.ssh_keys[key.id] = key
            self.record(account, "ssh_key", "created", [key.id], name=name)
            out = key.to_json()
            if private_key is not None:
                out["private_key"] = private_key
            return out

    def delete_ssh_key(self, account: Account, key_id: str) -> dict[str, Any]:
        with self.lock:
            if account.ssh_keys.pop(key_id, None) is None:
                raise ApiError("global/not-found", suggestion="Check the SSH key's ID.")
            self.record(account, "ssh_key", "deleted", [key_id])
            return {}

    # -- file systems ------------------------------------------------------------------------

    def _filesystem_in_use(self, account: Account, fs_id: str, now: float) -> bool:
        return any(
            fs_id in instance.file_system_ids and instance.holds_capacity(now)
            for instance in account.instances.values()
        )

    def _filesystem_json(self, account: Account, fs: Filesystem, now: float) -> dict[str, Any]:
        return {
            "id": fs.id,
            "name": fs.name,
            "mount_point": _default_mount(fs),
            "created": fs.created,
            "created_by": {"id": account.user_id, "email": account.email, "status": "active"},
            "is_in_use": self._filesystem_in_use(account, fs.id, now),
            "region": region_json(fs.region),
            "bytes_used": fs.bytes_used,
        }

    def list_filesystems(self, account: Account) -> list[dict[str, Any]]:
        with self.lock:
            now = self.settle()
            return [self._filesystem_json(account, fs, now) for fs in account.filesystems.values()]

    def create_filesystem(self, account: Account, name: str, region: str) -> dict[str, Any]:
        with self.lock:
            now = self.settle()
            if not account.billing_address_valid:
                raise ApiError("global/invalid-address")
            if region not in REGIONS:
                raise invalid(
                    f"region: unknown region {region!r}", "Use GET /regions to see the regions."
                )
            if any(fs.name == name for fs in account.filesystems.values()):
                raise ApiError(
                    "global/duplicate",
                    f"A filesystem named {name!r} already exists.",
                    "Choose another name.",
                )
            quota = account.file_system_quota
            if quota is not None and len(account.filesystems) >= quota:
                raise ApiError("global/quota-exceeded")
            fs = Filesystem(id=self.new_id(), name=name, region=region, created=self.iso(now))
            account.filesystems[fs.id] = fs
            self.record(account, "filesystem", "created", [fs.id], name=name, region=region)
            return self._filesystem_json(account, fs, now)

    def delete_filesystem(self, account: Account, fs_id: str) -> dict[str, Any]:
        with self.lock:
            now = self.settle()
            if fs_id not in account.filesystems:
                raise ApiError(
                    "global/object-does-not-exist",
                    "Filesystem was not found.",
                    "Check the filesystem's ID with GET /file-systems.",
                )
            if self._filesystem_in_use(account, fs_id, now):
                raise ApiError("filesystems/filesystem-in-use")
            del account.filesystems[fs_id]
            self.record(account, "filesystem", "deleted", [fs_id])
            return {"deleted_ids": [fs_id]}

    # -- firewall ----------------------------------------------------------------------------

    def firewall_rules(self, account: Account) -> list[dict[str, Any]]:
        with self.lock:
            return _copy_rules(account.global_rules)

    def replace_firewall_rules(
        self, account: Account, rules: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        with self.lock:
            account.global_rules = _copy_rules(rules)
            # The legacy rule list and the global ruleset are one and the same.
            self.record(account, "firewall_ruleset", "updated", ["global"])
            return _copy_rules(rules)

    def _global_json(self, account: Account) -> dict[str, Any]:
        return {
            "id": "global",
            "name": "Global Firewall Rules",
            "rules": _copy_rules(account.global_rules),
        }

    def global_ruleset(self, account: Account) -> dict[str, Any]:
        with self.lock:
            return self._global_json(account)

    def update_global_ruleset(
        self, account: Account, rules: list[dict[str, Any]] | None
    ) -> dict[str, Any]:
        with self.lock:
            if rules is not None:
                account.global_rules = _copy_rules(rules)
                self.record(account, "firewall_ruleset", "updated", ["global"])
            return self._global_json(account)

    def _ruleset_json(self, account: Account, ruleset: Ruleset, now: float) -> dict[str, Any]:
        return {
            "id": ruleset.id,
            "name": ruleset.name,
            "region": region_json(ruleset.region),
            "rules": _copy_rules(ruleset.rules),
            "created": ruleset.created,
            "instance_ids": [
                instance.id
                for instance in account.instances.values()
                if ruleset.id in instance.firewall_ruleset_ids and instance.holds_capacity(now)
            ],
        }

    def _ruleset(self, account: Account, ruleset_id: str) -> Ruleset:
        ruleset = account.rulesets.get(ruleset_id)
        if ruleset is None:
            raise _ruleset_not_found()
        return ruleset

    def list_rulesets(self, account: Account) -> list[dict[str, Any]]:
        with self.lock:
            now = self.settle()
            return [self._ruleset_json(account, r, now) for r in account.rulesets.values()]

    def create_ruleset(
        self, account: Account, name: str, region: str, rules: list[dict[str, Any]]
    ) -> dict[str, Any]:
        with self.lock:
            now = self.settle()
            if region not in REGIONS:
                raise invalid(
                    f"region: unknown region {region!r}", "Use GET /regions to see the regions."
                )
            quota = account.ruleset_quota
            if quota is not None and len(account.rulesets) >= quota:
                raise ApiError("global/quota-exceeded")
            ruleset = Ruleset(
                id=self.new_id(),
                name=name,
                region=region,
                rules=_copy_rules(rules),
                created=self.iso(now),
            )
            account.rulesets[ruleset.id] = ruleset
            self.record(
                account, "firewall_ruleset", "created", [ruleset.id], name=name, region=region
            )
            return self._ruleset_json(account, ruleset, now)

    def get_ruleset(self, account: Account, ruleset_id: str) -> dict[str, Any]:
        with self.lock:
            now = self.settle()
            return self._ruleset_json(account, self._ruleset(account, ruleset_id), now)

    def update_ruleset(
        self,
        account: Account,
        ruleset_id: str,
        name: str | None,
        rules: list[dict[str, Any]] | None,
    ) -> dict[str, Any]:
        with self.lock:
            now = self.settle()
            ruleset = self._ruleset(account, ruleset_id)
            if name is not None:
                ruleset.name = name
            if rules is not None:
                ruleset.rules = _copy_rules(rules)
            if name is not None or rules is not None:
                self.record(account, "firewall_ruleset", "updated", [ruleset.id])
            return self._ruleset_json(account, ruleset, now)

    def delete_ruleset(self, account: Account, ruleset_id: str) -> dict[str, Any]:
        with self.lock:
            now = self.settle()
            ruleset = self._ruleset(account, ruleset_id)
            if self._ruleset_json(account, ruleset, now)["instance_ids"]:
                raise ApiError("firewall-rulesets/firewall-ruleset-in-use")
            del account.rulesets[ruleset_id]
            self.record(account, "firewall_ruleset", "deleted", [ruleset_id])
            return {}


def _default_mount(fs: Filesystem) -> str:
    return f"/lambda/nfs/{fs.name}"


def _copy_rules(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: list(v) if isinstance(v, list) else v for k, v in rule.items()} for rule in rules]


def _encode_token(seq: int) -> str:
    return base64.urlsafe_b64encode(f"audit:{seq}".encode()).decode().rstrip("=")


def _decode_token(token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, _, seq = raw.partition(":")
        if prefix != "audit" or not seq.isdigit():
            raise ValueError(token)
        return int(seq)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid(
            "page_token: not a page token this API issued",
            "Pass the page_token from the previous response unchanged.",
        ) from None
