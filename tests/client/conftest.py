"""Helpers for the client and transport tests.

- ``recorded_sleeps(client)``: makes a client's retry waits instant and returns the list of
  seconds it would have slept.
"""

from __future__ import annotations

from lambda_cloud import AsyncLambdaCloud


def recorded_sleeps(client: AsyncLambdaCloud) -> list[float]:
    """Replace the client's retry sleep with an instant one; return what it was asked for."""
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    client._transport._sleep = sleep
    return slept
