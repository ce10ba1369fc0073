"""The emulator fuzzed from the official spec (tests/spec/openapi.json) with schemathesis.

One test per operation (all 37), each drawing schema-valid and schema-violating requests from a
fixed seed, checking the answers against the spec: no 5xx, only documented status codes and
content types, bodies matching the documented response schemas, and invalid requests refused.

Random ids only ever find nothing, so each operation runs against a fresh emulator holding one
resource of every kind, and a valid case may be steered to it: its path ids made real, its body's
names (region, instance type, SSH key, instance ids) made ones that exist. Success answers are
then checked against their schemas too, not just the 404s.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import Case
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from lambda_cloud.emulator import Emulator, ManualClock

from ..spec import SPEC_PATH, operation_for

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20251118,
        # Positive and negative cases; the examples and coverage phases add the spec's own
        # examples and its boundary values on top of the random draws.
        "generation": {"max-examples": 25, "mode": "all", "database": "none"},
        "phases": {"stateful": {"enabled": False}},
    }
)
SCHEMA = schemathesis.openapi.from_path(str(SPEC_PATH), config=CONFIG)


def optional_null_tolerant_rejection(
    ctx: CheckContext, response: Response, case: Case
) -> bool | None:
    """``negative_data_rejection``, except for bodies whose only flaw is ``null`` in optional
    fields.

    Allow-listed spec quirk: the spec types optional fields as plain ``string``/``array``, yet
    the real API (pydantic) takes ``null`` there as "not given", and other clients (dstack, a
    Terraform provider) send ``"name": null`` on launch. Issue 10 made the emulator accept it
    like the API does, so such a body is rightly accepted. Nulls in required fields, or any
    other flaw next to the nulls, are still checked.
    """
    if _flawed_only_by_optional_nulls(case):
        return None
    return negative_data_rejection(ctx, response, case)


def _flawed_only_by_optional_nulls(case: Case) -> bool:
    meta = case.meta
    if meta is None or any(
        info.mode.is_negative
        for location, info in meta.components.items()
        if location != ParameterLocation.BODY
    ):
        return False
    body = case.body
    if not isinstance(body, dict) or None not in body.values():
        return False
    operation = operation_for(case.method.upper(), case.path)
    assert operation is not None and operation.body is not None, case.path
    return operation.body.is_valid({key: value for key, value in body.items() if value is not None})


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    optional_null_tolerant_rejection,
]


#: Ids of the resources the current test's emulator holds, by path parameter (see ``_world``).
LIVE: dict[str, str] = {}
REGION, INSTANCE_TYPE, KEY_NAME = "us-west-1", "gpu_1x_a10", "fuzz-key"
_PATH_IDS = {
    "/api/v1/fabric/": "partition",
    "/api/v1/filesystems/": "filesystem",
    "/api/v1/firewall-rulesets/": "ruleset",
    "/api/v1/instances/": "instance",
    "/api/v1/ssh-keys/": "ssh_key",
}


def _real_path(case: Case) -> dict[str, Any]:
    params = dict(case.path_parameters or {})
    for prefix, kind in _PATH_IDS.items():
        if "id" in params and case.path.startswith(prefix):
            params["id"] = LIVE[kind]
    for name in ("ticket_id", "attachment_id"):
        if name in params:
            params[name] = LIVE[name]
    return params


def _real_body(body: dict[str, Any]) -> dict[str, Any]:
    fills: dict[str, Any] = {
        "region_name": REGION,
        "region": REGION,
        "instance_type_name": INSTANCE_TYPE,
        "ssh_key_names": [KEY_NAME],
        "instance_ids": [LIVE["instance"]],
        "instance_id": LIVE["instance"],
    }
    return {key: fills.get(key, value) for key, value in body.items()}


@SCHEMA.hook
def flatmap_case(context: Any, case: Case) -> st.SearchStrategy[Case]:
    """Leave a case as drawn, or point its valid parts at resources that exist."""
    meta = case.meta
    if meta is None:
        return st.just(case)
    negative = {location for location, info in meta.components.items() if info.mode.is_negative}

    def steer(real: bool) -> Case:
        if not real:
            return case
        if case.path_parameters and ParameterLocation.PATH not in negative:
            case.path_parameters = _real_path(case)
        if isinstance(case.body, dict) and ParameterLocation.BODY not in negative:
            case.body = _real_body(case.body)
        return case

    return st.booleans().map(steer)


def _post(emulator: Emulator, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        emulator.base_url + path,
        data=orjson.dumps(body),
        headers={"Authorization": f"Bearer {emulator.api_key}"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:  # raises on anything but 2xx
        return orjson.loads(response.read())["data"]


def _world(emulator: Emulator, clock: ManualClock) -> dict[str, str]:
    """One resource of every kind; their ids by the path parameter that names them."""
    region = {"region": REGION}
    ssh_key = _post(emulator, "/ssh-keys", {"name": KEY_NAME})
    launch = {"region_name": REGION, "instance_type_name": INSTANCE_TYPE}
    [instance] = _post(
        emulator, "/instance-operations/launch", {**launch, "ssh_key_names": [KEY_NAME]}
    )["instance_ids"]
    clock.advance(60)  # booted: restart and terminate apply
    ticket = _post(
        emulator,
        "/tickets",
        {"subject": "s", "description": "d", "type": "incident", "severity": "sev_3"},
    )["id"]
    upload = {"filename": "log.txt", "content_type": "text/plain", "size_bytes": 2}
    attachment = _post(emulator, f"/tickets/{ticket}/attachments", upload)
    urllib.request.urlopen(
        urllib.request.Request(attachment["upload_url"], data=b"ok", method="PUT")
    ).close()
    _post(emulator, f"/tickets/{ticket}/attachments/{attachment['attachment_id']}/complete", {})
    return {
        "ssh_key": ssh_key["id"],
        "instance": instance,
        "filesystem": _post(emulator, "/filesystems", {"name": "fuzzfs", **region})["id"],
        "ruleset": _post(emulator, "/firewall-rulesets", {"name": "fuzz", "rules": [], **region})[
            "id"
        ],
        "partition": _post(emulator, "/fabric", {"name": "fuzz-part", **region})["id"],
        "ticket_id": ticket,
        "attachment_id": attachment["attachment_id"],
    }


@pytest.fixture
def spec_emulator() -> Iterator[Emulator]:
    clock = ManualClock(1000.0)
    with Emulator(seed=1, clock=clock) as emulator:
        LIVE.update(_world(emulator, clock))
        yield emulator
    LIVE.clear()


def test_the_spec_has_37_operations() -> None:
    assert len(list(SCHEMA.get_all_operations())) == 37


@SCHEMA.parametrize()
# One emulator per operation, shared by its examples on purpose: deletes and updates act on it.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_emulator_conforms_to_the_spec(case: Case, spec_emulator: Emulator) -> None:
    headers: dict[str, Any] = {"Authorization": f"Bearer {spec_emulator.api_key}"}
    base_url = spec_emulator.base_url.removesuffix("/api/v1")
    case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)
