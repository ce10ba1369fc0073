"""The requests the bulk engine makes, as an interface the instances resource implements.

Bulk code reaches the API through this and nothing else: it imports no resource and no client,
so calls flow one way (resource -> bulk -> this interface -> transport), and the engine can be
driven by anything that answers these four calls. A spend-guarded launch also gets the
client's spend budget the same way, as a ``SlotBudget``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from .._deadline import Deadline
from ..types.instance_types import InstanceTypesItem
from ..types.instances import Instance, LaunchInstanceRequest

__all__ = ["InstancesAPI", "RequestBuilder", "SlotBudget"]

#: Makes a launch request once its rate-limit slot is reserved (and again on each retry).
RequestBuilder = Callable[[], Awaitable[LaunchInstanceRequest]]


class InstancesAPI(Protocol):
    """One bulk call's view of the API, bound to its ``request_timeout``.

    The list and terminate calls are safe to repeat: they retry transient failures until
    ``deadline`` (for one that never ends, the retry policy's ``retry_window`` from the first
    failure: ``DEFAULT_RETRY_WINDOW`` seconds by default), then raise
    ``DeadlineExceededError``; so does a launch that keeps being answered 429.
    """

    async def list_instances(self, deadline: Deadline) -> list[Instance]:
        """Every instance of the account (recently terminated ones included, for a while)."""
        ...

    async def list_instance_types(self, deadline: Deadline) -> dict[str, InstanceTypesItem]:
        """Every instance type by name, with the regions that have capacity."""
        ...

    async def launch(self, build: RequestBuilder, deadline: Deadline) -> list[str]:
        """One launch, paced by the client's rate limits and retried only where it provably had
        no effect; an unknown outcome raises ``LaunchOutcomeUnknownError``. It queues for its
        rate-limit slot as long as ``deadline`` allows (else ``PacingTimeoutError``, with
        nothing sent), then gets the whole request timeout."""
        ...

    async def terminate(self, ids: list[str], deadline: Deadline) -> list[Instance]:
        """Terminate ``ids``. Every 404 raises ``NotFoundError``, even on a retry after a lost
        answer: the caller tells an unknown id from a terminated one."""
        ...


class SlotBudget(Protocol):
    """A spend-guarded run's share of the client's spend budget, which each slot's launch
    draws on, at the price the latest instance-types listing gives, before it is sent."""

    async def draw(self, slot: int, instance_type_name: str, price_cents_per_hour: object) -> None:
        """Hold ``slot``'s launch at this price in place of what the slot held before; raise
        ``SpendLimitExceededError`` if the budget has not that much left, ``InvalidPriceError``
        if the price is not a whole number of cents (``None``: the listing had none)."""
        ...
