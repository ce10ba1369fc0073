"""The request pipeline: authentication, rate limits, faults, the ``{"data": ...}`` envelope and
dispatch to the noun modules' routes. What any endpoint does is in its noun's module
(``instances.py``, ``launch.py``, ``ssh_keys.py``, ``filesystems.py``, ``firewall.py``,
``catalog.py``, ``audit.py``, ``fabric.py``, ``tickets.py``, ``attachments.py``)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import collections
import contextlib
import logging
import socket
import struct
from collections.abc import Mapping
from typing import Any

import orjson
from aiohttp import web

from .attachments import STORAGE_PREFIX, Attachments
from .audit import AuditLog
from .catalog import Catalog
from .errors import RATE_LIMITED, ApiError, error_body, invalid
from .fabric import Fabric
from .faults import Fault, FaultSet
from .filesystems import Filesystems
from .firewall import Firewall
from .instances import Instances
from .launch import Launcher
from .model import Account
from .ratelimit import ServerRateLimiter, retry_after_headers
from .routing import MAX_BODY_BYTES, Call, Noun, Page, Route
from .ssh_keys import SshKeys
from .tickets import Tickets
from .world import World

__all__ = ["API_PREFIX", "EmulatorApp"]

API_PREFIX = "/api/v1"

log = logging.getLogger("lambda_cloud.emulator")

# Error code a status-kind fault uses when it names none.
_FAULT_CODES = {
    400: "global/invalid-parameters",
    401: "global/invalid-api-key",
    403: "global/account-inactive",
    404: "global/not-found",
    409: "global/conflict",
    429: RATE_LIMITED,
    500: "global/internal-error",
}


def _fault_code(status: int, rel: str) -> str:
    """The default code of a status fault; the spec's 409 on firewall rulesets is internal."""
    if status == 409 and (rel == "/firewall-rulesets" or rel.startswith("/firewall-rulesets/")):
        return "global/internal-error"
    return _FAULT_CODES.get(status, "provider/internal-unavailable")


def _envelope(result: Any) -> dict[str, Any]:
    """A handler's answer in the API's success envelope."""
    if isinstance(result, Page):
        return {"data": result.data, "page_token": result.page_token}
    return {"data": result}


