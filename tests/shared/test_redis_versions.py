"""Nothing the shared state sends needs more than Redis 6.0: every command its Lua scripts call,
and every option they give one, is looked up in the running server's own command reference
(``COMMAND DOCS``, Redis 7 and later; its ``since`` fields go back to 1.0), as are the commands
the client sends to run them (``EVALSHA``, ``SCRIPT LOAD``). A script that declares flags
(``#!lua flags=...``, Redis 7 only) fails too. Valkey forked from Redis 7.2 and keeps these."""

from __future__ import annotations

import pathlib
import re
from typing import Any

import pytest

import lambda_cloud.shared

redis = pytest.importorskip("redis", reason="needs lambda-cloud[redis]")

OLDEST = (6, 0, 0)
SOURCES = sorted(pathlib.Path(lambda_cloud.shared.__file__).parent.glob("*.py"))
_CALL = re.compile(r"redis\.p?call\(\s*'([A-Za-z]+)'")


def _arguments(text: str, start: int) -> str:
    """The text of the call's arguments: from ``start`` to its closing parenthesis."""
    depth = 1
    for index in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth == 0:
            return text[start:index]
    raise AssertionError(f"unclosed call at {start}")


def used() -> dict[str, set[str]]:
    """Each command the scripts call, with the option tokens (quoted words) given to it."""
    calls: dict[str, set[str]] = {}
    for path in SOURCES:
        text = path.read_text()
        for match in _CALL.finditer(text):
            options = set(re.findall(r"'([A-Za-z]+)'", _arguments(text, match.end())))
            calls.setdefault(match.group(1).upper(), set()).update(o.upper() for o in options)
    return calls


def _version(value: bytes | None) -> tuple[int, ...]:
    return (0,) if value is None else tuple(int(part) for part in value.split(b"."))


def _fields(entry: list[Any]) -> dict[bytes, Any]:
    return dict(zip(entry[::2], entry[1::2], strict=True))


def _since(arguments: list[Any], token: str, floor: tuple[int, ...]) -> tuple[int, ...] | None:
    """The version ``token`` came in (the latest of its own and its enclosing blocks')."""
    for entry in arguments:
        fields = _fields(entry)
        since = max(floor, _version(fields.get(b"since")))
        if fields.get(b"token", b"").decode().upper() == token:
            return since
        found = _since(fields.get(b"arguments") or [], token, since)
        if found is not None:
            return found
    return None


def test_the_scripts_are_found() -> None:
    calls = used()
    # The scanner sees the scripts: the pacing's, the budget's and the leases' calls at least.
    assert {"TIME", "GET", "SET", "HSET", "ZADD", "DEL"} <= set(calls)
    assert calls["SET"] >= {"NX", "PX"}


def test_every_command_and_option_is_in_redis_6_0(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url, protocol=2)
    try:
        connection = client.connection_pool.get_connection()
        try:
            connection.send_command("COMMAND", "DOCS")
            reply = connection.read_response()
        except redis.ResponseError:
            pytest.skip("this redis-server has no COMMAND DOCS (it is older than 7.0)")
        finally:
            client.connection_pool.release(connection)
    finally:
        client.close()
    docs = {name.decode().upper(): _fields(entry) for name, entry in _fields(reply).items()}
    calls = used()
    calls["EVALSHA"] = set()  # how redis-py runs a script (and SCRIPT LOAD, below)
    load = _fields(docs["SCRIPT"][b"subcommands"])[b"script|load"]
    newer = [] if _version(_fields(load)[b"since"]) <= OLDEST else ["SCRIPT LOAD"]
    for command, options in sorted(calls.items()):
        fields = docs[command]
        since = _version(fields[b"since"])
        if since > OLDEST:
            newer.append(f"{command} (since {since})")
        for option in sorted(options):
            option_since = _since(fields.get(b"arguments") or [], option, since)
            assert option_since is not None, f"{command} takes no option {option}"
            if option_since > OLDEST:
                newer.append(f"{command} {option} (since {option_since})")
    assert newer == []


def test_no_script_declares_flags_or_switches_protocol() -> None:
    for path in SOURCES:
        text = path.read_text()
        assert "#!lua" not in text and "setresp" not in text, path.name
