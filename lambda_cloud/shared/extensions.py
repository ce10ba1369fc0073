"""Expiry extensions in the shared store: tags cannot change after launch, so an instance's
later expiry is kept here, where the reaper of every process using the key reads it.

One key per instance, ``Account.key("expiry", <id>)``, holding the extended expiry (UTC, whole
seconds since the epoch). Recording keeps the later of the stored and the new expiry, in one
script, so two processes extending at once never shorten each other's. The key vanishes
``LINGER`` after the expiry it holds (set as a time to live from the recorder's clock, so the
store's own clock does not matter): the store cleans itself.

When the store fails, recording raises ``SharedStateError`` (an extension kept nowhere is no
extension) and reading raises ``ExtensionsUnavailable`` (``SharedStateError`` when strict): the
reaper then terminates none of the instances it asked about, as any of them may be extended.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping, Sequence

from ..errors import SharedStateError
from ..lifecycle.expiry import ExtensionsUnavailable
from .store import Account, StoreDown

__all__ = ["LINGER", "SharedExpiryExtensions"]

#: How long a recorded extension stays in the store after the expiry it holds.
LINGER = datetime.timedelta(minutes=15)

_UTC = datetime.timezone.utc

# KEYS: one per instance. ARGV: for each key, the new expiry (epoch seconds) and the key's time
# to live (ms). Keeps the later expiry (an earlier one leaves the key, and its time to live,
# alone); returns the expiry each key holds afterwards.
_EXTEND = """
local held = {}
for i, key in ipairs(KEYS) do
  local new = tonumber(ARGV[2 * i - 1])
  local old = tonumber(redis.call('GET', key))
  if old == nil or old < new then
    redis.call('SET', key, ARGV[2 * i - 1], 'PX', ARGV[2 * i])
    old = new
  end
  held[i] = old
end
return held
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
    """The ``ExpiryExtensions`` of one account, kept in the shared store for every process
    using its key (``instances.extend_expiry`` records, ``instances.reap`` reads)."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self._extend = account.store.script("expiry-extend", _EXTEND)

    def __repr__(self) -> str:
        return f"SharedExpiryExtensions({self.account.store!r})"

    def _key(self, instance_id: str) -> str:
        return self.account.key("expiry", instance_id)

    async def extended_expiries(self, instance_ids: Sequence[str]) -> dict[str, datetime.datetime]:
        """The extension recorded for each of ``instance_ids`` that has one. Raises
        ``ExtensionsUnavailable`` when the store is down (``SharedStateError`` if strict)."""
        ids = list(instance_ids)
        if not ids:
            return {}
        keys = [self._key(i) for i in ids]
        try:
            found = await self.account.store.run(
                "expiry extensions", lambda redis: redis.mget(keys), lambda r: _moments(r, len(ids))
            )
        except StoreDown as exc:
            raise ExtensionsUnavailable("the shared store is down") from exc
        return {iid: when for iid, when in zip(ids, found, strict=True) if when is not None}

    async def extend(
        self, expiries: Mapping[str, datetime.datetime]
    ) -> dict[str, datetime.datetime]:
        """Record ``expiries`` (instance id -> its new expiry, aware and ahead of now), keeping
        any later one already recorded; return the expiry each now has in the store.
        ``SharedStateError`` if the store is down: nothing is then recorded."""
        if not expiries:
            return {}
        now = datetime.datetime.now(_UTC)
        ids, keys, args = list(expiries), [], []
        for iid, when in expiries.items():
            seconds = math.ceil(when.timestamp())  # rounded up: never earlier than asked
            ttl = (_moment(seconds) - now + LINGER) / datetime.timedelta(milliseconds=1)
            keys.append(self._key(iid))
            args += [str(seconds), str(max(1, math.ceil(ttl)))]
        try:
            held = await self.account.store.run(
                "expiry extension",
                lambda redis: self._extend(redis)(keys=keys, args=args),
                lambda r: _moments(r, len(ids)),
            )
        except StoreDown as exc:
            raise SharedStateError(
                "the shared store is down: the extension was not recorded (without the store, "
                "keep the instances with reap(keep=[...]) or `lambda-cloud reap --keep ID`)"
            ) from exc
        return {iid: when for iid, when in zip(ids, held, strict=True) if when is not None}
