"""The endpoints of ``/instances`` and ``/instance-operations``, one request each: list,
inspect, rename, launch, restart, terminate (``client.instances`` adds the bulk and lifecycle
operations on top)."""

from __future__ import annotations

import builtins
import datetime
from collections.abc import Sequence

import attrs

from .._api import ClientAPI
from .._compat import Unpack
from .._converter import structure
from .._options import LaunchCallOptions, RequestOptions, split_launch_options
from .._validation import check_ids, check_length, check_path_id
from ..lifecycle import ExpiresIn
from ..types.instances import Instance, LaunchInstanceRequest
from ._base import AsyncAPIResource, is_conflict
from ._instance_requests import InstanceRequests
from ._launch_request import build_launch_request, reserve, sdk_tags
from ._spend import live_costs

__all__ = ["InstanceEndpoints"]


class InstanceEndpoints(AsyncAPIResource):
    """The single-request operations on instances."""

    def __init__(self, api: ClientAPI) -> None:
        super().__init__(api)
        self._requests = InstanceRequests(api)

    async def list(
        self,
        *,
        cluster_id: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> builtins.list[Instance]:
        """Your running instances (and recently terminated ones, for a while), optionally only
        those of 1-Click Cluster ``cluster_id``."""
        params = (
            None
            if cluster_id is None
            else {"cluster_id": check_length(cluster_id, "cluster_id", min_len=1, max_len=256)}
        )
        return await self._requests.list(params=params, options=options)

    async def get(self, id: str, **options: Unpack[RequestOptions]) -> Instance:
        """The instance with this id; ``NotFoundError`` once it is gone."""
        data = await self._request("GET", f"/instances/{check_path_id(id)}", options=options)
        return structure(data, Instance)

    async def update(
        self,
        id: str,
        *,
        name: str,
        **options: Unpack[RequestOptions],
    ) -> Instance:
        """Rename an instance (up to 64 characters; ``""`` clears the name)."""
        body = {"name": check_length(name, "name", max_len=64)}
        # Setting a name is idempotent, so a lost answer may safely be retried.
        data = await self._request(
            "POST", f"/instances/{check_path_id(id)}", body=body, options=options
        )
        return structure(data, Instance)

    async def launch(
        self,
        *,
        region_name: str,
        name: str | None = None,
        max_hourly_cost_cents: int | None = None,
        expires_in: ExpiresIn | None = None,
        expires_at: datetime.datetime | None = None,
        **options: Unpack[LaunchCallOptions],
    ) -> builtins.list[str]:
        """Launch one instance named ``name`` in ``region_name`` and return its id (in a list, as
        the API does). ``options`` say what to launch (see ``LaunchOptions``): at least
        ``instance_type_name`` and ``ssh_key_names``; and the call's ``RequestOptions``
        (``LaunchCallOptions`` holds both).

        Retried only when the request provably had no effect (429, connection refused). If the
        outcome is unknown (a timeout after sending, a broken connection, a 5xx or ``provider/*``
        error, a success without the new id) this raises
        ``LaunchOutcomeUnknownError`` rather than risk paying for a duplicate: see
        ``launch_many`` for launches that reconcile by themselves.

        With ``max_hourly_cost_cents`` (or the client's), the type's price and the account's
        live instances are listed first, and a launch that would take what the account runs,
        plus what the client's other guarded calls hold, past that many cents per hour raises
        ``SpendLimitExceededError`` unsent (``InvalidPriceError`` for a price that is not one).

        The instance is tagged with the client's ``owner`` and, given ``expires_in`` (seconds
        or a ``timedelta``) or ``expires_at`` (or the client's ``default_expires_in``), with
        when it expires: ``reap`` terminates it after that.
        """
        what, sent = split_launch_options(options)
        request = build_launch_request(region_name=region_name, name=name, **what)
        tags = sdk_tags(self._api, request.tags, expires_in, expires_at)
        request = attrs.evolve(request, tags=[*(request.tags or ()), *tags])
        reservation, _ = await reserve(
            self._api, [request.instance_type_name], 1, max_hourly_cost_cents, sent
        )

        async def build() -> LaunchInstanceRequest:
            return request

        try:
            return await self._requests.launch(build, options=sent)
        finally:
            if reservation is not None:
                await reservation.release()

    async def hourly_cost_cents(self, **options: Unpack[RequestOptions]) -> int:
        """What the account's live instances (not terminating, terminated or preempted) cost
        per hour, in US cents: one list call (each instance carries its type's price;
        ``InvalidPriceError`` if one is not a whole number of cents)."""
        instances = await self.list(**options)
        return sum(cost for _, cost in live_costs(instances))

    async def restart(
        self,
        ids: Sequence[str],
        **options: Unpack[RequestOptions],
    ) -> builtins.list[Instance]:
        """Restart instances; returns them as the API reports them after the request."""
        instance_ids = check_ids(ids, "ids")
        data = await self._request(
            "POST",
            "/instance-operations/restart",
            body={"instance_ids": instance_ids},
            options=options,
            done_if=is_conflict,
        )
        if data is None:  # restarted by an attempt whose answer was lost
            return await self._requests.listed(instance_ids, options=options)
        return structure(data["restarted_instances"], builtins.list[Instance])

    async def terminate(
        self,
        ids: Sequence[str],
        **options: Unpack[RequestOptions],
    ) -> builtins.list[Instance]:
        """Terminate instances; an unknown id fails the whole call with ``NotFoundError``.

        Instances already terminating or terminated are returned as they are. If a retry of a
        single-id call finds the instance gone after an attempt whose answer was lost, the
        terminate counts as done (the result then holds it only if it is still listed).
        """
        instance_ids = check_ids(ids, "ids")
        # With several ids, a 404 may name one that never existed, in which case the API
        # terminated none of them: only a lone id's 404 can be the lost attempt's work.
        return await self._requests.terminate(
            instance_ids, options=options, gone_is_done=len(instance_ids) == 1
        )
