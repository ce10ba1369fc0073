"""The spend guard's books: what an account runs, and what guarded calls in progress hold.

A guarded call (``launch`` or ``launch_many`` with a ceiling) opens a ``Reservation`` before it
sends anything: the account's live cost, from one instance list, plus what the other open
reservations hold, plus what the call asks for must fit under its ceiling. A bulk run's slots
then draw on their reservation at the price each is launched at, so a price that rises during
a hunt never takes a launch past the ceiling. Opening is serialized by a lock; a draw and a
release never suspend here, so the event loop orders them with no lock. With a shared store,
``shared.budget`` keeps the same books in Redis, for every process using the key.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING

from .errors import InvalidPriceError, SpendLimitExceededError

if TYPE_CHECKING:
    from ._ratelimit import RateLimiter

__all__ = ["Budget", "LiveCost", "Reservation", "budget_for", "check_ceiling", "check_price"]

#: A live instance as the budget counts it: its launch-token tag (``None`` without one) and
#: its price in cents per hour.
LiveCost = tuple[str | None, int]


def check_price(instance_type_name: str, price: object) -> int:
    """``price`` as US cents per hour: a whole number, 0 or more (else ``InvalidPriceError``).

    The model takes the API's number as it comes, so a null, a string or a negative number
    would otherwise slip through (a negative one passing any ceiling)."""
    if isinstance(price, bool) or not isinstance(price, int) or price < 0:
        raise InvalidPriceError(instance_type_name, price)
    return price


def check_ceiling(
    *, ceiling: int, committed: int, count: int, price: int, instance_type_name: str
) -> None:
    """Raise ``SpendLimitExceededError`` if ``count`` launches at ``price`` cents per hour, on
    top of the ``committed`` ones, pass ``ceiling``: the one judge of an opening and a draw (a
    shared store's script makes the same comparison as it records them)."""
    if committed + count * price > ceiling:
        raise SpendLimitExceededError(
            count=count,
            instance_type_name=instance_type_name,
            price_cents_per_hour=price,
            max_hourly_cost_cents=ceiling,
            committed_cents=committed,
        )


def budget_for(limiter: RateLimiter | None) -> Budget:
    """The books of a client pacing with ``limiter``: in its shared store if it has one (for
    every process using the key), else its own."""
    return Budget() if limiter is None else limiter.budget()


class Budget:
    """The books of one account, shared by a client and its ``with_options`` copies on the
    same account, whatever their ceilings: each reservation is held to its own ceiling, but
    counts every other's hold.

    A plain ``launch`` tags nothing: should another call list its instance before it returns,
    that instance counts twice for the moment (too much, never too little).
    """

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._open: list[Reservation] = []
        # The account's cost per hour as last measured (when a reservation opened), plus what
        # the reservations released since then may have left running.
        self._live = 0
        # While an opening lists instances: the reservations released meanwhile. Their
        # instances may be missing from the list, so what they held still counts.
        self._released: list[Reservation] | None = None

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
        """Hold ``count`` launches at ``price`` each (of ``instance_type_name``, for the error),
        or raise ``SpendLimitExceededError`` if, with the account's live cost (``live()``, one
        list call) and the other reservations' holds, that passes ``ceiling``. A live instance
        tagged with one of ``tokens`` (a bulk run's slots, which a rerun adopts) is in the new
        reservation's hold, not in the live cost."""
        reservation = Reservation(self, ceiling=ceiling, count=count, unit=price, tokens=tokens)
        async with self._lock:
            self._released = []
            try:
                listed = await live()
            finally:
                released, self._released = self._released, None
            # An open reservation's instances carry its tokens and are in what it holds: a
            # bulk run's instances would otherwise count twice while it runs.
            held = [*self._open, *released, reservation]
            claimed = {tag for r in held for tag in r.tokens}
            self._live = sum(cost for tag, cost in listed if tag not in claimed)
            self._live += sum(r.held for r in released)
            committed = self._live + sum(r.held for r in self._open)
            check_ceiling(
                ceiling=ceiling,
                committed=committed,
                count=count,
                price=price,
                instance_type_name=instance_type_name,
            )
            self._open.append(reservation)
        return reservation

    def _others(self, reservation: Reservation) -> int:
        """What the account runs and every other open reservation holds."""
        return self._live + sum(r.held for r in self._open if r is not reservation)

    def _release(self, reservation: Reservation) -> None:
        self._open.remove(reservation)
        # Its instances now count as live; the next opening measures what they really cost.
        self._live += reservation.held
        if self._released is not None:
            self._released.append(reservation)


class Reservation:
    """One guarded call's hold: ``count`` slots, each held at ``unit`` cents per hour until it
    draws at the price it is launched at. Implements ``bulk.api.SlotBudget``."""

    def __init__(
        self, budget: Budget, *, ceiling: int, count: int, unit: int, tokens: frozenset[str]
    ) -> None:
        self._budget = budget
        self.ceiling = ceiling
        self.tokens = tokens
        self._count = count
        self._unit = unit
        self._drawn: dict[int, int] = {}  # slot -> the price its latest launch drew
        self._drawn_total = 0

    @property
    def count(self) -> int:
        """The slots the call holds."""
        return self._count

    @property
    def held(self) -> int:
        """Cents per hour held: the slots drawn at their price, the others at ``unit``."""
        return self._drawn_total + (self._count - len(self._drawn)) * self._unit

    async def draw(self, slot: int, instance_type_name: str, price_cents_per_hour: object) -> None:
        """Hold ``slot``'s launch at this price instead of what the slot held before, or raise
        ``SpendLimitExceededError`` if with what the account runs, what the other
        reservations hold and this one's other drawn slots it passes the ceiling
        (``InvalidPriceError`` if the price is not one)."""
        price = check_price(instance_type_name, price_cents_per_hour)
        # This call's undrawn slots are not counted: a slot that fits at a risen price
        # launches, and the ones that no longer fit are refused when they draw.
        mine = self._drawn_total - self._drawn.get(slot, 0)
        committed = await self._committed(slot, mine, price)
        check_ceiling(
            ceiling=self.ceiling,
            committed=committed,
            count=1,
            price=price,
            instance_type_name=instance_type_name,
        )
        self._drawn_total = mine + price
        self._drawn[slot] = price

    async def _committed(self, slot: int, mine: int, price: int) -> int:
        """What the account runs, the other reservations hold and this one's other drawn
        slots (``mine``) hold, as ``slot`` draws at ``price`` (books kept elsewhere record the
        draw there, if it fits)."""
        return self._budget._others(self) + mine

    def _held_after(self, slot: int, price: int) -> int:
        """What this reservation holds once ``slot`` has drawn at ``price``."""
        drawn = self._drawn_total - self._drawn.get(slot, 0) + price
        undrawn = self._count - len(self._drawn) - (0 if slot in self._drawn else 1)
        return drawn + undrawn * self._unit

    async def release(self) -> None:
        """The call is over: what it launched counts as live from now on."""
        self._budget._release(self)
