"""HTTP layer: routing, authentication, rate limiting, faults, request parsing, JSON answers."""

from __future__ import annotations

import asyncio
import base64
import binascii
import collections
import contextlib
import logging
import re
import socket
import struct
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import orjson
from aiohttp import web
from multidict import MultiMapping

from . import catalog, validation
from .errors import RATE_LIMITED, ApiError, error_body, invalid
from .fabric import Fabric
from .faults import Fault, FaultSet
from .model import Account
from .ratelimit import ServerRateLimiter, retry_after_headers
from .tickets import STORAGE_PREFIX, Tickets
from .validation import obj, optional_string, string
from .world import World

__all__ = ["API_PREFIX", "EmulatorApp"]

API_PREFIX = "/api/v1"
MAX_BODY_BYTES = 8 * 1024 * 1024

log = logging.getLogger("lambda_cloud.emulator")

Handler = Callable[["Call"], dict[str, Any]]

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


@attrs.frozen
class Call:
    """One authenticated request, as a handler sees it."""

    account: Account
    params: Mapping[str, str]
    query: MultiMapping[str]
    raw_body: bytes
    origin: str  # scheme://host:port, for URLs the emulator serves itself

    def body(self) -> Any:
        """The request body parsed as JSON (400 if it is missing or not JSON)."""
        if not self.raw_body.strip():
            raise validation.parse_error("body: a JSON object is required")
        try:
            return orjson.loads(self.raw_body)
        except orjson.JSONDecodeError:
            raise validation.parse_error("body: not valid JSON") from None


@attrs.frozen
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    launch: bool = False
    status: int = 200


