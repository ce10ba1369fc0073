"""The generated facade mirrors the async API exactly, and the committed file is current."""

from __future__ import annotations

import collections.abc
import functools
import importlib.util
import inspect
import operator
import pkgutil
import subprocess
import sys
import types
import typing
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import lambda_cloud.resources
from lambda_cloud import AsyncLambdaCloud, GeneratedSSHKey, SSHKey
from lambda_cloud._sync import LambdaCloud, _generated
from lambda_cloud.resources._base import AsyncAPIResource, SyncAPIResource

from . import toy

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "generate_sync.py"
RENAMED = {"aclose": "close", "__aenter__": "__enter__", "__aexit__": "__exit__"}
ASYNC_ITERATION = (
    collections.abc.AsyncIterator,
    collections.abc.AsyncIterable,
    collections.abc.AsyncGenerator,
)


def load(path: Path) -> Any:
    """The module at ``path``, imported under its file's name."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def load_generator() -> Any:
    return load(SCRIPT)


def twins(module: types.ModuleType) -> dict[type, type]:
    """Each async class of a generated module, mapped to its sync twin (raw-response wrappers
    aside)."""
    result = {}
    for name in module.__all__:
        if name.endswith("WithRawResponse"):
            continue
        cls = getattr(module, name)
        hints = typing.get_type_hints(getattr(cls, "_bind", cls.__init__))
        result[hints.get("async_client") or hints["async_resource"]] = cls
    return result


def to_sync(tp: Any, mapping: dict[type, type]) -> Any:
    """A type as the sync facade should spell it."""
    if isinstance(tp, type) and tp in mapping:
        return mapping[tp]
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in ASYNC_ITERATION:
        return collections.abc.Iterator[to_sync(args[0], mapping)]
    mapped = tuple(to_sync(arg, mapping) for arg in args)
    if mapped == args:
        return tp
    if origin in (typing.Union, types.UnionType):
        return functools.reduce(operator.or_, mapped)
    return origin[mapped]


# The client imports its resource classes for annotations only (it loads them on first use).
RESOURCE_CLASSES = {
    name: cls
    for info in pkgutil.iter_modules(lambda_cloud.resources.__path__, "lambda_cloud.resources.")
    for name, cls in vars(importlib.import_module(info.name)).items()
    if isinstance(cls, type) and issubclass(cls, AsyncAPIResource)
}


def raw_twins(module: types.ModuleType) -> dict[type, type]:
    """Each async client's ``with_raw_response`` type, mapped to the generated one."""
    return {
        typing.get_type_hints(async_cls.with_raw_response.fget)["return"]: getattr(
            module, f"{sync_cls.__name__}WithRawResponse"
        )
        for async_cls, sync_cls in twins(module).items()
        if "with_raw_response" in vars(async_cls)
    }


def resolved(func: Any, mapping: dict[type, type] | None = None) -> inspect.Signature:
    """``func``'s signature with its annotations evaluated (and mapped to sync types)."""
    signature = inspect.signature(func)
    hints = typing.get_type_hints(func, localns=RESOURCE_CLASSES)
    convert = (lambda tp: tp) if mapping is None else functools.partial(to_sync, mapping=mapping)
    return signature.replace(
        parameters=[
            p.replace(annotation=convert(hints.get(p.name, p.empty)))
            for p in signature.parameters.values()
        ],
        return_annotation=convert(hints.get("return", signature.empty)),
    )


def async_members(cls: type) -> dict[str, Any]:
    members: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if klass in (object, AsyncAPIResource):
            continue
        members |= {
            RENAMED.get(name, name): value
            for name, value in vars(klass).items()
            if not name.startswith("_") or name in RENAMED
        }
        members |= {name: "resource" for name in inspect.get_annotations(klass)}
    return members


def sync_members(cls: type) -> dict[str, Any]:
    members = {
        name: value
        for name, value in vars(cls).items()
        if not name.startswith("_") or name in RENAMED.values()
    }
    return members | {name: "resource" for name in inspect.get_annotations(cls)}


def assert_mirrors(module: types.ModuleType) -> None:
    pairs = twins(module)
    mapping = pairs | raw_twins(module)  # types as the facade spells them
    for async_cls, sync_cls in pairs.items():
        expected, actual = async_members(async_cls), sync_members(sync_cls)
        assert sorted(actual) == sorted(expected), sync_cls
        for name, async_member in expected.items():
            sync_member = actual[name]
            if async_member == "resource":
                hints = typing.get_type_hints(sync_cls)
                async_hints = typing.get_type_hints(async_cls)
                assert hints[name] is mapping[async_hints[name]]
                continue
            if isinstance(async_member, property):
                async_member, sync_member = async_member.fget, sync_member.fget
            elif isinstance(async_member, functools.cached_property):  # a lazy resource
                assert isinstance(sync_member, functools.cached_property), f"{sync_cls}.{name}"
                async_member, sync_member = async_member.func, sync_member.func
            assert resolved(sync_member) == resolved(async_member, mapping), f"{sync_cls}.{name}"
            assert sync_member.__doc__ or not async_member.__doc__
            if sys.version_info >= (3, 11):  # typing.get_overloads
                assert [resolved(f) for f in typing.get_overloads(sync_member)] == [
                    resolved(f, mapping) for f in typing.get_overloads(async_member)
                ], f"overloads of {sync_cls}.{name}"


def test_the_facade_mirrors_every_public_method_of_the_async_client() -> None:
    assert twins(_generated)[AsyncLambdaCloud] is LambdaCloud
    assert_mirrors(_generated)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="typing.get_overloads is 3.11+")
