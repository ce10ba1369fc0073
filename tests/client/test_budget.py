"""The spend budget's books on their own, where timing cannot be arranged over the network: a
reservation released while another opens, and slots drawn again. (tests/bulk/test_spend_budget.py
drives it end to end against the emulator.)"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

import pytest

from lambda_cloud import InvalidPriceError, SpendLimitExceededError
from lambda_cloud._budget import Budget, LiveCost

T = "gpu_1x_t"


def listing(*costs: LiveCost) -> Callable[[], Awaitable[Iterable[LiveCost]]]:
    async def live() -> Iterable[LiveCost]:
        return costs

    return live


async def test_a_reservation_released_while_another_opens_still_counts() -> None:
    """The list was taken while the first call ran (one of its four instances in it, tagged);
    the call ends before the second opening has priced it: what it held still counts."""
    budget = Budget()
    run = frozenset(f"run/{i}" for i in range(4))
    first = await budget.reserve(
        ceiling=600, count=4, instance_type_name=T, price=100, live=listing(), tokens=run
    )

    async def listed_as_the_first_ends() -> Iterable[LiveCost]:
        await first.release()
        return [("run/0", 100), (None, 50)]

    with pytest.raises(SpendLimitExceededError) as caught:
        await budget.reserve(
            ceiling=600, count=2, instance_type_name=T, price=100, live=listed_as_the_first_ends
        )
    assert caught.value.committed_cents == 450  # 400 held by the first, 50 running besides


async def test_a_slot_drawn_again_replaces_its_earlier_draw() -> None:
    budget = Budget()
    reservation = await budget.reserve(
        ceiling=300, count=2, instance_type_name=T, price=100, live=listing((None, 100))
    )
    await reservation.draw(0, T, 100)
    await reservation.draw(0, T, 200)  # relaunched at a higher price: 100 + 200 fits 300
    assert reservation.held == 300
    with pytest.raises(SpendLimitExceededError) as caught:
        await reservation.draw(1, T, 1)
    assert (caught.value.count, caught.value.committed_cents) == (1, 300)
    with pytest.raises(InvalidPriceError):
        await reservation.draw(1, T, -1)
    await reservation.release()
    # Released, it counts as running until the next opening lists what really runs.
    other = await budget.reserve(
        ceiling=300, count=1, instance_type_name=T, price=200, live=listing((None, 100))
    )
    assert other.held == 200
