"""The generated sync facade: ``LambdaCloud().fleets`` plans, applies, watches and deletes."""

from __future__ import annotations

import itertools

from lambda_cloud import LambdaCloud
from lambda_cloud.emulator import Emulator

from ..bulk.helpers import FAST_RETRIES, KEY
from .helpers import check_converged, fleet


def test_the_sync_client_runs_a_fleet() -> None:
    with (
        Emulator(time_scale=0.001) as emu,
        LambdaCloud(
            api_key=emu.api_key,
            base_url=emu.base_url,
            rate_limits=emu.rate_limits,
            max_retries=FAST_RETRIES,
        ) as client,
    ):
        client.ssh_keys.create(name=KEY)
        spec = fleet(count=2)
        assert len(client.fleets.plan(spec).launch) == 2
        assert client.fleets.apply(spec).converged
        ids = check_converged(emu, 2)
        emu.preempt(ids[0])
        [report] = itertools.islice(client.fleets.watch(spec, interval=0.01), 1)
        assert report.converged
        assert [s.name for s in client.fleets.list()] == ["web"]
        assert client.fleets.status("web").live == 2
        assert client.fleets.delete("web", wait=True).ok
        assert client.fleets.status("web").live == 0
