"""Hostile arguments to every public method of both clients (issue 18): whatever they are, the
call raises nothing outside ``lambda_cloud.errors``, and an argument of a type its signature
refuses is refused before any request is sent.

The methods are found by walking the clients' resources, so a new method is fuzzed without a
word here. Each call makes one or two parameters hostile; the others keep their defaults, or,
when required, get a plain value of their declared type. The calls go to an emulator over
loopback and every request is counted (an aiohttp trace). Hypothesis is derandomized and
bounded, so a run is reproducible and quick.
"""

from __future__ import annotations

import asyncio
import collections.abc
import datetime
import decimal
import enum
import functools
import inspect
import math
import os
import types
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambda_cloud import AsyncLambdaCloud, LambdaCloud, RetryPolicy, Security
from lambda_cloud._compat import NotRequired, Required
from lambda_cloud.bulk import Hunt
from lambda_cloud.emulator import Emulator
from lambda_cloud.errors import LambdaCloudError, ValidationError
from lambda_cloud.fleets import Fleet
from lambda_cloud.resources._base import AsyncAPIResource, SyncAPIResource
from lambda_cloud.types import FirewallRule, InstanceStatus, TicketStatus

from ..bulk.helpers import RequestLog
from ..conftest import FAST_RETRIES

# -- the public surface, found by introspection ------------------------------------------------

CLIENTS: dict[str, type[Any]] = {"async": AsyncLambdaCloud, "sync": LambdaCloud}
_RESOURCES = (AsyncAPIResource, SyncAPIResource)
#: The path naming a client's constructor.
CONSTRUCTOR = "__init__"
_DISCOVERY_URL = "http://127.0.0.1:9/api/v1"  # never contacted: the clients are only walked


def _methods(obj: object, prefix: str) -> Iterator[str]:
    """Dotted paths of the public methods taking arguments on ``obj`` and its resources."""
    for name in sorted(dir(obj)):
        if name.startswith("_") or isinstance(inspect.getattr_static(obj, name), property):
            continue  # a plain property (base_url, with_raw_response) is no resource
        value = getattr(obj, name)
        if isinstance(value, _RESOURCES):
            yield from _methods(value, f"{prefix}{name}.")
        elif inspect.ismethod(value) and inspect.signature(value).parameters:
            yield prefix + name


def _discover() -> list[tuple[str, str]]:
    found = []
    for kind, cls in CLIENTS.items():
        client = cls(api_key="discovery", base_url=_DISCOVERY_URL)
        found += [(kind, CONSTRUCTOR), *((kind, path) for path in _methods(client, ""))]
        if kind == "sync":
            client.close()
    return found


METHODS = _discover()


def _resolve(client: object, path: str) -> Callable[..., Any]:
    target: Any = client
    for part in path.split("."):
        target = getattr(target, part)
    return typing.cast(Callable[..., Any], target)


_NONE: Any = object()  # no plain value: the parameter keeps its default


@attrs.frozen
class Param:
    name: str
    hint: Any
    required: bool

    @property
    def plain(self) -> Any:
        """A value of the declared type, for when the parameter is not under attack."""
        return plain(self.hint) if self.required else plain(self.hint, _NONE)


def _params(func: Callable[..., Any]) -> list[Param]:
    """The parameters a caller names: ``**options: Unpack[TD]`` is spread into TD's keys."""
    hints = typing.get_type_hints(func.__init__ if isinstance(func, type) else func)
    params = []
    for p in inspect.signature(func).parameters.values():
        hint = hints[p.name]
        if p.kind is p.VAR_KEYWORD:
            (options,) = typing.get_args(hint)  # Unpack[SomeTypedDict]
            params += [
                Param(key, value, key in _required_keys(options))
                for key, value in _fields(options).items()
            ]
        else:
            params.append(Param(p.name, hint, p.default is p.empty))
    return params


def _fields(typed_dict: Any) -> dict[str, Any]:
    """A TypedDict's field types, without ``Required``/``NotRequired``."""
    hints = typing.get_type_hints(typed_dict, include_extras=True)
    return {
        key: typing.get_args(hint)[0] if typing.get_origin(hint) in _MARKS else hint
        for key, hint in hints.items()
    }