def test_overloads_keep_their_precise_types_in_the_facade() -> None:
    ssh_keys = typing.get_type_hints(LambdaCloud.ssh_keys.func)["return"]
    overloads = typing.get_overloads(ssh_keys.create)
    returns = [typing.get_type_hints(f)["return"] for f in overloads]
    assert returns == [GeneratedSSHKey, SSHKey]
    assert inspect.signature(overloads[0]).parameters["public_key"].default is None


def test_the_committed_facade_is_current() -> None:
    result = subprocess.run(
        [sys.executable, SCRIPT, "--check"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_mode_reports_a_stale_facade(tmp_path: Path) -> None:
    stale = tmp_path / "_generated.py"
    source = (ROOT / "lambda_cloud" / "_sync" / "_generated.py").read_text()
    stale.write_text(source.replace("    def list(", "    def list_all(", 1))
    result = subprocess.run(
        [sys.executable, SCRIPT, "--check", "--output", stale],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 1
    assert "-    def list_all(" in result.stdout
    assert "+    def list(" in result.stdout
    assert "make generate" in result.stderr


@pytest.fixture(scope="module")
def toy_sync(tmp_path_factory: pytest.TempPathFactory) -> types.ModuleType:
    path = tmp_path_factory.mktemp("generated") / "toy_sync.py"
    generator = load_generator()
    path.write_text(
        generator.generate(
            toy.AsyncToyClient,
            AsyncAPIResource,
            SyncAPIResource,
            sync_client_name="ToyClient",
            path=path,
        )
    )
    return load(path)


def test_the_generator_mirrors_shapes_the_real_client_may_grow(toy_sync: Any) -> None:
    assert_mirrors(toy_sync)
    # Twig, reached only through a method, has no raw-response wrapper.
    assert set(toy_sync.__all__) == {
        *("ToyClient", "Branch", "Leaves", "Twig"),
        *("ToyClientWithRawResponse", "BranchWithRawResponse", "LeavesWithRawResponse"),
    }
    lint = [sys.executable, "-m", "ruff", "check", "--config", ROOT / "pyproject.toml"]
    result = subprocess.run([*lint, toy_sync.__file__], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_generated_methods_delegate_each_kind_of_call(toy_sync: Any) -> None:
    with toy_sync.ToyClient(label="x") as client:
        leaves = client.branch.leaves
        assert client.label == "x"
        assert leaves.list(limit=2) == [0, 1]
        assert list(leaves.stream(10, "a", "b", step=2, k="v")) == [10, 12, 14]
        assert list(leaves.pages(2)) == [[0, 1], [2, 3]]
        assert leaves.pick(1) == 1
        assert leaves.pick(slice(0, 2)) == [0, 1]
        assert list(leaves.walk()) == [0, 1]
        assert list(leaves.walk("w")) == ["w0", "w1"]
        twig = leaves.twig("t")
        assert isinstance(twig, toy_sync.Twig)
        assert twig.describe() == "t"
        copy = client.with_options(label="y")
        assert isinstance(copy, toy_sync.ToyClient)
        assert copy.label == "y"
        with pytest.raises(LookupError) as info:
            leaves.fail()
        assert isinstance(info.value.__cause__, KeyError)
    assert client._async.closed == 1


def test_raw_response_wrappers_offer_the_methods_with_a_single_response(toy_sync: Any) -> None:
    with toy_sync.ToyClient() as client:
        raw = client.with_raw_response
        assert type(raw.branch) is toy_sync.BranchWithRawResponse
        leaves = raw.branch.leaves
        assert type(leaves) is toy_sync.LeavesWithRawResponse
        # Not stream, pages or walk (they yield items), nor twig (it returns a resource).
        assert sorted(name for name in vars(leaves) if not name.startswith("_")) == [
            "fail",
            "list",
            "pick",
        ]
        assert leaves.pick.__wrapped__ == client.branch.leaves.pick
        # The toy sends no HTTP request, so there is no exchange to return.
        with pytest.raises(TypeError, match=r"Leaves\.list sent no request"):
            leaves.list(limit=1)
        with pytest.raises(LookupError):
            leaves.fail()
        with pytest.raises(TypeError, match=r"Leaves\.stream yields items"):
            leaves.stream()


def test_docstrings_read_as_sync(toy_sync: Any) -> None:
    assert toy_sync.ToyClient.__doc__ == (
        "Client for a toy API. Close it with ``close()`` or ``with``."
    )
    assert toy_sync.Leaves.__doc__ == "Leaves of an ``ToyClient``."
    assert "``client.leaves.list()``" in toy_sync.Leaves.list.__doc__
    assert "``for`` three leaves" in toy_sync.Leaves.stream.__doc__


class AsyncFeeder:
    """A client whose method takes an async iterator, which a sync caller cannot pass."""

    def __init__(self) -> None:
        pass

    async def feed(self, items: AsyncIterator[int]) -> None:
        """Consume ``items``."""

    async def aclose(self) -> None:
        """Nothing to close."""


def test_the_generator_refuses_what_it_cannot_mirror(tmp_path: Path) -> None:
    generator = load_generator()
    with pytest.raises(generator.GenerationError, match="only supported as a return type"):
        generator.generate(
            AsyncFeeder,
            AsyncAPIResource,
            SyncAPIResource,
            sync_client_name="Feeder",
            path=tmp_path / "f.py",
        )
