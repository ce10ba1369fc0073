"""The generated ``with_raw_response`` wrappers: current, complete, exact, and light to import.

Their runtime behaviour is tested through the emulator in ``test_raw_response.py`` and
``sync/test_raw_response.py``; their static types by ``tests/typing/raw_responses.py``.
"""

from __future__ import annotations

import ast
import gc
import importlib
import inspect
import pkgutil
import subprocess
import sys
import types
import typing
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import lambda_cloud.resources
from lambda_cloud import AsyncLambdaCloud, LambdaCloud, _raw_generated
from lambda_cloud._raw import WithRawResponse
from lambda_cloud._sync import _generated as sync_facade
from lambda_cloud.resources._base import AsyncAPIResource, SyncAPIResource

from .sync import toy

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "generate_raw.py"
GENERATED = ROOT / "lambda_cloud" / "_raw_generated.py"


def wrapped_classes() -> dict[str, type]:
    """Every client and resource class, by name."""
    modules = [sync_facade, importlib.import_module("lambda_cloud._client")]
    for info in pkgutil.iter_modules(lambda_cloud.resources.__path__):
        modules.append(importlib.import_module(f"lambda_cloud.resources.{info.name}"))
    return {name: obj for m in modules for name, obj in vars(m).items() if isinstance(obj, type)}


def wrappers() -> Iterator[tuple[type, type]]:
    """Each generated wrapper class with the class it wraps."""
    classes = wrapped_classes()
    for name in _raw_generated.__all__:
        wrapper = getattr(_raw_generated, name)
        yield wrapper, classes[wrapper.__annotations__["_target"]]


def public_methods(cls: type) -> dict[str, Any]:
    methods: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if klass not in (object, AsyncAPIResource, SyncAPIResource):
            methods |= {
                name: value
                for name, value in vars(klass).items()
                if inspect.isfunction(value) and not name.startswith("_")
            }
    return methods


def spelled(signature: inspect.Signature) -> inspect.Signature:
    """``signature`` with ``builtins.list`` and ``list`` spelled alike (a wrapper must write
    ``builtins.list`` where its own method named ``list`` hides the builtin)."""

    def plain(annotation: Any) -> Any:
        return annotation.replace("builtins.", "") if isinstance(annotation, str) else annotation

    return signature.replace(
        parameters=[
            p.replace(annotation=plain(p.annotation)) for p in signature.parameters.values()
        ],
        return_annotation=plain(signature.return_annotation),
    )


def yields_items(method: Any) -> bool:
    returns = str(inspect.signature(method).return_annotation)
    return inspect.isasyncgenfunction(method) or returns.startswith(("AsyncIterator[", "Iterator["))