def _required_keys(typed_dict: Any) -> set[str]:
    """A TypedDict's required keys. ``__required_keys__`` cannot see ``Required[...]`` in the
    string annotations of a module with ``from __future__ import annotations``."""
    hints = typing.get_type_hints(typed_dict, include_extras=True)
    return {
        key
        for key, hint in hints.items()
        if typing.get_origin(hint) is Required
        or (key in typed_dict.__required_keys__ and typing.get_origin(hint) is not NotRequired)
    }


# -- what a type admits ------------------------------------------------------------------------

_UNIONS = (typing.Union, types.UnionType)
_MARKS = (Required, NotRequired)
_LISTS = (collections.abc.Sequence, collections.abc.Iterable, list)


def conforms(value: object, hint: Any) -> bool:
    """Whether ``value`` is of the declared type ``hint``. Lenient where the checks are by
    design: any iterable but a string or mapping passes for a sequence, an int for a float."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return True
    if hint is None or hint is type(None):
        return value is None
    if origin in _UNIONS:
        return any(conforms(value, arg) for arg in args)
    if origin is typing.Literal:
        return any(type(value) is type(arg) and value == arg for arg in args)
    if hint is float:
        return isinstance(value, int | float)
    if origin in _LISTS:
        if isinstance(value, str | bytes | collections.abc.Mapping):
            return False
        if not isinstance(value, collections.abc.Iterable):
            return False
        # Iterators are drawn fresh and never checked here: reading would consume them.
        return isinstance(value, collections.abc.Iterator) or all(
            conforms(item, args[0]) for item in value
        )
    if origin is collections.abc.Mapping:
        return isinstance(value, collections.abc.Mapping) and all(
            conforms(k, args[0]) and conforms(v, args[1]) for k, v in value.items()
        )
    if origin is collections.abc.Callable:
        return callable(value)
    if typing.is_typeddict(hint):
        fields = _fields(hint)
        return (
            isinstance(value, collections.abc.Mapping)
            and _required_keys(hint) <= set(value)
            and all(k in fields and conforms(v, fields[k]) for k, v in value.items())
        )
    if origin is os.PathLike:
        return isinstance(value, os.PathLike)
    if isinstance(hint, type):
        return isinstance(value, hint)
    raise AssertionError(f"conforms() does not know {hint!r}: teach it")


def plain(hint: Any, default: Any = None) -> Any:
    """A value of type ``hint``; without one, ``default``, or for a required parameter
    (``default`` None) an error asking for one."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in _UNIONS:
        return plain(next(arg for arg in args if arg is not type(None)), default)
    if origin in _LISTS:
        return ["x1"] if args[0] is str else []
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return next(iter(hint))
    plains: dict[Any, Any] = {str: "x1", bool: False, int: 1, float: 1.0, bytes: b"x1"}
    if hint in plains:
        return plains[hint]
    if hint is Fleet:  # a fleet of one, with a key the emulator lacks: its launch fails
        return Fleet(name="x1", count=1, instance_type_names=["gpu_1x_a10"], ssh_key_names=["x1"])
    if hint is datetime.datetime and default is None:  # a required moment: a day ago
        return datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)
    if default is None:
        raise AssertionError(f"plain() has no value of {hint!r}: teach it")
    return default


# -- hostile values ----------------------------------------------------------------------------

_HERE = Path(__file__).parent
MISSING_FILE = _HERE / "no-such-file.bin"


def _noop(*args: object) -> None:
    """A callback that does nothing."""


