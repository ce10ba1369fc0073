"""The generated facade mirrors the async API exactly, and the committed files are current."""

from __future__ import annotations

import ast
import collections.abc
import functools
import importlib.util
import inspect
import operator
import pkgutil
import shutil
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


def modules_of(package: types.ModuleType) -> list[types.ModuleType]:
    """The modules of a generated package."""
    return [
        importlib.import_module(f"{package.__name__}.{info.name}")
        for info in pkgutil.iter_modules(package.__path__)
    ]


def generated_classes(modules: list[types.ModuleType]) -> dict[str, type]:
    """The classes the modules generate, by name: the names their annotations use (the
    client's module imports the others' for annotations only)."""
    return {name: getattr(module, name) for module in modules for name in module.__all__}


def twins(modules: list[types.ModuleType]) -> dict[type, type]:
    """Each async class of the generated modules, mapped to its sync twin (raw-response
    wrappers aside)."""
    result = {}
    for name, cls in generated_classes(modules).items():
        if name.endswith("WithRawResponse"):
            continue
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


def raw_twins(modules: list[types.ModuleType]) -> dict[type, type]:
    """Each async client's ``with_raw_response`` type, mapped to the generated one."""
    classes = generated_classes(modules)
    return {
        typing.get_type_hints(async_cls.with_raw_response.fget)["return"]: classes[
            f"{sync_cls.__name__}WithRawResponse"
        ]
        for async_cls, sync_cls in twins(modules).items()
        if "with_raw_response" in vars(async_cls)
    }


def resolved(
    func: Any, mapping: dict[type, type] | None = None, localns: dict[str, type] | None = None
) -> inspect.Signature:
    """``func``'s signature with its annotations evaluated (and mapped to sync types); names
    imported for annotations only are found in ``localns`` (the async resource classes by
    default)."""
    signature = inspect.signature(func)
    hints = typing.get_type_hints(func, localns=RESOURCE_CLASSES if localns is None else localns)
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


def assert_mirrors(modules: list[types.ModuleType]) -> None:
    pairs = twins(modules)
    mapping = pairs | raw_twins(modules)  # types as the facade spells them
    names = generated_classes(modules)
    for async_cls, sync_cls in pairs.items():
        expected, actual = async_members(async_cls), sync_members(sync_cls)
        assert sorted(actual) == sorted(expected), sync_cls
        for name, async_member in expected.items():
            sync_member = actual[name]
            if async_member == "resource":
                hints = typing.get_type_hints(sync_cls, localns=names)
                async_hints = typing.get_type_hints(async_cls)
                assert hints[name] is mapping[async_hints[name]]
                continue
            if isinstance(async_member, property):
                async_member, sync_member = async_member.fget, sync_member.fget
            elif isinstance(async_member, functools.cached_property):  # a lazy resource
                assert isinstance(sync_member, functools.cached_property), f"{sync_cls}.{name}"
                async_member, sync_member = async_member.func, sync_member.func
            assert resolved(sync_member, localns=names) == resolved(async_member, mapping), (
                f"{sync_cls}.{name}"
            )
            assert sync_member.__doc__ or not async_member.__doc__
            if sys.version_info >= (3, 11):  # typing.get_overloads
                assert [resolved(f, localns=names) for f in typing.get_overloads(sync_member)] == [
                    resolved(f, mapping) for f in typing.get_overloads(async_member)
                ], f"overloads of {sync_cls}.{name}"


GENERATED = modules_of(_generated)


def test_the_facade_mirrors_every_public_method_of_the_async_client() -> None:
    assert twins(GENERATED)[AsyncLambdaCloud] is LambdaCloud
    assert_mirrors(GENERATED)


