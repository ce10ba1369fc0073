"""Helpers for the emulator's tests: a bare aiohttp client and its replies."""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import Callable
from typing import Any

import aiohttp
import attrs
import orjson

from lambda_cloud.emulator import Emulator

_UNSET: Any = object()

LAUNCH = "/instance-operations/launch"


@attrs.frozen
class Reply:
    status: int
    body: Any
    headers: Any
    raw: bytes

    @property
    def data(self) -> Any:
        assert self.status == 200, (self.status, self.body)
        return self.body["data"]

    @property
    def code(self) -> str:
        assert self.status >= 400, (self.status, self.body)
        return str(self.body["error"]["code"])

    @property
    def message(self) -> str:
        return str(self.body["error"]["message"])


class Api:
    """Talks to the emulator over loopback with a bare aiohttp session."""

    def __init__(self, session: aiohttp.ClientSession, emulator: Emulator) -> None:
        self.session = session
        self.emulator = emulator
        self.key = emulator.api_key

    async def __call__(
        self,
        method: str,
        path: str,
        json: Any = _UNSET,
        *,
        key: str | None = None,
        auth: str | None = None,
        data: bytes | None = None,
        params: dict[str, str] | None = None,
    ) -> Reply:
        headers = {"Authorization": auth if auth is not None else f"Bearer {key or self.key}"}
        kwargs: dict[str, Any] = {"headers": headers, "params": params}
        if json is not _UNSET:
            # A file object, because aiohttp warns about large raw bodies (user_data tests).
            kwargs["data"] = io.BytesIO(orjson.dumps(json))
            headers["Content-Type"] = "application/json"
        if data is not None:
            kwargs["data"] = io.BytesIO(data)
        async with self.session.request(method, self.emulator.base_url + path, **kwargs) as r:
            raw = await r.read()
            body = await r.json(content_type=None) if raw else None
            return Reply(r.status, body, r.headers, raw)

    async def get(self, path: str, **kwargs: Any) -> Reply:
        return await self("GET", path, **kwargs)

    async def post(self, path: str, json: Any = _UNSET, **kwargs: Any) -> Reply:
        return await self("POST", path, json, **kwargs)

    async def add_key(self, name: str = "my-key", **kwargs: Any) -> dict[str, Any]:
        reply = await self.post("/ssh-keys", {"name": name}, **kwargs)
        return dict(reply.data)

    async def launch(self, **fields: Any) -> Reply:
        key = fields.pop("key", None)
        body = {
            "region_name": "us-west-1",
            "instance_type_name": "gpu_1x_a10",
            "ssh_key_names": ["my-key"],
            **fields,
        }
        return await self.post(LAUNCH, body, key=key)

    async def launch_id(self, **fields: Any) -> str:
        return str((await self.launch(**fields)).data["instance_ids"][0])


def basic(key: str, *, encode: bool = True) -> str:
    return "Basic " + (base64.b64encode(f"{key}:".encode()).decode() if encode else key)


async def until(condition: Callable[[], bool], *, limit: float = 5.0) -> None:
    """Wait until ``condition()`` holds (checked every millisecond), at most ``limit`` s."""
    for _ in range(int(limit * 1000)):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("condition never held")
