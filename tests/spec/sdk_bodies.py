"""Every request body the SDK sends to an emulator during the suite, checked against the spec.

``tests/conftest.py`` installs :func:`checking_middleware` in every emulator the suite starts
(on the suite's loop or on a background thread) and fails a test during which the SDK sent a
request the spec's request schema refuses. Requests from anything but the SDK (tests poking the
emulator with a bare aiohttp session, often with deliberately bad bodies) are left alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from aiohttp import web

from lambda_cloud.emulator.app import API_PREFIX, EmulatorApp

from . import request_problem

__all__ = ["SDK_AGENT", "checking_middleware", "installed", "problems"]

#: How the SDK's User-Agent begins.
SDK_AGENT = "lambda-cloud-python/"
# Bodies past this are refused by the SDK's own checks long before; never read them here, so
# the emulator's refuse-unread path stays untouched.
_MAX_CHECKED = 2 * 1024 * 1024

#: What the SDK sent that the spec refuses, in order, across the whole session.
problems: list[str] = []


@web.middleware
async def checking_middleware(
    request: web.Request, handler: web.RequestHandler
) -> web.StreamResponse:
    """Record any SDK request whose body does not match its operation's request schema."""
    if (
        request.headers.get("User-Agent", "").startswith(SDK_AGENT)
        and request.rel_url.raw_path.startswith(API_PREFIX + "/")
        # The SDK sends JSON with a Content-Length; never buffer a body of unknown length here.
        and (request.content_length is not None or not request.body_exists)
        and (request.content_length or 0) <= _MAX_CHECKED
    ):
        # aiohttp keeps the body it read, so the emulator's handler reads the same bytes.
        # The raw path: an id holding an encoded "/" is still one path segment.
        path = request.rel_url.raw_path
        problem = request_problem(request.method, path, await request.read())
        if problem is not None:
            problems.append(problem)
    return await handler(request)


@contextmanager
def installed() -> Iterator[None]:
    """Every emulator app built inside the block checks what the SDK sends it."""
    build = EmulatorApp.build

    def checked_build(app: EmulatorApp) -> web.Application:
        built = build(app)
        built.middlewares.append(checking_middleware)
        return built

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(EmulatorApp, "build", checked_build)
        yield
