"""``with_raw_response`` keeps every method's types on both clients.

Checked by ``mypy --strict`` (``make typecheck``), never run. If a wrapper's type regresses to
``Any``, ``assert_type`` fails; if a misuse stops being an error, its ``type: ignore`` is
reported as unused (``warn_unused_ignores``, part of ``--strict``).
"""

from __future__ import annotations

import sys

from lambda_cloud import (
    APIResponse,
    AsyncLambdaCloud,
    BulkLaunchReport,
    FirewallRule,
    FirewallRuleset,
    GeneratedSSHKey,
    Instance,
    InstanceTypesItem,
    LambdaCloud,
    SSHKey,
)
from lambda_cloud._client import AsyncLambdaCloudWithRawResponse
from lambda_cloud._sync import LambdaCloudWithRawResponse
from lambda_cloud._sync._generated.instances import InstancesWithRawResponse
from lambda_cloud.resources.instances import AsyncInstancesWithRawResponse
from lambda_cloud.types.launch import BulkLaunchOptions

if sys.version_info >= (3, 11):
    from typing import assert_type
else:
    from typing_extensions import assert_type

LAUNCH: BulkLaunchOptions = {"instance_type_name": "gpu_1x_a10", "ssh_key_names": ["k"]}


async def async_client(client: AsyncLambdaCloud) -> None:
    raw = client.with_raw_response
    assert_type(raw, AsyncLambdaCloudWithRawResponse)
    assert_type(raw.instances, AsyncInstancesWithRawResponse)
    assert_type(await raw.instances.get("x"), APIResponse[Instance])
    assert_type((await raw.instances.get("x")).parse(), Instance)
    assert_type(await raw.instances.list(cluster_id="c"), APIResponse[list[Instance]])
    assert_type(await raw.instance_types.list(), APIResponse[dict[str, InstanceTypesItem]])
    assert_type(await raw.firewall.rules.list(), APIResponse[list[FirewallRule]])
    assert_type(await raw.ssh_keys.delete("id"), APIResponse[None])
    # Overloads keep their precise types.
    assert_type(await raw.ssh_keys.create("k"), APIResponse[GeneratedSSHKey])
    assert_type(await raw.ssh_keys.create("k", "ssh-ed25519 A"), APIResponse[SSHKey])
    # **options: Unpack[LaunchOptions] is kept, keyword-only parameters too.
    launched = await raw.instances.launch(
        region_name="us-east-1", instance_type_name="gpu_1x_a10", ssh_key_names=["k"]
    )
    assert_type(launched, APIResponse[list[str]])
    assert_type(await raw.instances.launch_many(2, **LAUNCH), APIResponse[BulkLaunchReport])
    # Per-call request options are keywords of every method, launch's among its own.
    listed = await raw.instances.list(timeout=5, max_retries=0, extra_headers={"X-Team": "ml"})
    assert_type(listed, APIResponse[list[Instance]])
    launched = await raw.instances.launch(
        region_name="r", instance_type_name="a", ssh_key_names=["k"], max_retries=0
    )
    assert_type(launched, APIResponse[list[str]])

    # Misuse is a type error.
    raw.audit_events.list()  # type: ignore[attr-defined]  # yields items: no single response
    raw.tickets.list()  # type: ignore[attr-defined]
    raw.base_url  # type: ignore[attr-defined]  # noqa: B018
    raw.instances.gett("x")  # type: ignore[attr-defined]
    await raw.instances.get(42)  # type: ignore[arg-type]
    await raw.instances.get("x", timeout="soon")  # type: ignore[arg-type]
    await raw.instances.get("x", retries=0)  # type: ignore[call-arg]  # max_retries now
    await raw.instances.get("x", extra_headers={"X": 1})  # type: ignore[dict-item]
    await raw.instances.launch_many(2, max_retries=0, **LAUNCH)  # type: ignore[call-arg]
    await raw.instances.update("x", "name")  # type: ignore[call-arg]  # name is keyword-only
    await raw.instances.launch(region_name="r", instance_type="a")  # type: ignore[call-arg]
    await raw.ssh_keys.create("k", 42)  # type: ignore[call-overload]
    raw.instances.get("x").parse()  # type: ignore[attr-defined]  # not awaited


def sync_client(client: LambdaCloud) -> None:
    raw = client.with_raw_response
    assert_type(raw, LambdaCloudWithRawResponse)
    assert_type(raw.instances, InstancesWithRawResponse)
    assert_type(raw.instances.get("x"), APIResponse[Instance])
    assert_type(raw.instances.get("x").parse(), Instance)
    assert_type(raw.firewall.rulesets.list(), APIResponse[list[FirewallRuleset]])
    assert_type(raw.ssh_keys.create("k"), APIResponse[GeneratedSSHKey])
    assert_type(raw.ssh_keys.create("k", "ssh-ed25519 A"), APIResponse[SSHKey])
    assert_type(raw.instances.launch_many(2, **LAUNCH), APIResponse[BulkLaunchReport])

    raw.audit_events.list()  # type: ignore[attr-defined]
    raw.instances.get(42)  # type: ignore[arg-type]
    raw.instances.launch(region_name="r", instance_type="a")  # type: ignore[call-arg]
