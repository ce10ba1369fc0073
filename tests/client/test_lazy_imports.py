"""``import lambda_cloud`` loads no client, no transport (aiohttp), no model (attrs), no resource,
no bulk engine, no raw wrappers and no sync facade: each loads on first use (speed goals live in
``benchmarks/``; these check what is loaded, not how fast)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import lambda_cloud

HEAVY = (
    "lambda_cloud._client",
    "lambda_cloud._transport",
    "lambda_cloud.types.",
    "lambda_cloud.bulk",
    "lambda_cloud.resources.",
    "lambda_cloud._raw",
    "lambda_cloud._sync",
    "aiohttp",
    "attr",
    "cattrs",
    "tenacity",
)


def run(code: str) -> None:
    subprocess.run([sys.executable, "-c", textwrap.dedent(code)], check=True)


def test_import_loads_none_of_what_waits_for_first_use() -> None:
    run(
        f"""
        import sys, lambda_cloud
        loaded = [m for m in sys.modules if m.startswith({HEAVY!r})]
        assert not loaded, loaded
        """
    )


def test_the_redis_client_loads_only_when_a_client_first_talks_to_the_store() -> None:
    run(
        """
        import asyncio, sys, lambda_cloud
        limits = lambda_cloud.RateLimits(shared="redis://127.0.0.1:1/0")
        client = lambda_cloud.AsyncLambdaCloud(api_key="k", rate_limits=limits)
        assert not [m for m in sys.modules if m.startswith(("redis", "valkey"))]
        asyncio.run(client.aclose())
        """
    )


def test_the_client_loads_with_its_name_and_tenacity_with_the_first_retry() -> None:
    run(
        """
        import sys, lambda_cloud
        from lambda_cloud import AsyncLambdaCloud
        assert "aiohttp" in sys.modules and "lambda_cloud._transport" in sys.modules
        AsyncLambdaCloud(api_key="k")
        assert "tenacity" not in sys.modules  # a request that succeeds at once needs none
        """
    )


def test_a_resource_loads_its_own_module_on_first_use() -> None:
    run(
        """
        import sys, lambda_cloud
        client = lambda_cloud.AsyncLambdaCloud(api_key="k")
        client.regions
        assert "lambda_cloud.resources.regions" in sys.modules
        assert "lambda_cloud.resources.instances" not in sys.modules
        assert "lambda_cloud.bulk" not in sys.modules
        assert client.regions is client.regions  # built once
        client.instances
        assert "lambda_cloud.bulk.launch" in sys.modules
        """
    )


def test_every_exported_name_resolves_to_its_own_module_object() -> None:
    run(
        """
        import importlib, lambda_cloud
        for name, module in lambda_cloud._LAZY.items():
            value = getattr(lambda_cloud, name)
            own = importlib.import_module(f"lambda_cloud.{module}")
            assert value is (own if name == module else getattr(own, name)), name
        assert set(lambda_cloud._LAZY) <= set(dir(lambda_cloud))
        namespace = {}
        exec("from lambda_cloud import *", namespace)
        missing = set(lambda_cloud.__all__) - set(namespace)
        assert not missing, missing
        """
    )


def test_subpackages_and_resource_classes_are_reachable_as_before() -> None:
    run(
        """
        import lambda_cloud
        from lambda_cloud.resources import AsyncInstances, AsyncTickets
        from lambda_cloud.resources.instances import AsyncInstances as Same
        assert AsyncInstances is Same
        assert lambda_cloud.bulk.Hunt is lambda_cloud.Hunt
        assert "AsyncRegions" in dir(lambda_cloud.resources)
        """
    )


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        lambda_cloud.NoSuchThing  # noqa: B018


def test_every_model_is_exported_by_the_package() -> None:
    # The models' names are spelled out in the package (for mypy and the docs) as well as in
    # lambda_cloud.types: a model added to one only would be served but not typed.
    from lambda_cloud import types

    assert set(types.__all__) <= set(lambda_cloud.__all__)
    assert set(types.__all__) == set(types._LAZY)