def _compile(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")


def _ok(data: Any) -> dict[str, Any]:
    return {"data": data}


class EmulatorApp:
    """The aiohttp application of one emulator."""

    def __init__(
        self,
        world: World,
        faults: FaultSet,
        limiter: ServerRateLimiter | None,
        time_scale: float,
    ) -> None:
        self.world = world
        self.fabric = Fabric(world)
        self.tickets = Tickets(world)
        self.faults = faults
        self.limiter = limiter
        self.time_scale = time_scale
        self.rate_limited_count = 0
        #: The rate limiter's 429s, per API key.
        self.rate_limited_by_key: collections.Counter[str] = collections.Counter()
        self._stopping: asyncio.Event | None = None
        # Late commits in progress: they outlive their request, so the app owns them.
        self._late: set[asyncio.Task[tuple[int, dict[str, Any]] | None]] = set()
        table: list[tuple[str, str, Handler]] = [
            ("GET", "/instances", self._list_instances),
            ("GET", "/instances/{id}", self._get_instance),
            ("POST", "/instances/{id}", self._rename),
            ("GET", "/instance-types", self._instance_types),
            ("POST", "/instance-operations/launch", self._launch),
            ("POST", "/instance-operations/restart", self._restart),
            ("POST", "/instance-operations/terminate", self._terminate),
            ("GET", "/ssh-keys", self._list_ssh_keys),
            ("POST", "/ssh-keys", self._add_ssh_key),
            ("DELETE", "/ssh-keys/{id}", self._delete_ssh_key),
            ("GET", "/file-systems", self._list_filesystems),
            # The spec creates and deletes on /filesystems; some clients use /file-systems.
            ("POST", "/filesystems", self._create_filesystem),
            ("POST", "/file-systems", self._create_filesystem),
            ("DELETE", "/filesystems/{id}", self._delete_filesystem),
            ("DELETE", "/file-systems/{id}", self._delete_filesystem),
            ("GET", "/images", self._images),
            ("GET", "/regions", self._regions),
            ("GET", "/firewall-rules", self._firewall_rules),
            ("PUT", "/firewall-rules", self._put_firewall_rules),
            ("GET", "/firewall-rulesets", self._list_rulesets),
            ("POST", "/firewall-rulesets", self._create_ruleset),
            # "global" must come before "{id}", or it would be looked up as a ruleset id.
            ("GET", "/firewall-rulesets/global", self._global_ruleset),
            ("PATCH", "/firewall-rulesets/global", self._patch_global),
            ("GET", "/firewall-rulesets/{id}", self._get_ruleset),
            ("PATCH", "/firewall-rulesets/{id}", self._patch_ruleset),
            ("DELETE", "/firewall-rulesets/{id}", self._delete_ruleset),
            ("GET", "/audit-events", self._audit_events),
            ("POST", "/fabric", self._create_partition),
            ("POST", "/fabric/{id}", self._update_partition),
            ("DELETE", "/fabric/{id}", self._delete_partition),
            ("GET", "/tickets", self._list_tickets),
            ("POST", "/tickets", self._create_ticket),
            ("GET", "/tickets/{ticket_id}", self._get_ticket),
            ("PATCH", "/tickets/{ticket_id}", self._update_ticket),
            ("GET", "/tickets/{ticket_id}/attachments", self._list_attachments),
            ("POST", "/tickets/{ticket_id}/attachments", self._initiate_attachment),
            ("DELETE", "/tickets/{ticket_id}/attachments/{attachment_id}", self._delete_attachment),
            (
                "POST",
                "/tickets/{ticket_id}/attachments/{attachment_id}/complete",
                self._complete_attachment,
            ),
            (
                "GET",
                "/tickets/{ticket_id}/attachments/{attachment_id}/download",
                self._download_attachment,
            ),
        ]
        self.routes = [
            Route(
                m,
                _compile(t),
                h,
                launch=t == "/instance-operations/launch",
                status=202 if (m, t) == ("PATCH", "/tickets/{ticket_id}") else 200,
            )
            for m, t, h in table
        ]

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
        if not header:
            return None
        scheme, _, credentials = header.strip().partition(" ")
        credentials = credentials.strip()
        if not credentials:
            return None
        candidates = []
        if scheme.lower() == "bearer":
            candidates.append(credentials)
        elif scheme.lower() == "basic":
            # Both base64("<key>:") and the raw key are documented.
            candidates.append(credentials)
            with contextlib.suppress(binascii.Error, UnicodeDecodeError, ValueError):
                decoded = base64.b64decode(credentials, validate=True).decode()
                candidates.append(decoded.partition(":")[0])
        for key in candidates:
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

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith(STORAGE_PREFIX):
            return await self._storage(request, path[len(STORAGE_PREFIX) :])
        if path != API_PREFIX and not path.startswith(API_PREFIX + "/"):
            return _error(ApiError("global/not-found"))
        rel = path[len(API_PREFIX) :] or "/"
        account = self._authenticate(request.headers.get("Authorization"))
        if account is None:
            return _error(ApiError("global/invalid-api-key"))
        if account.inactive:
            return _error(ApiError("global/account-inactive"))
        route, params = self._match(request.method, rel)
        if self.limiter is not None:
            wait = self.limiter.check(account.api_key, launch=route is not None and route.launch)
            if wait is not None:
                self.rate_limited_count += 1
                self.rate_limited_by_key[account.api_key] += 1
                return _error(ApiError(RATE_LIMITED), retry_after_headers(wait))
        fault = self.faults.pick(request.method, rel, self.world.random)
        if fault is not None:
            early = await self._fault_before(request, fault)
            if early is not None:
                return early
        too_large = invalid(f"body: larger than {MAX_BODY_BYTES} bytes")
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return _error(too_large)  # refused unread, from the announced length
        try:
            raw_body = await request.read()  # stops at MAX_BODY_BYTES when no length was given
        except web.HTTPRequestEntityTooLarge:
            return _error(too_large)
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
            return route.status, route.handler(call)
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

    # -- handlers ----------------------------------------------------------------------------

    def _list_instances(self, call: Call) -> dict[str, Any]:
        return _ok(self.world.list_instances(call.account, call.query.get("cluster_id")))

    def _get_instance(self, call: Call) -> dict[str, Any]:
        return _ok(self.world.get_instance(call.account, call.params["id"]))

    def _instance_types(self, call: Call) -> dict[str, Any]:
        return _ok(self.world.instance_types(call.account))

    def _list_ssh_keys(self, call: Call) -> dict[str, Any]:
        return _ok(self.world.list_ssh_keys(call.account))

    def _delete_ssh_key(self, call: Call) -> dict[str, Any]:
        return _ok(self.world.delete_ssh_key(call.account, call.params["id"]))

    def _list_filesystems(self, call: Call) -> dict[str, Any]:
        return _ok(self.world.list_filesystems(call.account))

    def _images(self, call: Call) -> dict[str, Any]:
        return _ok([image.to_json() for image in catalog.IMAGES])

    def _regions(self, call: Call) -> dict[str, Any]:
        return _ok([catalog.region_json(region) for region in catalog.REGIONS])

    def _firewall_rules(self, call: Call) -> dict[str, Any]:
        return _ok(self.world.firewall_rules(call.account))

    def _list_rulesets(self, call: Call) -> dict[str, Any]:
        return _ok(self.world.list_rulesets(call.account))

    def _global_ruleset(self, call: Call) -> dict[str, Any]:
        return _ok(self.world.global_ruleset(call.account))

    def _get_ruleset(self, call: Call) -> dict[str, Any]:
        return _ok(self.world.get_ruleset(call.account, call.params["id"]))

    def _delete_ruleset(self, call: Call) -> dict[str, Any]:
        return _ok(self.world.delete_ruleset(call.account, call.params["id"]))

    def _launch(self, call: Call) -> dict[str, Any]:
        spec = validation.launch_spec(call.body())
        return _ok({"instance_ids": [self.world.launch(call.account, spec)]})

    def _restart(self, call: Call) -> dict[str, Any]:
        ids = validation.instance_ids(call.body())
        return _ok({"restarted_instances": self.world.restart(call.account, ids)})

    def _terminate(self, call: Call) -> dict[str, Any]:
        ids = validation.instance_ids(call.body())
        return _ok({"terminated_instances": self.world.terminate(call.account, ids)})

    def _rename(self, call: Call) -> dict[str, Any]:
        body = obj(call.body(), "", optional=("name",))
        name = optional_string(body, "name", max_length=64)
        return _ok(self.world.rename_instance(call.account, call.params["id"], name))

    def _add_ssh_key(self, call: Call) -> dict[str, Any]:
        body = obj(call.body(), "", required=("name",), optional=("public_key",))
        name = string(body["name"], "name", min_length=1, max_length=64)
        public_key = optional_string(body, "public_key", min_length=1, max_length=4096)
        return _ok(self.world.add_ssh_key(call.account, name, public_key))

    def _create_filesystem(self, call: Call) -> dict[str, Any]:
        body = obj(call.body(), "", required=("name", "region"))
        name = string(
            body["name"],
            "name",
            min_length=1,
            max_length=60,
            pattern=validation.FILESYSTEM_NAME,
        )
        region = string(body["region"], "region", min_length=1)
        return _ok(self.world.create_filesystem(call.account, name, region))

    def _delete_filesystem(self, call: Call) -> dict[str, Any]:
        return _ok(self.world.delete_filesystem(call.account, call.params["id"]))

    def _put_firewall_rules(self, call: Call) -> dict[str, Any]:
        body = obj(call.body(), "", required=("data",))
        rules = validation.firewall_rules(body["data"], "data")
        return _ok(self.world.replace_firewall_rules(call.account, rules))

    def _create_ruleset(self, call: Call) -> dict[str, Any]:
        body = obj(call.body(), "", required=("name", "region", "rules"))
        name = string(body["name"], "name", max_length=64)
        region = string(body["region"], "region", min_length=1)
        rules = validation.firewall_rules(body["rules"], "rules")
        return _ok(self.world.create_ruleset(call.account, name, region, rules))

    def _patch_ruleset(self, call: Call) -> dict[str, Any]:
        body = obj(call.body(), "", optional=("name", "rules"))
        name = optional_string(body, "name", max_length=64)
        rules = validation.firewall_rules(body["rules"], "rules") if "rules" in body else None
        return _ok(self.world.update_ruleset(call.account, call.params["id"], name, rules))

    def _patch_global(self, call: Call) -> dict[str, Any]:
        body = obj(call.body(), "", optional=("rules",))
        rules = validation.firewall_rules(body["rules"], "rules") if "rules" in body else None
        return _ok(self.world.update_global_ruleset(call.account, rules))

    def _audit_events(self, call: Call) -> dict[str, Any]:
        events, token = self.world.audit_events(
            call.account,
            start=call.query.get("start"),
            end=call.query.get("end"),
            resource_type=call.query.get("resource_type"),
            page_token=call.query.get("page_token"),
        )
        return {"data": events, "page_token": token}

    def _create_partition(self, call: Call) -> dict[str, Any]:
        return _ok(self.fabric.create(call.account, call.body()))

    def _update_partition(self, call: Call) -> dict[str, Any]:
        return _ok(self.fabric.update(call.account, call.params["id"], call.body()))

    def _delete_partition(self, call: Call) -> dict[str, Any]:
        return _ok(self.fabric.delete(call.account, call.params["id"]))

    def _list_tickets(self, call: Call) -> dict[str, Any]:
        return _ok(self.tickets.list(call.account, call.query))

    def _create_ticket(self, call: Call) -> dict[str, Any]:
        return _ok(self.tickets.create(call.account, call.body()))

    def _get_ticket(self, call: Call) -> dict[str, Any]:
        return _ok(self.tickets.get(call.account, call.params["ticket_id"]))

    def _update_ticket(self, call: Call) -> dict[str, Any]:
        return _ok(self.tickets.update(call.account, call.params["ticket_id"], call.body()))

    def _list_attachments(self, call: Call) -> dict[str, Any]:
        ticket = call.params["ticket_id"]
        return _ok(self.tickets.list_attachments(call.account, ticket, call.query))

    def _initiate_attachment(self, call: Call) -> dict[str, Any]:
        ticket = call.params["ticket_id"]
        return _ok(self.tickets.initiate(call.account, ticket, call.body(), call.origin))

    def _complete_attachment(self, call: Call) -> dict[str, Any]:
        ticket, attachment = call.params["ticket_id"], call.params["attachment_id"]
        return _ok(self.tickets.complete(call.account, ticket, attachment))

    def _delete_attachment(self, call: Call) -> dict[str, Any]:
        ticket, attachment = call.params["ticket_id"], call.params["attachment_id"]
        return _ok(self.tickets.delete_attachment(call.account, ticket, attachment))

    def _download_attachment(self, call: Call) -> dict[str, Any]:
        ticket, attachment = call.params["ticket_id"], call.params["attachment_id"]
        return _ok(self.tickets.download(call.account, ticket, attachment, call.origin))

    async def _storage(self, request: web.Request, token: str) -> web.StreamResponse:
        """The object storage behind presigned URLs: PUT stores an upload, GET serves it."""
        if request.method == "PUT":
            if (request.content_length or 0) > MAX_BODY_BYTES:
                return _storage_error(413, "EntityTooLarge")
            try:
                data = await request.read()
            except web.HTTPRequestEntityTooLarge:
                return _storage_error(413, "EntityTooLarge")
            refused = self.tickets.put(token, data)
            return _storage_error(400, refused) if refused else web.Response(status=200)
        if request.method == "GET":
            stored = self.tickets.stored(token)
            if stored is None or stored.data is None or stored.status != "uploaded":
                return _storage_error(404, "NoSuchKey")
            kind = stored.content_type
            if not kind.isprintable() or not kind:
                kind = "application/octet-stream"
            return web.Response(body=stored.data, headers={"Content-Type": kind})
        return _storage_error(405, "MethodNotAllowed")


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


def _storage_error(status: int, code: str) -> web.Response:
    """An error in the XML shape object stores use."""
    body = f"<?xml version='1.0'?><Error><Code>{code}</Code></Error>"
    return web.Response(text=body, status=status, content_type="application/xml")


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
