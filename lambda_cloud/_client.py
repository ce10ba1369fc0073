"""``AsyncLambdaCloud``: configuration, resources, ``with_options`` and closing."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

import aiohttp

from ._api import ClientAPI
from ._budget import budget_for
from ._config import (
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    Timeout,
    check_expires_in,
    check_max_response_bytes,
    check_spend_ceiling,
    resolve_api_key,
    resolve_base_url,
    resolve_owner,
    to_client_timeout,
)
from ._ratelimit import (
    DEFAULT_RATE_LIMITS,
    RateLimiter,
    RateLimits,
    RateLimitsLike,
    limiter_for,
)
from ._retry import RetryPolicy
from ._security import conceal
from ._transport import SessionHolder, Transport
from ._validation import check_bool, check_headers

if TYPE_CHECKING:
    from .resources.audit_events import AsyncAuditEvents, AsyncAuditEventsWithRawResponse
    from .resources.fabric import AsyncFabricPartitions, AsyncFabricPartitionsWithRawResponse
    from .resources.file_systems import AsyncFileSystems, AsyncFileSystemsWithRawResponse
    from .resources.firewall import AsyncFirewall, AsyncFirewallWithRawResponse
    from .resources.fleets import AsyncFleets, AsyncFleetsWithRawResponse
    from .resources.images import AsyncImages, AsyncImagesWithRawResponse
    from .resources.instance_types import AsyncInstanceTypes, AsyncInstanceTypesWithRawResponse
    from .resources.instances import AsyncInstances, AsyncInstancesWithRawResponse
    from .resources.regions import AsyncRegions, AsyncRegionsWithRawResponse
    from .resources.ssh_keys import AsyncSSHKeys, AsyncSSHKeysWithRawResponse
    from .resources.tickets import AsyncTickets, AsyncTicketsWithRawResponse

__all__ = ["AsyncLambdaCloud", "AsyncLambdaCloudWithRawResponse"]


class AsyncLambdaCloud:
    """Async client for the Lambda Cloud API.

    ``api_key`` defaults to ``$LAMBDA_API_KEY`` and ``base_url`` to ``$LAMBDA_BASE_URL``, then
    ``https://cloud.lambda.ai/api/v1``. ``timeout`` is seconds for a whole request or an
    ``aiohttp.ClientTimeout``; ``max_retries`` applies to requests that are safe to retry.
    ``rate_limits`` paces requests to the API's documented limits (``None`` turns pacing off;
    a plain mapping such as ``Emulator.rate_limits`` is accepted, see ``RateLimits.coerce``),
    slowing down when 429s say other processes use the key too; with ``RateLimits(shared=...)``
    or ``$LAMBDA_CLOUD_SHARED_STATE`` (a ``redis://`` URL), every process using the key paces
    from one pair of buckets kept in Redis, and ``launch_many`` leases its ``run_id`` there.
    Pass ``session`` to borrow an aiohttp session you own; otherwise one is created on first use
    and closed by ``aclose()`` or ``async with`` (a closed client raises ``ClientClosedError``).
    Plain ``http://`` is refused except to this machine, unless ``allow_insecure_http=True``.
    Redirects are never followed, and a response body larger than ``max_response_bytes``
    (decompressed) raises ``ResponseTooLargeError``.
    ``max_hourly_cost_cents`` is a spend guard for every ``instances.launch`` and
    ``launch_many`` that does not set its own: a budget that counts what the account runs and
    what the client's guarded calls in progress hold (with a shared store: every process's),
    so that together they never pass it (a launch that would raises
    ``SpendLimitExceededError`` before it is sent).
    Every launch is tagged with ``owner`` (default ``$LAMBDA_CLOUD_OWNER``, else
    ``<user>@<host>``), which ``instances.reap`` matches, and expires after
    ``default_expires_in`` (seconds or a ``timedelta``) unless it gives its own expiry.
    Every option is checked here: a bad one raises ``ValidationError`` naming it.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: int | RetryPolicy = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        session: aiohttp.ClientSession | None = None,
        trace_configs: list[aiohttp.TraceConfig] | None = None,
        rate_limits: RateLimitsLike | None = DEFAULT_RATE_LIMITS,
        allow_insecure_http: bool = False,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_hourly_cost_cents: int | None = None,
        owner: str | None = None,
        default_expires_in: float | datetime.timedelta | None = None,
    ) -> None:
        api_key = conceal(api_key)  # first: any error below has it in its frame's locals
        key = resolve_api_key(api_key)
        self._allow_insecure_http = allow_insecure_http
        url = resolve_base_url(base_url, allow_insecure_http=allow_insecure_http)
        limiter = limiter_for(
            None if rate_limits is None else RateLimits.coerce(rate_limits),
            api_key=key,
            base_url=url,
        )
        transport = Transport(
            api_key=key,
            base_url=url,
            timeout=to_client_timeout(timeout),
            retry_policy=RetryPolicy.coerce(max_retries),
            default_headers=check_headers(default_headers),
            sessions=SessionHolder(session, trace_configs=trace_configs),
            rate_limiter=limiter,
            max_response_bytes=check_max_response_bytes(max_response_bytes),
        )
        # All the resources see of this client. Its budget holds what guarded launches hold,
        # for every copy on this account (each its own ceiling).
        self._api = ClientAPI(
            transport=transport,
            budget=budget_for(limiter),
            max_hourly_cost_cents=check_spend_ceiling(max_hourly_cost_cents),
            owner=resolve_owner(owner),
            default_expires_in=None
            if default_expires_in is None
            else check_expires_in(default_expires_in, "default_expires_in"),
        )
        self._api_key = key
        self._owns_transport = True
        # Every limiter this client and its copies made, closed with the pool.
        self._limiters: list[RateLimiter] = [] if limiter is None else [limiter]

    # Resources are built, and their modules imported, on first use (as anthropic-sdk-python
    # does): `import lambda_cloud` stays cheap, and so do the copies `with_options` makes. Not a
    # cycle dodged: resources import nothing of this module; each gets the client's `ClientAPI`.

    @property
    def _transport(self) -> Transport:
        return self._api.transport

    @cached_property
    def instances(self) -> AsyncInstances:
        """Your instances, and the operations that launch, restart and terminate them."""
        from .resources.instances import AsyncInstances

        return AsyncInstances(self._api)

    @cached_property
    def instance_types(self) -> AsyncInstanceTypes:
        """Instance types offered on Lambda's public cloud."""
        from .resources.instance_types import AsyncInstanceTypes

        return AsyncInstanceTypes(self._api)

    @cached_property
    def ssh_keys(self) -> AsyncSSHKeys:
        """SSH keys stored in your account."""
        from .resources.ssh_keys import AsyncSSHKeys

        return AsyncSSHKeys(self._api)

    @cached_property
    def file_systems(self) -> AsyncFileSystems:
        """Shared file systems, mounted on instances at launch."""
        from .resources.file_systems import AsyncFileSystems

        return AsyncFileSystems(self._api)

    @cached_property
    def images(self) -> AsyncImages:
        """Images available to launch."""
        from .resources.images import AsyncImages

        return AsyncImages(self._api)

    @cached_property
    def regions(self) -> AsyncRegions:
        """The regions of Lambda's public cloud."""
        from .resources.regions import AsyncRegions

        return AsyncRegions(self._api)

    @cached_property
    def firewall(self) -> AsyncFirewall:
        """``rules`` (the account's inbound rules) and ``rulesets`` (named, per-region rulesets)."""
        from .resources.firewall import AsyncFirewall

        return AsyncFirewall(self._api)

    @cached_property
    def audit_events(self) -> AsyncAuditEvents:
        """Audit events: who did what to which resource, and when."""
        from .resources.audit_events import AsyncAuditEvents

        return AsyncAuditEvents(self._api)

    @cached_property
    def fabric_partitions(self) -> AsyncFabricPartitions:
        """Fabric partitions: create, rename, delete."""
        from .resources.fabric import AsyncFabricPartitions

        return AsyncFabricPartitions(self._api)

    @cached_property
    def fleets(self) -> AsyncFleets:
        """Fleets: named sets of instances kept at a count, replaced when they end."""
        from .resources.fleets import AsyncFleets

        return AsyncFleets(self._api)

    @cached_property
    def tickets(self) -> AsyncTickets:
        """Support tickets: list, open, read, update and comment; ``attachments`` for files."""
        from .resources.tickets import AsyncTickets

        return AsyncTickets(self._api)

    @property
    def with_raw_response(self) -> AsyncLambdaCloudWithRawResponse:
        """Every resource method, returning an ``APIResponse`` instead of its value: status,
        headers, ``request_id``, ``elapsed``, ``content``, and ``parse()`` for the value, as
        in ``await client.with_raw_response.instances.get(id)``."""
        # Not cached: kept on the client it would point back at it, a cycle only the garbage
        # collector frees (with the sync client's event loop and pool).
        return AsyncLambdaCloudWithRawResponse(self)

    @property
    def base_url(self) -> str:
        """The API root every path is appended to (it includes ``/api/v1``)."""
        return self._transport.base_url

    @property
    def max_hourly_cost_cents(self) -> int | None:
        """The client-wide spend guard, in US cents per hour (``None``: none)."""
        return self._api.max_hourly_cost_cents

    @property
    def owner(self) -> str:
        """The owner every launch is tagged with, and ``instances.reap`` reaps by default."""
        return self._api.owner

    @property
    def default_expires_in(self) -> datetime.timedelta | None:
        """How long after launch an instance expires unless its launch says (``None``: never)."""
        return self._api.default_expires_in

    @property
    def rate_limits(self) -> RateLimits | None:
        """The pacing this client applies, or ``None``."""
        limiter = self._transport.rate_limiter
        return None if limiter is None else limiter.limits

    def __repr__(self) -> str:
        # Also shown for a client whose __init__ raised (a traceback's locals): never raises.
        api = getattr(self, "_api", None)
        if api is None:
            return f"<{type(self).__name__} (not initialised)>"
        return f"{type(self).__name__}(base_url={api.base_url!r})"

    def with_options(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: Timeout | None = None,
        max_retries: int | RetryPolicy | None = None,
        default_headers: Mapping[str, str] | None = None,
        rate_limits: RateLimitsLike | Literal["inherit"] | None = "inherit",
        allow_insecure_http: bool | None = None,
        max_response_bytes: int | None = None,
        max_hourly_cost_cents: int | Literal["inherit"] | None = "inherit",
        owner: str | None = None,
        default_expires_in: float | datetime.timedelta | Literal["inherit"] | None = "inherit",
    ) -> AsyncLambdaCloud:
        """A client with some options changed that shares this one's connection pool and, unless
        ``rate_limits`` is given (``None`` turns pacing off), its rate-limit buckets.
        ``max_hourly_cost_cents=None`` removes the spend guard. Unless ``api_key`` or
        ``base_url`` changes the account, the copy shares the spend budget: a guarded launch on
        either counts what the other's guarded calls hold, under its own ceiling.
        ``default_expires_in=None`` removes the default expiry."""
        api_key = conceal(api_key)  # first: any error below has it in its frame's locals
        api = self._api
        ceiling = (
            api.max_hourly_cost_cents
            if max_hourly_cost_cents == "inherit"
            else check_spend_ceiling(max_hourly_cost_cents)
        )
        expiry = api.default_expires_in
        if default_expires_in != "inherit":
            expiry = (
                None
                if default_expires_in is None
                else check_expires_in(default_expires_in, "default_expires_in")
            )
        whose = api.owner if owner is None else resolve_owner(owner)
        current = api.transport
        insecure = (
            self._allow_insecure_http
            if allow_insecure_http is None
            else check_bool(allow_insecure_http, "allow_insecure_http")
        )
        key = self._api_key if api_key is None else resolve_api_key(api_key)
        url = (
            current.base_url
            if base_url is None
            else resolve_base_url(base_url, allow_insecure_http=insecure)
        )
        limiter = current.rate_limiter
        if rate_limits != "inherit":
            limits = None if rate_limits is None else RateLimits.coerce(rate_limits)
            limiter = limiter_for(limits, api_key=key, base_url=url)
            if limiter is not None:
                self._limiters.append(limiter)
        elif limiter is not None and (key != self._api_key or url != current.base_url):
            limiter = limiter.for_account(api_key=key, base_url=url)
        transport = Transport(
            api_key=key,
            base_url=url,
            timeout=current.timeout if timeout is None else to_client_timeout(timeout),
            retry_policy=current.retry_policy
            if max_retries is None
            else RetryPolicy.coerce(max_retries),
            default_headers={**current.default_headers, **check_headers(default_headers)},
            sessions=current.sessions,
            rate_limiter=limiter,
            max_response_bytes=current.max_response_bytes
            if max_response_bytes is None
            else check_max_response_bytes(max_response_bytes),
        )
        budget = api.budget
        shared = None if limiter is None else limiter.shared_account()
        was_shared = None if current.rate_limiter is None else current.rate_limiter.shared_account()
        if key != self._api_key or url != current.base_url or shared != was_shared:
            budget = budget_for(limiter)  # another account's books, or another store's
        copy = object.__new__(type(self))
        copy._api = ClientAPI(
            transport=transport,
            budget=budget,
            max_hourly_cost_cents=ceiling,
            owner=whose,
            default_expires_in=expiry,
        )
        copy._api_key = key
        copy._allow_insecure_http = insecure
        copy._limiters = self._limiters
        copy._owns_transport = False  # the pool belongs to the client it came from
        return copy

    async def aclose(self) -> None:
        """Close the connection pool, and the shared store's connections, if this client
        created them (copies leave them open)."""
        if self._owns_transport:
            await self._transport.sessions.close()
            for limiter in self._limiters:
                await limiter.close()

    async def __aenter__(self) -> AsyncLambdaCloud:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __getstate__(self) -> Any:
        raise TypeError(f"{type(self).__name__} cannot be pickled")