_ATOMS: list[object] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    2**64,
    10**400,  # past any float
    0.0,
    -0.5,
    1e300,
    math.nan,
    math.inf,
    -math.inf,
    complex(1, 2),
    decimal.Decimal("1.5"),
    "",
    " ",
    "x1",
    "5",
    ".",
    "..",
    "a/b?c#d",
    "a\nb",
    "\x00",
    "\u202e",
    "é" * 70,
    "x" * 300,
    b"",
    b"x1",
    bytearray(b"x1"),
    (),
    ("x1", 2),
    {"k": "v"},
    {1: 2},
    {"x1"},
    frozenset({1}),
    object(),
    _noop,
    print,
    int,
    datetime.datetime(2020, 1, 1),
    datetime.date(2020, 1, 1),
    datetime.timedelta(seconds=1),
    InstanceStatus.ACTIVE,
    TicketStatus.SOLVED,
    RetryPolicy(max_retries=0),
    aiohttp.ClientTimeout(total=5),
    Security(),
    Hunt(timeout=0.001, poll_interval=0.001),
    FirewallRule(protocol="icmp", source_network="0.0.0.0/0"),
    str(_HERE),
    _HERE,
    str(MISSING_FILE),
    MISSING_FILE,
    os.devnull,
    # Shapes of the nested arguments, each wrong somewhere.
    {"general": {"rate": "fast"}},
    {"general": {}},
    {"general": 5},
    {"launch": {"rate": -1.0, "burst": 2}},
    {"burst": {"rate": 1.0}},
    {"id": 5},
    {"family": None},
    {"id": "x1", "family": "x1"},
    {"a\nb": "v"},
    {"k": "a\nb"},
    # Headers the client sets itself: of the declared type, yet refused (extra_headers=).
    {"Authorization": "Bearer someone-else"},
    {"user-agent": "x1"},
]


def _lists() -> st.SearchStrategy[object]:
    """Lists of up to three hostile items."""
    item = st.sampled_from(
        [
            None,
            1,
            "",
            "x1",
            "..",
            "a\nb",
            b"x1",
            [1],
            {},
            {"k": 1},
            _noop,
            object(),
            {"protocol": "tcp"},
            {"protocol": "tcp", "source_network": "0.0.0.0/0", "port_range": [1, "2"]},
            {"protocol": "tcp", "source_network": "0.0.0.0/0", "port_range": 22},
            {"protocol": 6, "source_network": "0.0.0.0/0"},
            {"key": 1, "value": "v"},
            {"key": "k1", "value": None},
            {"mount_point": "/data", "file_system_id": 5},
            {"mount_point": "/data"},
            {"id": []},
        ]
    )
    return st.lists(item, max_size=3)


HOSTILE: st.SearchStrategy[object] = st.one_of(
    st.sampled_from(_ATOMS),
    _lists(),
    st.builds(lambda: iter(["x1"])),
    st.text(max_size=8),
    st.integers(),
    st.floats(),
    st.dictionaries(st.text(max_size=4), st.sampled_from([None, 1, "x1", [1]]), max_size=2),
)

# -- running a call ----------------------------------------------------------------------------

#: Real seconds any one call may take: past it, the call is stuck.
LIMIT = 10.0


@attrs.define
class World:
    emu: Emulator
    log: RequestLog
    loop: asyncio.AbstractEventLoop
    clients: dict[str, Any]

    @property
    def sent(self) -> int:
        return sum(self.log.counts.values())

    def options(self) -> dict[str, Any]:
        """What a client of this world is built with."""
        return {
            "api_key": self.emu.api_key,
            "base_url": self.emu.base_url,
            "rate_limits": None,
            "max_retries": FAST_RETRIES,
            "trace_configs": [self.log.trace_config()],
        }


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with Emulator(time_scale=0.001, seed=18) as emu:
        world = World(emu, RequestLog(), asyncio.new_event_loop(), {})
        world.clients = {kind: cls(**world.options()) for kind, cls in CLIENTS.items()}
        try:
            yield world
        finally:
            world.clients["sync"].close()
            world.loop.run_until_complete(world.clients["async"].aclose())
            world.loop.close()


async def _settle(result: Any, built: bool) -> None:
    """Finish what the call started: await it, read a few items, or use the client it made."""
    if inspect.isawaitable(result):
        await result
    elif isinstance(result, collections.abc.AsyncIterator):
        async for _ in result:
            break
    elif isinstance(result, AsyncLambdaCloud):
        try:
            await result.regions.list()  # a client built from hostile options must still work
        finally:
            if built:
                await result.aclose()


