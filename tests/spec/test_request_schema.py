"""The request-body check the whole suite runs under (tests/spec/sdk_bodies.py) can fail."""

from __future__ import annotations

import aiohttp
import pytest

from lambda_cloud import AsyncLambdaCloud, InvalidParametersError, NotFoundError
from lambda_cloud.emulator import Emulator

from . import operation_for, request_problem, sdk_bodies

LAUNCH = "/api/v1/instance-operations/launch"


def test_a_conforming_body_has_no_problem() -> None:
    body = b'{"region_name": "us-west-1", "instance_type_name": "gpu_1x_a10", "ssh_key_names": []}'
    assert request_problem("POST", LAUNCH, body) is None


def test_a_body_breaking_the_schema_is_named() -> None:
    problem = request_problem("POST", LAUNCH, b'{"region_name": 1}')
    assert problem is not None
    assert "POST /api/v1/instance-operations/launch" in problem
    assert "'instance_type_name' is a required property" in problem
    assert "['region_name']: 1 is not of type 'string'" in problem


def test_bodies_where_none_belong_and_unknown_operations_are_problems() -> None:
    assert request_problem("GET", "/api/v1/instances", b"{}") is not None
    assert request_problem("GET", "/api/v1/instances", b"") is None
    assert request_problem("GET", "/api/v1/nowhere", b"") is not None
    assert request_problem("POST", "/api/v1/ssh-keys", b"not json") is not None


def test_literal_segments_win_over_path_parameters() -> None:
    global_ruleset = operation_for("PATCH", "/api/v1/firewall-rulesets/global")
    assert global_ruleset is not None and global_ruleset.template.endswith("/global")
    one = operation_for("PATCH", "/api/v1/firewall-rulesets/abc")
    assert one is not None and one.template.endswith("/{id}")


@pytest.mark.off_spec_requests
async def test_what_the_sdk_sends_is_recorded(client: AsyncLambdaCloud) -> None:
    seen = len(sdk_bodies.problems)
    await client.ssh_keys.list()  # conforming: nothing recorded
    assert sdk_bodies.problems[seen:] == []
    with pytest.raises(InvalidParametersError, match="name"):
        # Past the SDK's own checks, straight to the transport.
        await client.ssh_keys._request("POST", "/ssh-keys", body={})
    with pytest.raises(NotFoundError):
        await client.ssh_keys._request("GET", "/nowhere")
    body_problem, path_problem = sdk_bodies.problems[seen:]
    assert body_problem.startswith("POST /api/v1/ssh-keys: body {} breaks the spec's schema")
    assert path_problem == "GET /api/v1/nowhere is no operation of the spec"


async def test_requests_from_anything_but_the_sdk_are_left_alone(emu: Emulator) -> None:
    seen = len(sdk_bodies.problems)
    headers = {"Authorization": f"Bearer {emu.api_key}"}
    async with aiohttp.ClientSession() as session:
        url = f"{emu.base_url}/ssh-keys"
        async with session.post(url, json={}, headers=headers) as response:
            assert response.status == 400
    assert sdk_bodies.problems[seen:] == []
