"""The ``with_raw_response`` wrappers: complete, bound to the right methods, and in no import
cycle.

Their runtime behaviour is tested through the emulator in ``test_raw_response.py`` and
``sync/test_raw_response.py``; their static types by ``tests/typing/raw_responses.py``; the
generation of the sync ones by ``sync/test_generated.py``.
"""

from __future__ import annotations

import ast
import functools
import gc
import inspect
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import lambda_cloud
from lambda_cloud import AsyncLambdaCloud, LambdaCloud
from lambda_cloud._client import AsyncLambdaCloudWithRawResponse
from lambda_cloud._raw import WithRawResponse
from lambda_cloud._sync import LambdaCloudWithRawResponse
from lambda_cloud._sync._generated.ssh_keys import SSHKeysWithRawResponse
from lambda_cloud.resources._base import AsyncAPIResource, SyncAPIResource
from lambda_cloud.resources.firewall import AsyncFirewallRulesWithRawResponse
from lambda_cloud.resources.tickets import AsyncTicketAttachmentsWithRawResponse

PACKAGE = Path(lambda_cloud.__file__).parent
BASE_URL = "http://127.0.0.1:9/api/v1"


@pytest.fixture
def clients() -> Iterator[tuple[AsyncLambdaCloud, LambdaCloud]]:
    sync = LambdaCloud(api_key="k", base_url=BASE_URL)
    yield AsyncLambdaCloud(api_key="k", base_url=BASE_URL), sync
    sync.close()


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


def yields_items(method: Any) -> bool:
    returns = str(inspect.signature(method).return_annotation)
    return inspect.isasyncgenfunction(method) or returns.startswith(("AsyncIterator[", "Iterator["))


def check_wrapper(raw: WithRawResponse, resource: object) -> int:
    """Assert that ``raw`` wraps each method of ``resource`` with a single response, and each of
    its resources; return how many methods it wraps, its resources' included."""
    offered = {name for name in vars(raw) if not name.startswith("_")}
    methods = public_methods(type(resource))
    single = {name for name, method in methods.items() if not yields_items(method)}
    nested = {name for name in inspect.get_annotations(type(resource)) if not name.startswith("_")}
    assert offered == single | nested, type(raw)
    checked = 0
    for name in single:
        wrapper = getattr(raw, name)
        assert wrapper.__wrapped__ == getattr(resource, name), f"{type(raw).__name__}.{name}"
        assert wrapper.__doc__ == methods[name].__doc__
        assert inspect.iscoroutinefunction(wrapper) == inspect.iscoroutinefunction(methods[name])
        checked += 1
    for name in nested:
        checked += check_wrapper(getattr(raw, name), getattr(resource, name))
    return checked


def test_each_resource_offers_its_methods_with_a_single_response(
    clients: tuple[AsyncLambdaCloud, LambdaCloud],
) -> None:
    for client in clients:
        resources = [
            name
            for name, value in vars(type(client)).items()
            if isinstance(value, functools.cached_property)
        ]
        raw_root = type(client.with_raw_response)
        assert [name for name, value in vars(raw_root).items() if isinstance(value, property)] == (
            resources
        )
        checked = sum(
            check_wrapper(getattr(client.with_raw_response, name), getattr(client, name))
            for name in resources
        )
        assert checked >= 50


async def test_resources_are_reached_through_their_wrappers(
    clients: tuple[AsyncLambdaCloud, LambdaCloud],
) -> None:
    client, sync = clients
    raw = client.with_raw_response
    assert type(raw) is AsyncLambdaCloudWithRawResponse
    assert type(raw.firewall.rules) is AsyncFirewallRulesWithRawResponse
    assert type(raw.tickets.attachments) is AsyncTicketAttachmentsWithRawResponse
    assert type(sync.with_raw_response) is LambdaCloudWithRawResponse
    assert type(sync.with_raw_response.ssh_keys) is SSHKeysWithRawResponse
    # Built on each use (a cached wrapper would tie the client into a cycle with itself).
    assert isinstance(LambdaCloud.__dict__["with_raw_response"], property)
    assert isinstance(AsyncLambdaCloud.__dict__["with_raw_response"], property)
    assert repr(raw.regions) == f"<with_raw_response of {client.regions!r}>"
    with pytest.raises(AttributeError, match="no resource or method 'gett'"):
        raw.instances.gett  # noqa: B018


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(
        ".__init__"
    )


def imported_names(path: Path) -> set[str]:
    """What a file imports anywhere (at the top, in functions, for type checking only), each
    ``from m import x`` as both ``m`` and ``m.x``."""
    package = module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(filter(None, [base, node.module]))
            found |= {module, *(f"{module}.{alias.name}" for alias in node.names)}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def test_the_wrappers_close_no_import_cycle() -> None:
    # Nothing the sync facade or the raw-response helpers import, even for type checking only,
    # imports them back: they are leaves of the client and its resources, not parts of a cycle.
    files = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph = {name: imported_names(path) & set(files) for name, path in files.items()}
    for start in ("lambda_cloud._sync._generated", "lambda_cloud._raw"):
        seen: set[str] = set()
        todo = list(graph[start])
        while todo:
            module = todo.pop()
            if module not in seen:
                seen.add(module)
                todo += graph[module]
        assert start not in seen, start
    assert graph["lambda_cloud._raw"] == {"lambda_cloud._response"}


def test_a_sync_client_used_through_with_raw_response_is_freed_at_once() -> None:
    # Dropped without close(), a client hands back its share of the event loop when it is
    # freed; reference counting alone must free it, not a later garbage collection.
    gc.disable()
    try:
        client = LambdaCloud(api_key="k", base_url=BASE_URL)
        assert type(client.with_raw_response.regions).__name__ == "RegionsWithRawResponse"
        ref = weakref.ref(client)
        del client
        assert ref() is None
    finally:
        gc.enable()
