"""Leases on ``launch_many`` run ids: one run of a run id at a time, on every machine.

A run with a ``run_id`` takes the lease (``SET NX PX``) before it does anything, renews it every
third of its time to live while it runs (taking it back should a late renewal find it lapsed and
unclaimed), and deletes it when it ends, each only if the lease is still its own. A second run
of the run id finds the lease taken and is refused (``RunLeasedError``), naming the holder. A
crashed run renews nothing, so its lease lapses after ``SharedState.lease_ttl`` seconds and the
run id is free for the rerun that adopts what it launched. Should the store fail, the run goes
on without a lease (or, ``strict``, is refused with ``SharedStateError`` before anything is
launched): runs of one run id agree through the instance list anyway, the lease only keeps them
from racing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator
from datetime import datetime, timezone

from ..bulk.errors import RunLeasedError
from ..errors import SharedStateError
from .store import Account, StoreDown

__all__ = ["run_lease"]

log = logging.getLogger("lambda_cloud")

# KEYS[1]: the lease. ARGV: this run's holder text, the lease's time to live (ms). Returns
# {1} once taken, or {0, the holder, its milliseconds left}.
_TAKE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1}
end
return {0, redis.call('GET', KEYS[1]) or '', redis.call('PTTL', KEYS[1])}
"""

# KEYS[1]: the lease. ARGV: the holder text, and a time to live (ms; 0: release). Returns 1 if
# the lease is this holder's (renewed, taken back after it lapsed unclaimed, or released), else 0.
_KEEP = """
local holder = redis.call('GET', KEYS[1])
if ARGV[2] == '0' then
  if holder ~= ARGV[1] then
    return 0
  end
  redis.call('DEL', KEYS[1])
  return 1
end
if holder and holder ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""


def _taken(reply: object) -> tuple[str, float] | None:
    """``None`` when the lease was taken, else (its holder, seconds left)."""
    if reply == [1]:
        return None
    if isinstance(reply, list) and len(reply) == 3 and reply[0] == 0:
        holder, left = reply[1], reply[2]
        if isinstance(holder, bytes) and isinstance(left, int):
            return holder.decode("utf-8", "replace"), max(0.0, left / 1000)
    raise ValueError(f"unexpected reply {reply!r:.80}")


def _kept(reply: object) -> bool:
    if reply not in (0, 1):
        raise ValueError(f"unexpected reply {reply!r:.80}")
    return reply == 1


@contextlib.asynccontextmanager
async def run_lease(account: Account, run_id: str) -> AsyncIterator[None]:
    """Hold the lease on ``run_id`` for the block: ``RunLeasedError`` if another run holds
    it; without a lease if the store is down (``SharedStateError`` if it is ``strict``)."""
    store, ttl = account.store, account.store.options.lease_ttl
    key, ttl_ms = account.key("run", run_id), str(max(1, round(ttl * 1000)))
    since = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    # Unique to this run, readable in the refusal of another.
    holder = f"pid {os.getpid()} on {socket.gethostname()} since {since} [{secrets.token_hex(4)}]"
    take, keep = store.script("lease-take", _TAKE), store.script("lease-keep", _KEEP)

    async def kept(ttl_ms: str) -> bool:
        return await store.run_script("run lease", keep, [key], [holder, ttl_ms], _kept)

    try:
        other = await store.run_script("run lease", take, [key], [holder, ttl_ms], _taken)
    except StoreDown:
        leased = False  # runs of one run id agree through the instance list: go on without
    else:
        if other is not None:
            raise RunLeasedError(run_id, holder=other[0], expires_in=other[1])
        leased = True
    if not leased:
        yield
        return

    async def renew() -> None:
        while True:
            await asyncio.sleep(ttl / 3)
            try:
                mine = await kept(ttl_ms)
            except StoreDown:
                continue  # the store logged it; try again next time
            except SharedStateError as exc:
                log.warning("launch_many %s: could not renew its run-id lease: %s", run_id, exc)
                continue
            if not mine:
                log.warning(
                    "launch_many %s: its run-id lease lapsed (the store or this process "
                    "stalled) and another run of it took it: runs of one run id still agree "
                    "through the instance list",
                    run_id,
                )
                return

    renewing = asyncio.ensure_future(renew())
    try:
        yield
    finally:
        renewing.cancel()
        await asyncio.wait([renewing])
        # Best effort: a lease not released lapses after its time to live.
        with contextlib.suppress(Exception):
            await kept("0")
