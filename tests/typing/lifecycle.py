"""``instances.reap``, ``extend_expiry`` and ``costs`` keep their types on both clients.

Checked by ``mypy --strict``, never run.
"""

from __future__ import annotations

import datetime
import sys
from collections.abc import Mapping, Sequence

from lambda_cloud import AsyncLambdaCloud, CostReport, LambdaCloud, ReapReport

if sys.version_info >= (3, 11):
    from typing import assert_type
else:
    from typing_extensions import assert_type

DAY = datetime.timedelta(days=1)


class Store:
    """What a shared store implements to extend expiries."""

    async def extended_expiries(
        self, instance_ids: Sequence[str]
    ) -> Mapping[str, datetime.datetime]:
        return {}


async def async_client(client: AsyncLambdaCloud) -> None:
    assert_type(await client.instances.reap(extensions=Store()), ReapReport)
    assert_type(await client.instances.costs(since=DAY, group_by="owner"), CostReport)
    assert_type(client.owner, str)
    await client.instances.costs(since=DAY, group_by="team")  # type: ignore[arg-type]
    await client.instances.reap(extensions=object())  # type: ignore[arg-type]
    extended = await client.instances.extend_expiry(["i"], by=DAY)
    assert_type(extended, dict[str, datetime.datetime])
    await client.instances.extend_expiry(["i"], by="2h")  # type: ignore[arg-type]


def sync_client(client: LambdaCloud) -> None:
    assert_type(client.instances.reap(dry_run=False, keep=["i"]), ReapReport)
    assert_type(client.instances.costs(since=DAY), CostReport)
    until = datetime.datetime(2100, 1, 1)
    assert_type(client.instances.extend_expiry(["i"], until=until), dict[str, datetime.datetime])
    assert_type(client.default_expires_in, datetime.timedelta | None)
    client.instances.launch_many(
        1, instance_type_name="t", ssh_key_names=["k"], expires_in=DAY, expires_at=None
    )