class AsyncLambdaCloudWithRawResponse:
    """``client.with_raw_response``: the client's resources, each method returning the
    ``APIResponse`` of its value (see ``lambda_cloud._raw``). A resource's module is imported
    on first use, as by the client."""

    def __init__(self, client: AsyncLambdaCloud) -> None:
        self._client = client

    @property
    def instances(self) -> AsyncInstancesWithRawResponse:
        from .resources.instances import AsyncInstancesWithRawResponse

        return AsyncInstancesWithRawResponse(self._client.instances)

    @property
    def instance_types(self) -> AsyncInstanceTypesWithRawResponse:
        from .resources.instance_types import AsyncInstanceTypesWithRawResponse

        return AsyncInstanceTypesWithRawResponse(self._client.instance_types)

    @property
    def ssh_keys(self) -> AsyncSSHKeysWithRawResponse:
        from .resources.ssh_keys import AsyncSSHKeysWithRawResponse

        return AsyncSSHKeysWithRawResponse(self._client.ssh_keys)

    @property
    def file_systems(self) -> AsyncFileSystemsWithRawResponse:
        from .resources.file_systems import AsyncFileSystemsWithRawResponse

        return AsyncFileSystemsWithRawResponse(self._client.file_systems)

    @property
    def images(self) -> AsyncImagesWithRawResponse:
        from .resources.images import AsyncImagesWithRawResponse

        return AsyncImagesWithRawResponse(self._client.images)

    @property
    def regions(self) -> AsyncRegionsWithRawResponse:
        from .resources.regions import AsyncRegionsWithRawResponse

        return AsyncRegionsWithRawResponse(self._client.regions)

    @property
    def firewall(self) -> AsyncFirewallWithRawResponse:
        from .resources.firewall import AsyncFirewallWithRawResponse

        return AsyncFirewallWithRawResponse(self._client.firewall)

    @property
    def audit_events(self) -> AsyncAuditEventsWithRawResponse:
        from .resources.audit_events import AsyncAuditEventsWithRawResponse

        return AsyncAuditEventsWithRawResponse(self._client.audit_events)

    @property
    def fabric_partitions(self) -> AsyncFabricPartitionsWithRawResponse:
        from .resources.fabric import AsyncFabricPartitionsWithRawResponse

        return AsyncFabricPartitionsWithRawResponse(self._client.fabric_partitions)

    @property
    def fleets(self) -> AsyncFleetsWithRawResponse:
        from .resources.fleets import AsyncFleetsWithRawResponse

        return AsyncFleetsWithRawResponse(self._client.fleets)

    @property
    def tickets(self) -> AsyncTicketsWithRawResponse:
        from .resources.tickets import AsyncTicketsWithRawResponse

        return AsyncTicketsWithRawResponse(self._client.tickets)
