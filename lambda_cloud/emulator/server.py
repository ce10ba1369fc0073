"""The :class:`Emulator`: a local Lambda Cloud API server, run on your loop or in a thread."""

from __future__ import annotations

import asyncio
import concurrent.futures
import random
import threading
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any

from aiohttp import web

from .app import API_PREFIX, EmulatorApp
from .catalog import DEFAULT_CAPACITY
from .clock import loop_time
from .faults import FaultSet
from .launch import LaunchAttempt
from .model import Account
from .ratelimit import GENERAL, LAUNCH, ServerRateLimiter
from .world import World

__all__ = ["Emulator"]


class Emulator:
    """A local, stateful Lambda Cloud API, written from the OpenAPI spec.

    Durations (``boot_delay``, ``terminate_delay``, ``restart_delay``, ``terminated_retention``,
    rate limits, ``Retry-After`` and fault delays) are multiplied by ``time_scale``. Instance
    lifecycles are computed from ``clock`` whenever they are read, so a
    :class:`~lambda_cloud.emulator.ManualClock` makes a run deterministic; ``seed`` seeds the
    one RNG behind ids and fault probabilities. ``capacity``, when given, replaces the default
    table of free slots per ``(instance_type, region)``.

    Use ``async with Emulator() as emu`` on your own loop, or ``with Emulator() as emu`` to run
    it on a background thread.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        boot_delay: float = 1.0,
        terminate_delay: float = 0.5,
        restart_delay: float = 0.5,
        terminated_retention: float = 5.0,
        time_scale: float = 1.0,
        seed: int | None = None,
        enforce_rate_limits: bool = False,
        clock: Callable[[], float] | None = None,
        capacity: Mapping[tuple[str, str], int] | None = None,
    ) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        for name, value in (
            ("boot_delay", boot_delay),
            ("terminate_delay", terminate_delay),
            ("restart_delay", restart_delay),
            ("terminated_retention", terminated_retention),
        ):
            if value < 0:
                raise ValueError(f"{name} cannot be negative")
        self.host = host
        self.port = port
        self.time_scale = time_scale
        self.seed = seed
        self.enforce_rate_limits = enforce_rate_limits
        self.clock: Callable[[], float] = clock if clock is not None else loop_time
        self._world = World(
            clock=self.clock,
            rng=random.Random(seed),
            boot_delay=boot_delay * time_scale,
            terminate_delay=terminate_delay * time_scale,
            restart_delay=restart_delay * time_scale,
            terminated_retention=terminated_retention * time_scale,
            capacity=DEFAULT_CAPACITY if capacity is None else capacity,
        )
        self.api_key: str = self._world.add_account(api_key).api_key
        self.faults = FaultSet()
        limiter = ServerRateLimiter(self.clock, time_scale) if enforce_rate_limits else None
        self._app = EmulatorApp(self._world, self.faults, limiter, time_scale)
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        where = self._base_url or "not started"
        return f"<Emulator {where}>"

    # -- what tests read and turn ------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://<host>:<port>/api/v1`` once started."""
        if self._base_url is None:
            raise RuntimeError("the emulator is not running; start it first")
        return self._base_url

    @property
    def rate_limits(self) -> dict[str, dict[str, float]]:
        """This server's limits (scaled), as plain numbers a client's ``rate_limits=`` takes:
        ``{"general": {"rate": ..., "burst": ...}, "launch": {...}}``, requests per second."""
        return {
            name: {"rate": limit.scaled(self.time_scale).rate, "burst": limit.burst}
            for name, limit in (("general", GENERAL), ("launch", LAUNCH))
        }

    @property
    def rate_limited_count(self) -> int:
        """How many 429s the rate limiter has served (fault-injected 429s not included)."""
        return self._app.rate_limited_count

    def rate_limited(self, api_key: str | None = None) -> int:
        """How many 429s the rate limiter has sent to ``api_key`` (default: the emulator's own
        key), as the server counts them: what clients sharing a key cost each other."""
        return self._app.rate_limited_by_key[api_key or self.api_key]

    @property
    def audit_page_size(self) -> int:
        """Events per ``GET /audit-events`` page (50 by default)."""
        return self._app.audit.page_size

    @audit_page_size.setter
    def audit_page_size(self, size: int) -> None:
        if size < 1:
            raise ValueError("page size must be at least 1")
        self._app.audit.page_size = size

    @property
    def tickets_page_size(self) -> int:
        """Tickets per ``GET /tickets`` page (25 by default)."""
        return self._app.tickets.page_size

    @tickets_page_size.setter
    def tickets_page_size(self, size: int) -> None:
        if size < 1:
            raise ValueError("page size must be at least 1")
        self._app.tickets.page_size = size

    def add_account(self) -> str:
        """Create an empty account; return its API key."""
        return self._world.add_account().api_key

    def account(self, api_key: str | None = None) -> Account:
        """The account behind ``api_key`` (default: the emulator's own), knobs and all."""
        account = self._world.account(api_key or self.api_key)
        if account is None:
            raise KeyError("no account has this API key")
        return account

    def instances(
        self, api_key: str | None = None, *, include_gone: bool = False
    ) -> list[dict[str, Any]]:
        """Instance JSON exactly as ``GET /instances`` would render it now.

        ``include_gone`` adds, first, the terminated instances already dropped from the list.
        """
        return self._app.instances.rendered(self.account(api_key), include_gone=include_gone)

    def launch_attempts(self, api_key: str | None = None) -> list[LaunchAttempt]:
        """Every launch request of the account that passed validation, in order: its type,
        region and outcome, and whether the account's latest ``GET /instance-types`` had shown
        capacity there (``listed``)."""
        with self._world.lock:
            return list(self.account(api_key).launch_attempts)

    def requests(self, api_key: str | None = None) -> list[str]:
        """The account's latest requests (up to 100,000) that got past authentication
        (throttled ones included), in order, as ``"METHOD /path"`` with the path below
        ``/api/v1``: what a test reads to prove a call sent nothing that changes state."""
        with self._world.lock:
            return list(self.account(api_key).requests)

    def set_capacity(self, instance_type: str, region: str, count: int) -> None:
        """Set the free slots for ``instance_type`` in ``region``."""
        self._world.set_capacity(instance_type, region, count)

    def schedule_capacity(self, changes: Iterable[tuple[float, str, str, int]]) -> None:
        """Change capacity over time: each ``(at_seconds, instance_type, region, count)`` sets the
        free slots to ``count`` once ``at_seconds`` (times ``time_scale``) have passed on the
        emulator's clock from now. A ``ManualClock`` applies them as it is advanced."""
        self._world.schedule_capacity(
            (at * self.time_scale, type_name, region, count)
            for at, type_name, region, count in changes
        )

    def set_price(self, instance_type: str, cents: object) -> None:
        """Set what ``instance_type`` costs from now on: its ``price_cents_per_hour`` in
        ``GET /instance-types`` and on instances launched later (running instances keep the
        price they were launched at). The value is served as given, so a test can also serve a
        price the spec does not allow (negative, ``None`` for null, a string)."""
        self._app.catalog.set_price(instance_type, cents)

    def capacity(self, instance_type: str, region: str) -> int:
        """Free slots for ``instance_type`` in ``region`` right now."""
        return self._world.capacity(instance_type, region)

    def preempt(self, instance_id: str) -> None:
        """Make an instance ``preempted`` now, as if the provider reclaimed it."""
        self._app.instances.preempt(instance_id)

    def set_unhealthy(
        self, instance_id: str, unhealthy: bool = True, *, api_key: str | None = None
    ) -> None:
        """Flag an instance unhealthy (or, with ``unhealthy=False``, healthy again).

        While flagged, an instance that would be ``active`` shows ``unhealthy``; booting,
        terminating and ended instances are unaffected. The flag stays until cleared, restarts
        included. ``api_key`` limits the search to that account (default: every account).
        ``KeyError`` if no live instance has this id.
        """
        self._app.instances.set_unhealthy(instance_id, unhealthy, api_key)

    def set_cluster(self, instance_id: str, cluster_id: str | None) -> None:
        """Put an instance in a 1-Click Cluster, for ``GET /instances?cluster_id=``."""
        with self._world.lock:
            _, instance = self._world.find_instance(instance_id)
            instance.cluster_id = cluster_id

    def assign_partition(self, instance_id: str, partition_id: str | None) -> None:
        """Put a live instance in a fabric partition (the API has no call for it); while any
        instance is assigned, deleting the partition is refused. ``KeyError`` if unknown."""
        with self._world.lock:
            account, instance = self._world.find_instance(instance_id)
            if partition_id is not None and partition_id not in account.partitions:
                raise KeyError(partition_id)
            instance.fabric_partition_id = partition_id

    def set_ticket_status(self, ticket_id: str, status: str, *, api_key: str | None = None) -> None:
        """Move a ticket to ``status``, as Support would (e.g. ``pending``, ``on_hold``)."""
        with self._world.lock:
            self.account(api_key).tickets[ticket_id].status = status

    # -- running on the caller's loop --------------------------------------------------------

    async def start(self) -> None:
        """Start serving on the running loop."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        self._app.begin()
        runner = web.AppRunner(
            self._app.build(),
            handle_signals=False,
            access_log=None,
            # A client that hangs up (say, on its own timeout) cancels its held request.
            handler_cancellation=True,
            shutdown_timeout=1.0,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        host, port = runner.addresses[0][:2]
        if ":" in host:
            host = f"[{host}]"
        self._base_url = f"http://{host}:{port}{API_PREFIX}"

    async def stop(self) -> None:
        """Stop serving: release held requests, close connections. Safe to call twice."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self._app.stopping()
        await self._app.drain()
        await runner.cleanup()
        self._base_url = None

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- running on a background thread ------------------------------------------------------

    def start_in_thread(self) -> Emulator:
        """Serve from a background thread with its own event loop; return once listening."""
        if self._thread is not None:
            raise RuntimeError("the emulator is already running in a thread")
        loop = asyncio.new_event_loop()
        started: concurrent.futures.Future[None] = concurrent.futures.Future()
        thread = threading.Thread(
            target=self._serve, args=(loop, started), name="lambda-cloud-emulator", daemon=True
        )
        thread.start()
        try:
            started.result()
        except BaseException:
            thread.join()
            raise
        self._thread, self._loop = thread, loop
        return self

    def _serve(
        self, loop: asyncio.AbstractEventLoop, started: concurrent.futures.Future[None]
    ) -> None:
        asyncio.set_event_loop(loop)
        try:
            try:
                loop.run_until_complete(self.start())
            except BaseException as exc:
                started.set_exception(exc)
                return
            started.set_result(None)
            loop.run_forever()
        finally:
            try:
                _cancel_remaining(loop)
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                asyncio.set_event_loop(None)
                loop.close()

    def stop_thread(self, timeout: float = 30.0) -> None:
        """Stop the background server and join its thread. Safe to call twice."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self.stop(), loop).result(timeout)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout)
            self._thread = self._loop = None

    def __enter__(self) -> Emulator:
        return self.start_in_thread()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop_thread()


def _cancel_remaining(loop: asyncio.AbstractEventLoop) -> None:
    tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
