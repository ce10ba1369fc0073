"""Sending bytes to a presigned storage URL: no API key, no envelope, one attempt."""

from __future__ import annotations

import asyncio
import urllib.parse

import aiohttp

from .errors import APIConnectionError, APITimeoutError, RedirectError, make_status_error

__all__ = ["send_presigned"]


def _redact(url: str) -> str:
    """The URL without its query: a presigned URL's signature is a credential."""
    return urllib.parse.urlsplit(url)._replace(query="", fragment="").geturl()


async def send_presigned(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    data: bytes,
    *,
    content_type: str,
    timeout: aiohttp.ClientTimeout,
) -> None:
    """Send ``data`` with ``method`` to ``url``; a failure raises a typed ``APIError`` whose URL
    has no signature. The URL carries its own authorisation, so no Authorization header goes.
    A redirect is not followed (``RedirectError``): it would send the file to another host."""
    shown = _redact(url)
    try:
        async with session.request(
            method,
            url,
            data=data,
            headers={"Content-Type": content_type},
            timeout=timeout,
            allow_redirects=False,
        ) as response:
            if 300 <= response.status < 400:
                location = response.headers.get("Location")
                raise RedirectError(
                    method=method,
                    url=shown,
                    status_code=response.status,
                    location=None if location is None else _redact(location),
                    headers=response.headers.copy(),
                    suggestion="the storage redirected the upload; the file was not sent on",
                )
            body = await response.read()
            if response.status >= 300:
                raise make_status_error(
                    method=method,
                    url=shown,
                    status=response.status,
                    body=body.decode("utf-8", "replace"),
                    headers=response.headers.copy(),
                )
    except aiohttp.ConnectionTimeoutError as exc:
        raise APITimeoutError(method=method, url=shown, sent=False) from exc
    except aiohttp.ClientConnectorError as exc:
        raise APIConnectionError(str(exc), method=method, url=shown, sent=False) from exc
    except asyncio.TimeoutError as exc:
        raise APITimeoutError(method=method, url=shown) from exc
    except aiohttp.ClientError as exc:
        message = f"Connection error: {type(exc).__name__}"
        raise APIConnectionError(message, method=method, url=shown) from exc
