"""What every noun shares: the accounts, the one lock, the clock, ids and instance capacity.

Nothing here runs on a timer. Every operation first *settles* the world against the clock
(returning capacity of instances that reached ``terminated``, dropping those past retention), so
a :class:`~lambda_cloud.emulator.ManualClock` makes every run deterministic. One re-entrant lock
guards everything, because tests poke at the world from their own thread while the server runs
on another. Each noun's own state operations live in its module (``instances.py``,
``ssh_keys.py``, ...), which works on the accounts held here.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from .catalog import INSTANCE_TYPES, REGIONS
from .firewall import default_global_rules
from .model import Account

if TYPE_CHECKING:
    from .instances import Instance

__all__ = ["World"]

Slot = tuple[str, str]  # (instance type, region)


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
        self._capacity: dict[Slot, int] = {}
        for (type_name, region), count in capacity.items():
            self._check_slot(type_name, region)
            if count < 0:
                raise ValueError("capacity cannot be negative")
            self._capacity[(type_name, region)] = count
        # Capacity changes due at a clock time, applied by ``settle`` in time order.
        self._scheduled: list[tuple[float, int, Slot, int]] = []
        self._schedule_seq = 0  # keeps entries due at the same time in the order given
        self._accounts: dict[str, Account] = {}
        # Wall-clock timestamps follow the injected clock, so a manual clock moves them too.
        self._clock0 = clock()
        self._epoch0 = time.time()

    # -- randomness and time -----------------------------------------------------------------

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
            self.expect(ended if not instance.capacity_released else gone_at)

    def expect(self, at: float) -> None:
        """Something changes at ``at`` (an instance ends): settle must scan once then."""
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
                global_rules=default_global_rules(),
            )
            self._accounts[api_key] = account
            return account

    def account(self, api_key: str) -> Account | None:
        with self.lock:
            return self._accounts.get(api_key)

    def find_instance(self, instance_id: str) -> tuple[Account, Instance]:
        """The live instance with this id in any account (for test helpers)."""
        with self.lock:
            self.settle()
            for account in self._accounts.values():
                if instance_id in account.instances:
                    return account, account.instances[instance_id]
            raise KeyError(instance_id)

    # -- capacity ----------------------------------------------------------------------------

    def _check_slot(self, type_name: str, region: str) -> None:
        if type_name not in INSTANCE_TYPES:
            raise ValueError(f"unknown instance type {type_name!r}")
        if region not in REGIONS:
            raise ValueError(f"unknown region {region!r}")

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

    def available(self) -> frozenset[Slot]:
        """The ``(type, region)`` pairs with a free slot now."""
        with self.lock:
            self.settle()
            return frozenset(slot for slot, count in self._capacity.items() if count > 0)

    def take(self, type_name: str, region: str) -> bool:
        """Take a free slot (the caller has settled); False if there is none."""
        with self.lock:
            slot = (type_name, region)
            if self._capacity.get(slot, 0) <= 0:
                return False
            self._capacity[slot] -= 1
            return True