class EmulatorApp:
    """The aiohttp application of one emulator, and the nouns it serves."""

    def __init__(
        self,
        world: World,
        faults: FaultSet,
        limiter: ServerRateLimiter | None,
        time_scale: float,
    ) -> None:
        self.world = world
        self.audit = AuditLog(world)
        self.catalog = Catalog(world)
        self.instances = Instances(world, self.audit)
        self.launcher = Launcher(world, self.audit, self.catalog)
        self.ssh_keys = SshKeys(world, self.audit)
        self.filesystems = Filesystems(world, self.audit)
        self.firewall = Firewall(world, self.audit)
        self.fabric = Fabric(world, self.audit)
        self.tickets = Tickets(world)
        self.attachments = Attachments(world)
        self.routes: list[Route] = [route for noun in self._nouns() for route in noun.routes()]
        self.faults = faults
        self.limiter = limiter
        self.time_scale = time_scale
        self.rate_limited_count = 0
        #: The rate limiter's 429s, per API key.
        self.rate_limited_by_key: collections.Counter[str] = collections.Counter()
        self._stopping: asyncio.Event | None = None
        # Late commits in progress: they outlive their request, so the app owns them.
        self._late: set[asyncio.Task[tuple[int, dict[str, Any]] | None]] = set()

    def _nouns(self) -> tuple[Noun, ...]:
        """Every noun, in the order their routes are tried (no two nouns' routes overlap)."""
        return (
            self.instances,
            self.catalog,
            self.launcher,
            self.ssh_keys,
            self.filesystems,
            self.firewall,
            self.audit,
            self.fabric,
            self.tickets,
            self.attachments,
        )

    # -- aiohttp wiring ----------------------------------------------------------------------

    def build(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        # (?s): a path holding a newline (%0A) must reach the handler, and its JSON 404, too.
        app.router.add_route("*", "/{tail:(?s:.*)}", self.handle)
        return app

    def begin(self) -> None:
        """Called on the server's loop before it serves."""
        self._stopping = asyncio.Event()

    def stopping(self) -> None:
        """Release every held or delayed request: the emulator is shutting down."""
        if self._stopping is not None:
            self._stopping.set()

    async def drain(self) -> None:
        """Wait for the late commits still held (``stopping()`` releases them uncommitted)."""
        while self._late:
            await asyncio.gather(*self._late, return_exceptions=True)

    # -- request pipeline --------------------------------------------------------------------

    def _authenticate(self, header: str | None) -> Account | None:
        for key in _candidate_keys(header):
            account = self.world.account(key)
            if account is not None:
                return account
        return None

    def _match(self, method: str, path: str) -> tuple[Route | None, dict[str, str]]:
        for route in self.routes:
            if route.method == method:
                found = route.pattern.fullmatch(path)
                if found:
                    return route, found.groupdict()
        return None, {}

    def _admit(self, request: web.Request, route: Route | None) -> Account | web.Response:
        """The caller's account, or the answer refusing it: 401, 403, or 429 past its rate."""
        account = self._authenticate(request.headers.get("Authorization"))
        if account is None:
            return _error(ApiError("global/invalid-api-key"))
        if account.inactive:
            return _error(ApiError("global/account-inactive"))
        if self.limiter is not None:
            wait = self.limiter.check(account.api_key, launch=route is not None and route.launch)
            if wait is not None:
                self.rate_limited_count += 1
                self.rate_limited_by_key[account.api_key] += 1
                return _error(ApiError(RATE_LIMITED), retry_after_headers(wait))
        return account

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith(STORAGE_PREFIX):
            return await self.attachments.serve_storage(request, path[len(STORAGE_PREFIX) :])
        if path != API_PREFIX and not path.startswith(API_PREFIX + "/"):
            return _error(ApiError("global/not-found"))
        rel = path[len(API_PREFIX) :] or "/"
        route, params = self._match(request.method, rel)
        account = self._admit(request, route)
        if isinstance(account, web.Response):
            return account
        with self.world.lock:
            account.requests.append(f"{request.method} {rel}")
        fault = self.faults.pick(request.method, rel, self.world.random)
        if fault is not None:
            early = await self._fault_before(request, fault)
            if early is not None:
                return early
        raw_body = await _read_body(request)
        if isinstance(raw_body, web.Response):
            return raw_body
        call = Call(account, params, request.query, raw_body, _origin(request))
        if fault is not None and fault.kind == "late_commit":
            return await self._late_commit(request, fault, route, call)
        status, payload = self._run(route, call)
        if fault is not None:
            return await self._fault_after(request, fault, status, payload)
        return _json(status, payload)

    def _run(self, route: Route | None, call: Call) -> tuple[int, dict[str, Any]]:
        try:
            if route is None:
                raise ApiError("global/not-found")
            return route.status, _envelope(route.handler(call))
        except ApiError as exc:
            return exc.status, exc.body()
        except Exception:
            # An emulator bug: answer in the API's shape, and say so loudly in the log (naming
            # the route only: the call holds the account, API key included).
            where = f"{route.method} {route.pattern.pattern}" if route else "?"
            log.exception("emulator failed to handle %s", where)
            error = ApiError("global/internal-error", status=500)
            return error.status, error.body()

    # -- faults ------------------------------------------------------------------------------

    async def _pause(self, seconds: float | None) -> bool:
        """Sleep ``seconds`` (None: forever); False if the emulator began stopping meanwhile."""
        if self._stopping is None:
            raise RuntimeError("the emulator app was not started")
        if self._stopping.is_set():
            return False
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except asyncio.TimeoutError:
            return True
        return False

    async def _fault_before(self, request: web.Request, fault: Fault) -> web.StreamResponse | None:
        if fault.kind == "status":
            status = fault.status or 503
            code = fault.code or _fault_code(status, request.path[len(API_PREFIX) :])
            error = ApiError(code, fault.message, status=status)
            headers = {}
            if fault.retry_after is not None:
                headers = retry_after_headers(
                    fault.retry_after * self.time_scale, at_least_one=False
                )
            return _error(error, headers)
        if fault.kind == "reset_before_commit":
            return _drop(request)
        if fault.kind == "delay" and not await self._pause(fault.delay * self.time_scale):
            return _drop(request)
        return None

    async def _late_commit(
        self, request: web.Request, fault: Fault, route: Route | None, call: Call
    ) -> web.StreamResponse:
        """Hold, then apply the request in a task of its own: aiohttp cancels the handler when
        the client hangs up, and the operation must happen all the same."""
        task = asyncio.ensure_future(self._commit_later(fault.delay * self.time_scale, route, call))
        self._late.add(task)
        task.add_done_callback(self._late_done)
        # Cancelling this handler (the client hung up) leaves the shielded task running.
        outcome = await asyncio.shield(task)
        if outcome is None:  # the emulator began stopping first: nothing was applied
            return _drop(request)
        return _json(*outcome)

    def _late_done(self, task: asyncio.Task[tuple[int, dict[str, Any]] | None]) -> None:
        self._late.discard(task)
        if not task.cancelled() and task.exception() is not None:  # nobody else may look
            log.error("late commit failed", exc_info=task.exception())

    async def _commit_later(
        self, hold: float, route: Route | None, call: Call
    ) -> tuple[int, dict[str, Any]] | None:
        if not await self._pause(hold):
            return None
        return self._run(route, call)

    async def _fault_after(
        self, request: web.Request, fault: Fault, status: int, payload: dict[str, Any]
    ) -> web.StreamResponse:
        if fault.kind == "reset_after_commit":
            return _drop(request)
        if fault.kind == "timeout_after_commit":
            hold = fault.delay * self.time_scale if fault.delay > 0 else None
            if not await self._pause(hold):
                return _drop(request)
        if fault.kind == "malformed_body":
            body = orjson.dumps(payload)
            # Any proper prefix of a JSON object is invalid JSON.
            return web.Response(
                body=body[: max(1, len(body) // 2)],
                status=status,
                content_type="application/json",
            )
        return _json(status, payload)


def _candidate_keys(header: str | None) -> list[str]:
    """The API keys an ``Authorization`` header may carry: ``Bearer <key>``, and both
    ``Basic base64("<key>:")`` and ``Basic <key>``, which are documented."""
    scheme, _, credentials = (header or "").strip().partition(" ")
    credentials = credentials.strip()
    if not credentials:
        return []
    if scheme.lower() == "bearer":
        return [credentials]
    if scheme.lower() != "basic":
        return []
    candidates = [credentials]
    with contextlib.suppress(binascii.Error, UnicodeDecodeError, ValueError):
        decoded = base64.b64decode(credentials, validate=True).decode()
        candidates.append(decoded.partition(":")[0])
    return candidates


async def _read_body(request: web.Request) -> bytes | web.Response:
    """The body, or a 400 past ``MAX_BODY_BYTES``: announced (refused unread) or read so far."""
    too_large = invalid(f"body: larger than {MAX_BODY_BYTES} bytes")
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return _error(too_large)
    try:
        return await request.read()  # stops at MAX_BODY_BYTES when no length was given
    except web.HTTPRequestEntityTooLarge:
        return _error(too_large)


def _origin(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def _json(
    status: int, payload: dict[str, Any], headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=orjson.dumps(payload), status=status, content_type="application/json", headers=headers
    )


def _error(error: ApiError, headers: Mapping[str, str] | None = None) -> web.Response:
    return _json(error.status, error_body(error.code, error.message, error.suggestion), headers)


def _drop(request: web.Request) -> web.Response:
    """Cut the connection with a TCP reset; the returned response is never sent."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # SO_LINGER 0 turns the close into an RST, like a crashed proxy, not a polite FIN.
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    return web.Response(status=500)
