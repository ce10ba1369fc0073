"""Expiry extensions in the shared store: tags cannot change after launch, so an instance's
later expiry is kept here, where the reaper of every process using the key reads it.

One key per instance, ``Account.key("expiry", <id>)``, holding the extended expiry (UTC, whole
seconds since the epoch). Recording keeps the later of the stored and the new expiry, in one
script, so two processes extending at once never shorten each other's. The key vanishes
``LINGER`` after the expiry it holds (set as a time to live from the recorder's clock, so the
store's own clock does not matter): the store cleans itself.

A reap that terminates reads through ``claim_expired``: the script that reads the extensions
also marks each instance it is about to terminate, ``Account.key("reaping", <id>)`` for
``REAPING``, and the recording script refuses (``InstanceBeingReapedError``) to extend a marked
instance, so an extension arriving between the reaper's read and its terminate is refused
rather than reported and then ignored.

When the store fails, recording raises ``SharedStateError`` (an extension kept nowhere is no
extension) and reading raises ``ExtensionsUnavailable`` (``SharedStateError`` when strict): the
reaper then terminates none of the instances it asked about, as any of them may be extended.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from ..errors import InstanceBeingReapedError, SharedStateError
from ..lifecycle.expiry import ExtensionsUnavailable
from .store import Account, StoreDown

__all__ = ["LINGER", "REAPING", "SharedExpiryExtensions"]

#: How long a recorded extension stays in the store after the expiry it holds.
LINGER = datetime.timedelta(minutes=15)

#: How long a reap's mark refuses extensions: room for its terminate, retries included.
REAPING = datetime.timedelta(minutes=10)

_UTC = datetime.timezone.utc

# KEYS: the expiry key of each instance, then its reaping mark. ARGV: for each instance, the new
# expiry (epoch seconds) and the key's time to live (ms). If any instance is marked, records
# nothing and returns {0, <its index>, ...}; else keeps the later expiry of each (an earlier one
# leaves the key, and its time to live, alone) and returns {1, <the expiry each holds>...}.
_EXTEND = """
local n = #KEYS / 2
local marked = {0}
for i = 1, n do
  if redis.call('EXISTS', KEYS[n + i]) == 1 then
    marked[#marked + 1] = i
  end
end
if #marked > 1 then
  return marked
end
local held = {1}
for i = 1, n do
  local new = tonumber(ARGV[2 * i - 1])
  local old = tonumber(redis.call('GET', KEYS[i]))
  if old == nil or old < new then
    redis.call('SET', KEYS[i], ARGV[2 * i - 1], 'PX', ARGV[2 * i])
    old = new
  end
  held[i + 1] = old
end
return held
"""

# KEYS: as _EXTEND's. ARGV: the reap's now (epoch seconds) and the marks' time to live (ms).
# Returns each instance's stored expiry (as MGET would), and marks each one whose expiry is
# missing or not after now: the ones the reap is to terminate.
_CLAIM = """
local n = #KEYS / 2
local now = tonumber(ARGV[1])
local found = {}
for i = 1, n do
  local value = redis.call('GET', KEYS[i])
  local held = value and tonumber(value)
  if not value or (held and held <= now) then
    redis.call('SET', KEYS[n + i], '1', 'PX', ARGV[2])
  end
  found[i] = value
end
return found
"""


def _moments(reply: object, count: int) -> list[datetime.datetime | None]:
    """``count`` expiries, from epoch seconds (``None``: no extension); ``ValueError`` for any
    other reply, a number no ``datetime`` holds included (a store answering something else is
    a failing store)."""
    if not (isinstance(reply, list) and len(reply) == count):
        raise ValueError(f"unexpected reply {reply!r:.80}")
    values: list[datetime.datetime | None] = []
    for item in reply:
        if item is None:
            values.append(None)
            continue
        if isinstance(item, bytes) and item.isdigit():
            item = int(item)
        if isinstance(item, bool) or not isinstance(item, int):
            raise ValueError(f"unexpected value {item!r:.80}")
        try:
            values.append(_moment(item))
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"unexpected expiry {item!r:.80}") from None
    return values


def _moment(seconds: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, _UTC)


class SharedExpiryExtensions:
    """The ``ClaimingExpiryExtensions`` of one account, kept in the shared store for every
    process using its key (``instances.extend_expiry`` records, ``instances.reap`` reads)."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self._extend = account.store.script("expiry-extend", _EXTEND)
        self._claim = account.store.script("expiry-claim", _CLAIM)

    def __repr__(self) -> str:
        return f"SharedExpiryExtensions({self.account.store!r})"

    def _keys(self, instance_ids: Sequence[str]) -> list[str]:
        """Each instance's expiry key, then each one's reaping mark."""
        expiry = [self.account.key("expiry", i) for i in instance_ids]
        return expiry + [self.account.key("reaping", i) for i in instance_ids]

    async def extended_expiries(self, instance_ids: Sequence[str]) -> dict[str, datetime.datetime]:
        """The extension recorded for each of ``instance_ids`` that has one. Raises
        ``ExtensionsUnavailable`` when the store is down (``SharedStateError`` if strict)."""
        ids = list(instance_ids)
        if not ids:
            return {}
        keys = self._keys(ids)[: len(ids)]
        return await self._read(ids, "expiry extensions", lambda redis: redis.mget(keys))

    async def claim_expired(
        self, instance_ids: Sequence[str], now: datetime.datetime
    ) -> dict[str, datetime.datetime]:
        """As ``extended_expiries``, and mark each instance without an extension after ``now``
        as being reaped for ``REAPING`` (in the same script): its extension is refused."""
        ids = list(instance_ids)
        if not ids:
            return {}
        keys = self._keys(ids)
        args = [repr(now.timestamp()), str(_ms(REAPING))]
        return await self._read(
            ids, "expiry extensions", lambda redis: self._claim(redis)(keys=keys, args=args)
        )

    async def _read(
        self, ids: list[str], what: str, op: Callable[[Any], Awaitable[object]]
    ) -> dict[str, datetime.datetime]:
        try:
            found = await self.account.store.run(what, op, lambda r: _moments(r, len(ids)))
        except StoreDown as exc:
            raise ExtensionsUnavailable("the shared store is down") from exc
        return {iid: when for iid, when in zip(ids, found, strict=True) if when is not None}

    async def extend(
        self, expiries: Mapping[str, datetime.datetime]
    ) -> dict[str, datetime.datetime]:
        """Record ``expiries`` (instance id -> its new expiry, aware and ahead of now), keeping
        any later one already recorded; return the expiry each now has in the store.
        ``InstanceBeingReapedError`` if a reap marked any of them, ``SharedStateError`` if the
        store is down: nothing is then recorded."""
        if not expiries:
            return {}
        now = datetime.datetime.now(_UTC)
        ids, args = list(expiries), []
        for when in expiries.values():
            seconds = math.ceil(when.timestamp())  # rounded up: never earlier than asked
            args += [str(seconds), str(max(1, _ms(_moment(seconds) - now + LINGER)))]
        keys = self._keys(ids)
        try:
            held = await self.account.store.run(
                "expiry extension",
                lambda redis: self._extend(redis)(keys=keys, args=args),
                lambda r: _extended(r, len(ids)),
            )
        except StoreDown as exc:
            raise SharedStateError(
                "the shared store is down: the extension was not recorded (without the store, "
                "keep the instances with reap(keep=[...]) or `lambda-cloud reap --keep ID`)"
            ) from exc
        if isinstance(held, set):
            raise InstanceBeingReapedError(
                [ids[i - 1] for i in sorted(held)], minutes=REAPING // datetime.timedelta(minutes=1)
            )
        return {iid: when for iid, when in zip(ids, held, strict=True) if when is not None}


def _ms(span: datetime.timedelta) -> int:
    return math.ceil(span / datetime.timedelta(milliseconds=1))


def _extended(reply: object, count: int) -> list[datetime.datetime | None] | set[int]:
    """The recording script's reply: the expiry each instance holds, or the (1-based) indexes
    of the instances a reap marked (nothing was then recorded)."""
    if not (isinstance(reply, list) and reply and reply[0] in (0, 1)):
        raise ValueError(f"unexpected reply {reply!r:.80}")
    if reply[0] == 1:
        return _moments(reply[1:], count)
    marked = set(reply[1:])
    if not marked or not marked <= set(range(1, count + 1)):
        raise ValueError(f"unexpected reply {reply!r:.80}")
    return marked
