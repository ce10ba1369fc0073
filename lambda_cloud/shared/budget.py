"""The spend budget's books in the shared store: one ceiling for every process using the key.

The same books as ``lambda_cloud._budget`` keeps for one client, in Redis: the open
reservations (what each guarded call holds, and the run whose instances it holds), the
account's live cost as last measured (plus what was released since), and the reservations
released lately. Opening one takes two round trips around the caller's own instance list:
``begin`` (the store's time, and the runs whose instances are held, to leave out of the live
cost), then ``open``, which checks and records it in one step, so processes opening at once
never together pass the ceiling. A slot's draw and the release are a round trip each.

A reservation expires ``SharedState.lease_ttl`` seconds after it was last renewed (every third
of that while its call runs): a crashed process's hold then counts as running, until the next
opening measures what really runs. Should the store fail, a reservation opens in this process's
own books (``strict``: ``SharedStateError``), and one already open draws against what the store
last said the others held.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import secrets
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from .._budget import Budget, LiveCost, Reservation, check_ceiling
from ..bulk.slots import parse_token
from ..errors import SharedStateError
from .store import Account, StoreDown

__all__ = ["SharedBudget"]

T = TypeVar("T")

# Every script first forgets the reservations whose time ran out (their hold counts as running,
# as a release's does) and the releases older than an hour. KEYS: the open reservations (a
# hash: id -> "held count run"), their expiry (a sorted set), the releases (a sorted set of
# "id:held" by time), the live cost.
_PURGE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local function split(v)
  local held, count, run = string.match(v, '^(%d+) (%d+) ?(.*)$')
  return tonumber(held), tonumber(count), run
end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
  local v = redis.call('HGET', KEYS[1], id)
  if v then
    local held = split(v)
    redis.call('INCRBY', KEYS[4], held)
    redis.call('ZADD', KEYS[3], now, id .. ':' .. held)
    redis.call('HDEL', KEYS[1], id)
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - 3600)
local function held_by_others(mine)
  local total, all = 0, redis.call('HGETALL', KEYS[1])
  for i = 1, #all, 2 do
    if all[i] ~= mine then total = total + split(all[i + 1]) end
  end
  return total
end
"""

# Returns the store's time (as text) and, for each open reservation of a run, its run and
# slot count.
_BEGIN = (
    _PURGE
    + """
local runs = {string.format('%.6f', now)}
for i, v in ipairs(redis.call('HVALS', KEYS[1])) do
  local _, count, run = split(v)
  if run ~= '' then
    table.insert(runs, run)
    table.insert(runs, tostring(count))
  end
end
return runs
"""
)

# ARGV: id, ceiling, hold, slot count, run ('' for none), the live cost measured, when the
# measure began (the store's time), time to live. Returns {1 opened or 0 refused, committed}.
_OPEN = (
    _PURGE
    + """
local id, ceiling, hold = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local live = tonumber(ARGV[6])
-- Released since the measure began: its instances may be missing from it.
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. ARGV[7], '+inf')) do
  live = live + tonumber(string.match(m, ':(%d+)$'))
end
local committed = live + held_by_others(id)
if committed + hold > ceiling then
  return {0, committed}
end
redis.call('SET', KEYS[4], live)
redis.call('HSET', KEYS[1], id, ARGV[3] .. ' ' .. ARGV[4] .. ' ' .. ARGV[5])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[8]), id)
return {1, committed}
"""
)

# ARGV: id, ceiling, what the reservation's other drawn slots hold, the slot's price, the
# reservation's hold if it fits, its slot count and run, time to live. Returns {1 drawn or 0
# refused, what the others and the other drawn slots commit}.
_DRAW = (
    _PURGE
    + """
local id = ARGV[1]
local committed = (tonumber(redis.call('GET', KEYS[4])) or 0) + held_by_others(id)
committed = committed + tonumber(ARGV[3])
if committed + tonumber(ARGV[4]) > tonumber(ARGV[2]) then
  return {0, committed}
end
redis.call('HSET', KEYS[1], id, ARGV[5] .. ' ' .. ARGV[6] .. ' ' .. ARGV[7])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[8]), id)
return {1, committed}
"""
)

# ARGV: id, time to live (0: release, its hold counting as running from now). Returns 1 if the
# reservation was open.
_KEEP = (
    _PURGE
    + """
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then
  return 0
end
if ARGV[2] == '0' then
  local held = split(v)
  redis.call('INCRBY', KEYS[4], held)
  redis.call('ZADD', KEYS[3], now, ARGV[1] .. ':' .. held)
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
else
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
end
return 1
"""
)


def _begun(reply: object) -> tuple[str, dict[str, int]]:
    """(the store's time, the open runs' slot counts) from ``begin``."""
    if not (isinstance(reply, list) and reply and len(reply) % 2 == 1):
        raise ValueError(f"unexpected reply {reply!r:.80}")
    now, *pairs = reply
    if not isinstance(now, bytes):
        raise ValueError(f"unexpected time {now!r:.80}")
    runs: dict[str, int] = {}
    for run, count in zip(pairs[::2], pairs[1::2], strict=True):
        if not isinstance(run, bytes) or not isinstance(count, bytes) or not count.isdigit():
            raise ValueError(f"unexpected run {run!r:.40} {count!r:.40}")
        name = run.decode()
        runs[name] = max(runs.get(name, 0), int(count))
    return now.decode(), runs


