"""Nominal durations of the Foundry tier (peers-and-pain-points §4, in units of one PostgreSQL create, 4.5 min):
account 0.2, account capability host 1.2, project capability host 1.0; a project's PUT is answered after some 8 s
(Azure CLI recording cognitiveservices/test_project_connections_from_file.yaml)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.foundry_support import (
    LOCATION,
    byo_connections,
    caphost_body,
    create_account,
    foundry_clients,
    project_body,
    raw,
)

SCALE = 0.002


def test_nominal_durations_follow_the_reported_times(sdk: dict[str, Any], credential: Any, admin: Any) -> None:
    c = foundry_clients(sdk, credential)
    c["rm"].resource_groups.create_or_update("rg1", {"location": LOCATION})
    cs = c["cs"]
    create_account(c, "rg1", "acct")
    cs.projects.begin_create("rg1", "acct", "p1", raw(project_body())).result()
    connections = byo_connections(c, "rg1", "acct", "p1")
    cs.account_capability_hosts.begin_create_or_update("rg1", "acct", "caphostacct", raw(caphost_body())).result()
    cs.project_capability_hosts.begin_create_or_update(
        "rg1", "acct", "p1", "projcaphost", raw(caphost_body(connections)), polling=False)
    nominal = {(op["type"].split("/", 1)[1], op["kind"]): (op["due"] - op["start"]) / SCALE
               for op in admin.operations() if op["type"].startswith("Microsoft.CognitiveServices/")}
    assert nominal == {
        ("accounts", "create"): pytest.approx(0.2 * 270, rel=1e-3),
        ("accounts/projects", "create"): pytest.approx(8, rel=1e-3),
        ("accounts/capabilityHosts", "create"): pytest.approx(1.2 * 270, rel=1e-3),
        ("accounts/projects/capabilityHosts", "create"): pytest.approx(1.0 * 270, rel=1e-3),
    }