def test_each_resource_module_is_imported_when_the_client_first_uses_it() -> None:
    # The client's module imports no resource's twin, nor what only another resource needs:
    # a script (the CLI's `instances list`, say) pays for the resources it uses.
    code = (
        "import sys\n"
        "from lambda_cloud import LambdaCloud\n"
        "facade = 'lambda_cloud._sync._generated.'\n"
        "def loaded(): return sorted(m for m in sys.modules if m.startswith(facade))\n"
        "client = LambdaCloud(api_key='k', base_url='http://127.0.0.1:9/api/v1')\n"
        "assert loaded() == [facade + '_client'], loaded()\n"
        "client.instances\n"
        "assert loaded() == [facade + '_client', facade + 'instances'], loaded()\n"
        "client.with_raw_response.regions\n"
        "assert loaded() == [facade + m for m in ('_client', 'instances', 'regions')], loaded()\n"
        "assert 'lambda_cloud.fleets' not in sys.modules\n"
        "assert 'lambda_cloud.resources.tickets' not in sys.modules\n"
        "client.close()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(sys.version_info < (3, 11), reason="typing.get_overloads is 3.11+")
def test_overloads_keep_their_precise_types_in_the_facade() -> None:
    names = generated_classes(GENERATED)
    ssh_keys = typing.get_type_hints(LambdaCloud.ssh_keys.func, localns=names)["return"]
    overloads = typing.get_overloads(ssh_keys.create)
    returns = [typing.get_type_hints(f)["return"] for f in overloads]
    assert returns == [GeneratedSSHKey, SSHKey]
    assert inspect.signature(overloads[0]).parameters["public_key"].default is None


def test_the_committed_facade_is_current() -> None:
    result = subprocess.run(
        [sys.executable, SCRIPT, "--check"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def check(output: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, SCRIPT, "--check", "--output", output],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def test_check_mode_reports_a_stale_facade(tmp_path: Path) -> None:
    stale = tmp_path / "_generated"
    shutil.copytree(ROOT / "lambda_cloud" / "_sync" / "_generated", stale)
    assert check(stale).returncode == 0
    instances = stale / "instances.py"
    instances.write_text(instances.read_text().replace("    def list(", "    def list_all(", 1))
    result = check(stale)
    assert result.returncode == 1
    assert "-    def list_all(" in result.stdout
    assert "+    def list(" in result.stdout
    assert "make generate" in result.stderr


def test_check_mode_reports_missing_and_outdated_modules(tmp_path: Path) -> None:
    stale = tmp_path / "_generated"
    shutil.copytree(ROOT / "lambda_cloud" / "_sync" / "_generated", stale)
    (stale / "regions.py").unlink()
    header = (stale / "images.py").read_text().splitlines()[0]
    (stale / "gone.py").write_text(f"{header}\nclass Gone: ...\n")
    (stale / "notes.py").write_text("# not generated: left alone\n")
    result = check(stale)
    assert result.returncode == 1
    assert f"{stale / 'regions.py'} (generated)" in result.stdout
    assert "-class Gone: ..." in result.stdout
    assert "notes.py" not in result.stdout


@pytest.fixture(scope="module")
def toy_sync(tmp_path_factory: pytest.TempPathFactory) -> types.SimpleNamespace:
    """The toy client's facade, generated into the package ``toy_sync``: its modules, and
    each class it generates as an attribute."""
    root = tmp_path_factory.mktemp("generated")
    generator = load_generator()
    sources = generator.generate(
        toy.AsyncToyClient,
        AsyncAPIResource,
        SyncAPIResource,
        sync_client_name="ToyClient",
        package="toy_sync",
        directory=root / "toy_sync",
    )
    (root / "toy_sync").mkdir()
    for path, source in sources.items():
        path.write_text(source)
    sys.path.insert(0, str(root))
    try:
        package = importlib.import_module("toy_sync")
        modules = modules_of(package)
    finally:
        sys.path.remove(str(root))
    return types.SimpleNamespace(
        modules=modules, files=sorted(sources), **generated_classes(modules)
    )


def test_the_generator_mirrors_shapes_the_real_client_may_grow(toy_sync: Any) -> None:
    assert_mirrors(toy_sync.modules)
    # One module per async module; Twig, reached only through a method, has no raw-response
    # wrapper.
    assert {module.__name__: module.__all__ for module in toy_sync.modules} == {
        "toy_sync.toy": ["ToyClient", "ToyClientWithRawResponse"],
        "toy_sync.toy_tree": [
            *("Branch", "Leaves", "Twig"),
            *("BranchWithRawResponse", "LeavesWithRawResponse"),
        ],
    }
    lint = [sys.executable, "-m", "ruff", "check", "--config", ROOT / "pyproject.toml"]
    result = subprocess.run([*lint, *toy_sync.files], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    # The client's module imports its resources' twins only inside the functions using them.
    client_module = ast.parse(toy_sync.files[1].read_text())
    assert toy_sync.files[1].name == "toy.py"
    top_level = [
        node.module
        for node in client_module.body
        if isinstance(node, ast.ImportFrom) and node.module == "toy_sync.toy_tree"
    ]
    assert top_level == []


def test_generated_methods_delegate_each_kind_of_call(toy_sync: Any) -> None:
    with toy_sync.ToyClient(label="x") as client:
        assert isinstance(client.trunk, toy_sync.Branch)
        assert client.trunk is client.trunk
        assert client.trunk.leaves.list(limit=1) == [0]
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
        assert type(raw.trunk) is toy_sync.BranchWithRawResponse
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
            package="feeder",
            directory=tmp_path,
        )