def _checked(reply: object) -> tuple[bool, int]:
    """(done, committed) from ``open`` or ``draw``."""
    if not (isinstance(reply, list) and len(reply) == 2 and reply[0] in (0, 1)):
        raise ValueError(f"unexpected reply {reply!r:.80}")
    committed = reply[1]
    if isinstance(committed, bool) or not isinstance(committed, int) or committed < 0:
        raise ValueError(f"unexpected amount {committed!r:.80}")
    return reply[0] == 1, committed


def _kept(reply: object) -> bool:
    if reply not in (0, 1):
        raise ValueError(f"unexpected reply {reply!r:.80}")
    return reply == 1


def _claimed(tag: str | None, runs: dict[str, int]) -> bool:
    """Whether an instance tagged ``tag`` is in an open reservation's hold."""
    slot = parse_token(tag)
    return slot is not None and slot[1] < runs.get(slot[0], 0)


class SharedBudget(Budget):
    """An account's books in the shared store (this process's own while it is down)."""

    def __init__(self, account: Account) -> None:
        super().__init__()
        self.account = account
        store = account.store
        self._keys = [account.key("budget", part) for part in ("open", "expiry", "gone", "live")]
        self._begin = store.script("budget-begin", _BEGIN)
        self._open_script = store.script("budget-open", _OPEN)
        self._draw = store.script("budget-draw", _DRAW)
        self._keep = store.script("budget-keep", _KEEP)

    async def _run(
        self, script: Callable[[Any], Any], args: list[object], check: Callable[[object], T]
    ) -> T:
        return await self.account.store.run_script("spend budget", script, self._keys, args, check)

    @property
    def ttl(self) -> float:
        """Seconds a reservation is kept after it was last renewed."""
        return self.account.store.options.lease_ttl

    async def reserve(
        self,
        *,
        ceiling: int,
        count: int,
        instance_type_name: str,
        price: int,
        live: Callable[[], Awaitable[Iterable[LiveCost]]],
        tokens: frozenset[str] = frozenset(),
    ) -> Reservation:
        # While the store is down: this process's own books.
        local = functools.partial(
            super().reserve,
            ceiling=ceiling,
            count=count,
            instance_type_name=instance_type_name,
            price=price,
            live=live,
            tokens=tokens,
        )
        try:
            began, runs = await self._run(self._begin, [], _begun)
        except StoreDown:
            return await local()
        run = next(iter(tokens)).partition("/")[0] if tokens else ""
        if run:
            runs[run] = max(runs.get(run, 0), count)  # a rerun's adopted instances are its own
        measured = sum(cost for tag, cost in await live() if not _claimed(tag, runs))
        reservation = SharedReservation(
            self, ceiling=ceiling, count=count, unit=price, tokens=tokens, run=run
        )
        args: list[object] = [reservation.id, ceiling, count * price, count, run, measured]
        args += [began, repr(self.ttl)]
        try:
            _, committed = await self._run(self._open_script, args, _checked)
        except StoreDown:
            return await local()
        # As the script judged: it opened the reservation only if it fits.
        check_ceiling(
            ceiling=ceiling,
            committed=committed,
            count=count,
            price=price,
            instance_type_name=instance_type_name,
        )
        reservation.start(committed)
        return reservation

    async def record_draw(
        self, reservation: SharedReservation, *, mine: int, price: int, hold: int
    ) -> int:
        """Record that a slot of ``reservation`` draws at ``price`` (so that it then holds
        ``hold``), if with what the others and its other drawn slots (``mine``) commit it
        fits under its ceiling; return that commitment (``StoreDown`` if the store is)."""
        args: list[object] = [reservation.id, reservation.ceiling, mine, price, hold]
        args += [reservation.count, reservation.run, repr(self.ttl)]
        _, committed = await self._run(self._draw, args, _checked)
        return committed

    async def renew(self, reservation: SharedReservation) -> bool:
        """Keep ``reservation`` for another ``ttl``; whether it was still open."""
        return await self._run(self._keep, [reservation.id, repr(self.ttl)], _kept)

    async def close(self, reservation: SharedReservation) -> bool:
        """Release ``reservation``: its hold counts as running from now on."""
        return await self._run(self._keep, [reservation.id, "0"], _kept)


class SharedReservation(Reservation):
    """A guarded call's hold in the shared books, renewed while the call runs."""

    def __init__(
        self,
        books: SharedBudget,
        *,
        ceiling: int,
        count: int,
        unit: int,
        tokens: frozenset[str],
        run: str,
    ) -> None:
        super().__init__(books, ceiling=ceiling, count=count, unit=unit, tokens=tokens)
        self._books = books
        self.run = run
        self.id = secrets.token_hex(8)
        self._others = 0  # what the rest of the books held, as the store last said
        self._renewing: asyncio.Task[None] | None = None

    def start(self, others: int) -> None:
        self._others = others
        self._renewing = asyncio.ensure_future(self._renew())

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(self._books.ttl / 3)
            with contextlib.suppress(StoreDown, SharedStateError):
                await self._books.renew(self)

    async def _committed(self, slot: int, mine: int, price: int) -> int:
        hold = self._held_after(slot, price)
        try:
            committed = await self._books.record_draw(self, mine=mine, price=price, hold=hold)
        except StoreDown:
            # The store is gone: judge by what it last said the others held.
            return self._others + mine
        self._others = committed - mine
        return committed

    async def release(self) -> None:
        if self._renewing is not None:
            self._renewing.cancel()
            await asyncio.wait([self._renewing])
        # Best effort: a reservation not released expires, its hold counting as running.
        with contextlib.suppress(StoreDown, SharedStateError):
            await self._books.close(self)
