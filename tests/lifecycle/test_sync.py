"""The sync facade's ``reap`` and ``costs``, with an async extension store."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence

from lambda_cloud import LambdaCloud
from lambda_cloud.emulator import Emulator, ManualClock

UTC = datetime.timezone.utc
HOUR = datetime.timedelta(hours=1)


class Store:
    def __init__(self, until: datetime.datetime) -> None:
        self.until = until

    async def extended_expiries(
        self, instance_ids: Sequence[str]
    ) -> Mapping[str, datetime.datetime]:
        return dict.fromkeys(instance_ids, self.until)


def test_reap_and_costs_through_the_sync_client() -> None:
    clock = ManualClock()
    with (
        Emulator(clock=clock, seed=3) as emu,
        LambdaCloud(
            api_key=emu.api_key, base_url=emu.base_url, rate_limits=None, owner="sync"
        ) as client,
    ):
        client.ssh_keys.create("k")
        ids = client.instances.launch_many(
            2, instance_type_name="gpu_1x_a10", ssh_key_names=["k"], expires_in=HOUR
        ).ids
        clock.advance(7200)
        now = datetime.datetime.now(UTC) + 2 * HOUR
        held = client.instances.reap(now=now, dry_run=False, extensions=Store(now + HOUR))
        assert sorted(e.id for e in held.extended) == sorted(ids) and held.terminated is None
        reaped = client.instances.reap(now=now, dry_run=False)
        assert reaped.terminated is not None and sorted(reaped.terminated.outcomes) == sorted(ids)
        spent = client.instances.costs(since=3 * HOUR, until=now, group_by="type")
        (group,) = spent.groups
        assert group.instances == 2 and group.cents > 0
