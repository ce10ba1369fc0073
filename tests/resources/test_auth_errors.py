"""Every endpoint of these resource groups answers a bad key with ``AuthenticationError`` and an
inactive account with ``AccountInactiveError``."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_cloud import AccountInactiveError, AuthenticationError
from lambda_cloud.emulator import Emulator

from .conftest import Api, tcp

ID = "0" * 32

ENDPOINTS: dict[str, Any] = {
    "GET /ssh-keys": lambda c: c.ssh_keys.list(),
    "POST /ssh-keys": lambda c: c.ssh_keys.create("k"),
    "DELETE /ssh-keys/{id}": lambda c: c.ssh_keys.delete(ID),
    "GET /file-systems": lambda c: c.file_systems.list(),
    "POST /filesystems": lambda c: c.file_systems.create("fs", "us-west-1"),
    "DELETE /filesystems/{id}": lambda c: c.file_systems.delete(ID),
    "GET /images": lambda c: c.images.list(),
    "GET /regions": lambda c: c.regions.list(),
    "GET /firewall-rules": lambda c: c.firewall.rules.list(),
    "PUT /firewall-rules": lambda c: c.firewall.rules.replace([tcp(22)]),
    "GET /firewall-rulesets": lambda c: c.firewall.rulesets.list(),
    "POST /firewall-rulesets": lambda c: c.firewall.rulesets.create("r", "us-west-1", []),
    "GET /firewall-rulesets/{id}": lambda c: c.firewall.rulesets.get(ID),
    "PATCH /firewall-rulesets/{id}": lambda c: c.firewall.rulesets.update(ID, name="r"),
    "DELETE /firewall-rulesets/{id}": lambda c: c.firewall.rulesets.delete(ID),
    "GET /firewall-rulesets/global": lambda c: c.firewall.rulesets.get_global(),
    "PATCH /firewall-rulesets/global": lambda c: c.firewall.rulesets.update_global([]),
    "GET /audit-events": lambda c: c.audit_events.list(),
}


@pytest.mark.parametrize("call", ENDPOINTS.values(), ids=ENDPOINTS.keys())
async def test_invalid_api_key(api: Api, call: Any) -> None:
    with pytest.raises(AuthenticationError) as caught:
        await api(call, api_key="not-a-key")
    assert (caught.value.status_code, caught.value.code) == (401, "global/invalid-api-key")


@pytest.mark.parametrize("call", ENDPOINTS.values(), ids=ENDPOINTS.keys())
async def test_account_inactive(api: Api, emu: Emulator, call: Any) -> None:
    emu.account(emu.api_key).inactive = True
    with pytest.raises(AccountInactiveError) as caught:
        await api(call)
    assert (caught.value.status_code, caught.value.code) == (403, "global/account-inactive")