def test_the_committed_wrappers_are_current() -> None:
    result = subprocess.run(
        [sys.executable, SCRIPT, "--check"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_mode_reports_stale_wrappers(tmp_path: Path) -> None:
    stale = tmp_path / "_raw_generated.py"
    stale.write_text(GENERATED.read_text().replace("    async def get(", "    async def fetch(", 1))
    result = subprocess.run(
        [sys.executable, SCRIPT, "--check", "--output", stale],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 1
    assert "-    async def fetch(" in result.stdout
    assert "+    async def get(" in result.stdout
    assert "make generate" in result.stderr


def test_every_client_and_resource_has_a_wrapper() -> None:
    covered = {cls for _, cls in wrappers()}
    assert {AsyncLambdaCloud, LambdaCloud} <= covered
    reachable = {
        cls
        for cls in wrapped_classes().values()
        if issubclass(cls, (AsyncAPIResource, SyncAPIResource))
        and cls not in (AsyncAPIResource, SyncAPIResource)
        and public_methods(cls)
    }
    # Not resources of a client: the bulk engine's request adapter, and a mixin of AsyncInstances.
    assert {cls.__name__ for cls in reachable - covered} == {"_BulkRequests", "SeedInstancesMixin"}


def test_each_wrapper_method_keeps_its_methods_signature_and_returns_an_api_response() -> None:
    checked = 0
    for wrapper, cls in wrappers():
        methods = public_methods(cls)
        own = public_methods(wrapper)
        if cls in (AsyncLambdaCloud, LambdaCloud):
            assert own == {}  # the root offers resources only, as with_raw_response always did
            continue
        assert set(own) | wrapper._left_out == set(methods), wrapper
        assert not set(own) & wrapper._left_out
        for name, method in methods.items():
            if name in wrapper._left_out:
                assert yields_items(method), f"{cls.__name__}.{name}"
                continue
            expected = inspect.signature(method)
            expected = expected.replace(
                return_annotation=f"APIResponse[{expected.return_annotation}]"
            )
            assert spelled(inspect.signature(own[name])) == spelled(expected), f"{wrapper}.{name}"
            assert inspect.iscoroutinefunction(own[name]) == (cls.__name__.startswith("Async"))
            assert own[name].__doc__ == method.__doc__
            if sys.version_info >= (3, 11):
                assert len(typing.get_overloads(own[name])) == len(typing.get_overloads(method))
            checked += 1
    assert checked > 60


async def test_resources_are_reached_through_their_wrappers() -> None:
    async with AsyncLambdaCloud(api_key="k", base_url="http://127.0.0.1:9/api/v1") as client:
        raw = client.with_raw_response
    assert type(raw) is _raw_generated.AsyncLambdaCloudWithRawResponse
    assert type(raw.firewall.rules) is _raw_generated.AsyncFirewallRulesWithRawResponse
    assert type(raw.tickets.attachments) is _raw_generated.AsyncTicketAttachmentsWithRawResponse
    sync = LambdaCloud(api_key="k", base_url="http://127.0.0.1:9/api/v1")
    assert type(sync.with_raw_response) is _raw_generated.LambdaCloudWithRawResponse
    assert type(sync.with_raw_response.ssh_keys) is _raw_generated.SSHKeysWithRawResponse
    sync.close()
    # Built on each use (a cached wrapper would tie the client into a cycle with itself).
    assert isinstance(LambdaCloud.__dict__["with_raw_response"], property)
    assert isinstance(AsyncLambdaCloud.__dict__["with_raw_response"], property)
    assert repr(raw.regions) == f"<with_raw_response of {client.regions!r}>"


def test_the_module_imports_no_resource_or_facade_when_it_runs() -> None:
    # Names for annotations only are imported under TYPE_CHECKING, so importing the wrappers
    # (which the client does) loads no resource module and not the sync facade.
    tree = ast.parse(GENERATED.read_text())
    runtime = [
        node.module
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module is not None
    ]
    assert runtime and all(
        not module.startswith(("lambda_cloud.resources", "lambda_cloud._sync"))
        for module in runtime
    ), runtime
    assert any(
        isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING" for node in tree.body
    )


# -- the generator, on shapes the real clients may grow -------------------------------------


@pytest.fixture(scope="module")
def generator() -> Iterator[types.ModuleType]:
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        yield importlib.import_module("generate_raw")
    finally:
        sys.path.remove(str(SCRIPT.parent))


def load_wrappers(generator: Any, path: Path, client: type) -> Any:
    wrappers = generator.RawWrappers(client, AsyncAPIResource, awaited=True)
    path.write_text(generator.formatted(generator.render([wrappers]), path))
    lint = [sys.executable, "-m", "ruff", "check", "--config", ROOT / "pyproject.toml", path]
    result = subprocess.run(lint, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_methods_without_a_single_response_are_left_out(generator: Any, tmp_path: Path) -> None:
    module = load_wrappers(generator, tmp_path / "toy_raw.py", toy.AsyncToyClient)
    assert module.__all__ == [
        "AsyncToyClientWithRawResponse",
        "AsyncBranchWithRawResponse",
        "AsyncLeavesWithRawResponse",
    ]  # AsyncTwig is reached only through a method: no wrapper
    leaves = module.AsyncLeavesWithRawResponse
    assert leaves._left_out == {"stream", "pages", "twig", "walk"}
    assert sorted(public_methods(leaves)) == ["fail", "list", "pick"]
    if sys.version_info >= (3, 11):
        returns = [f.__annotations__["return"] for f in typing.get_overloads(leaves.pick)]
        assert returns == ["APIResponse[int]", "APIResponse[builtins.list[int]]"]


async def test_a_wrapper_calls_its_method_inside_a_capture(generator: Any, tmp_path: Path) -> None:
    module = load_wrappers(generator, tmp_path / "toy_raw2.py", toy.AsyncToyClient)
    raw = module.AsyncToyClientWithRawResponse(toy.AsyncToyClient())
    # The toy sends no HTTP request, so there is no exchange to return.
    with pytest.raises(TypeError, match=r"AsyncLeaves\.list sent no request"):
        await raw.branch.leaves.list(limit=1)
    with pytest.raises(LookupError):
        await raw.branch.leaves.fail()
    with pytest.raises(TypeError, match=r"AsyncLeaves\.stream yields items"):
        raw.branch.leaves.stream()


def test_a_resource_made_by_a_cached_property_is_found(generator: Any, tmp_path: Path) -> None:
    module = load_wrappers(generator, tmp_path / "lazy_raw.py", toy.AsyncLazyToyClient)
    assert "AsyncLeavesWithRawResponse" in module.__all__
    raw = module.AsyncLazyToyClientWithRawResponse(toy.AsyncLazyToyClient())
    assert isinstance(raw.branch.leaves, WithRawResponse)


def test_a_sync_client_used_through_with_raw_response_is_freed_at_once() -> None:
    # Dropped without close(), a client hands back its share of the event loop when it is
    # freed; reference counting alone must free it, not a later garbage collection.
    gc.disable()
    try:
        client = LambdaCloud(api_key="k", base_url="http://127.0.0.1:9/api/v1")
        assert type(client.with_raw_response.regions).__name__ == "RegionsWithRawResponse"
        ref = weakref.ref(client)
        del client
        assert ref() is None
    finally:
        gc.enable()