def _settle_sync(result: Any, built: bool) -> None:
    if isinstance(result, Iterator):
        next(result, None)
    elif isinstance(result, LambdaCloud):
        try:
            result.regions.list()
        finally:
            if built:
                result.close()


def call(world: World, kind: str, path: str, kwargs: dict[str, Any]) -> LambdaCloudError | None:
    """Make the call; the SDK error it raised, if any (anything else propagates)."""
    built = path == CONSTRUCTOR
    fn = CLIENTS[kind] if built else _resolve(world.clients[kind], path)

    async def run() -> None:
        await _settle(fn(**kwargs), built)

    try:
        if kind == "async":
            world.loop.run_until_complete(asyncio.wait_for(run(), LIMIT))
        else:
            _settle_sync(fn(**kwargs), built)
    except LambdaCloudError as exc:
        return exc
    return None


@functools.cache
def _signature(kind: str, path: str) -> dict[str, Param]:
    cls = CLIENTS[kind]
    if path == CONSTRUCTOR:
        func = cls
    else:
        client = cls(api_key="discovery", base_url=_DISCOVERY_URL)
        func = _resolve(client, path)
        if kind == "sync":
            client.close()
    return {p.name: p for p in _params(func)}


#: Arguments only the API's answer can refuse (an instance type it does not list, a run whose
#: live instances differ, a file system that is not idle): their ValidationError follows the
#: listing that told.
ANSWER_CHECKED = frozenset(
    {"instance_type_name", "instance_type_names", "run_id", "delete_file_systems"}
)


@pytest.mark.parametrize(("kind", "path"), METHODS, ids=[f"{k}:{p}" for k, p in METHODS])
@settings(
    derandomize=True,
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.data())
def test_hostile_arguments_raise_sdk_errors_before_sending(
    world: World, kind: str, path: str, data: st.DataObject
) -> None:
    params = _signature(kind, path)
    attacked = data.draw(
        st.lists(st.sampled_from(sorted(params)), min_size=1, max_size=2, unique=True),
        label="attacked",
    )
    hostile = {name: data.draw(HOSTILE, label=name) for name in attacked}
    # Required parameters get a plain value; optional ones sometimes do, so that a call gets
    # past one argument's check to the next (launch_many needs an instance type, say).
    optional = sorted(p.name for p in params.values() if not p.required and p.plain is not _NONE)
    given = data.draw(st.sets(st.sampled_from(optional)) if optional else st.just(set()))
    kwargs = {p.name: p.plain for p in params.values() if p.required or p.name in given}
    if path == CONSTRUCTOR:
        kwargs.update(world.options())
    kwargs.update(hostile)
    # Checked before the call: it may consume an iterator.
    wrong = [n for n, v in hostile.items() if not conforms(v, params[n].hint)]
    before = world.sent
    error = call(world, kind, path, kwargs)
    sent = world.sent - before
    if wrong:
        assert error is not None, f"{path} accepted {wrong}"
    if wrong or (isinstance(error, ValidationError) and error.field not in ANSWER_CHECKED):
        assert sent == 0, f"{path} sent {sent} request(s) before refusing: {error!r}"


def test_every_resource_method_is_fuzzed() -> None:
    """The walk finds the nested resources and the seed SDK's names too, and the per-call
    request options of every method but the bulk ones (whose ``timeout`` is the operation's)
    and the fleets' (each a run of bulk calls)."""
    paths = {p for kind, p in METHODS if kind == "sync"}
    bulk = {"instances.launch_many", "instances.terminate_many", "instances.wait_for"}
    bulk |= {"instances.reclaim", "instances.reap"}
    for kind, path in METHODS:
        if "." in path and path not in bulk and not path.startswith("fleets."):
            assert {"timeout", "max_retries", "extra_headers"} <= set(_signature(kind, path)), path
    assert {"instances.launch_many", "tickets.attachments.upload"} <= paths
    assert {"firewall.rulesets.update_global", "instances.terminate_instance"} <= paths
    assert paths == {p for kind, p in METHODS if kind == "async"}
