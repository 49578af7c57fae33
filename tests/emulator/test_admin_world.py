"""Admin routes that set up a world as a replay finds it: resources a template deployment made (stored as a body
shows them, no validation), directory objects made outside ARM, and a virtual clock a held answer moves."""

from __future__ import annotations

import urllib.error
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from tests.emulator.helpers import SUB, clients, rid

READER = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"


class VirtualClock:
    def __init__(self) -> None:
        self.now = 1.6e9

    def __call__(self) -> float:
        return self.now

    def advance_to(self, when: float) -> None:
        self.now = max(self.now, when)


def test_an_imported_resource_is_served_and_ends_its_transient_state_on_time(make_emulator: Any,
                                                                             credential: Any) -> None:
    clock = VirtualClock()
    emu = make_emulator(time_scale=1.0, clock=clock)
    c = clients({"base_url": emu.url, "connection_verify": str(emu.ca_cert)}, credential)
    c["rm"].resource_groups.create_or_update("rg1", {"location": "westus"})
    agw = rid("rg1", "Microsoft.Network/applicationGateways/ag1")
    # references nothing that exists: a PUT would be refused, an import is not
    emu.admin.import_resource({"id": agw, "name": "ag1", "type": "Microsoft.Network/applicationGateways",
                               "location": "westus", "properties": {"provisioningState": "Updating",
                                                                    "gatewayIPConfigurations": [{"id": "x"}]}},
                              seconds=600)
    assert c["net"].application_gateways.get("rg1", "ag1").provisioning_state == "Updating"
    clock.advance_to(clock() + 601)
    assert c["net"].application_gateways.get("rg1", "ag1").provisioning_state == "Succeeded"
    with pytest.raises(urllib.error.HTTPError, match="400"):  # a type the emulator does not serve
        emu.admin.import_resource({"id": rid("rg1", "Microsoft.Compute/virtualMachines/vm")})


def test_a_directory_object_added_by_admin_can_be_assigned_a_role_at_once(make_emulator: Any,
                                                                        credential: Any) -> None:
    from azure.mgmt.authorization import AuthorizationManagementClient

    emu = make_emulator()
    sdk = {"base_url": emu.url, "connection_verify": str(emu.ca_cert)}
    c = {**clients(sdk, credential), "auth": AuthorizationManagementClient(credential, SUB, **sdk)}
    c["rm"].resource_groups.create_or_update("rg1", {"location": "westus"})
    user = "0d504196-1423-4569-9a6e-15149656f0ee"
    scope = f"/subscriptions/{SUB}/resourceGroups/rg1"
    body = {"properties": {"roleDefinitionId": READER, "principalId": user, "principalType": "User"}}
    with pytest.raises(HttpResponseError) as err:  # unknown to the directory
        c["auth"].role_assignments.create(scope, "11111111-0000-0000-0000-000000000001", body)
    assert "PrincipalNotFound" in str(err.value)
    assert emu.admin.add_principals([{"id": user, "type": "User"}]) == 1
    made = c["auth"].role_assignments.create(scope, "11111111-0000-0000-0000-000000000001", body)
    assert made.principal_type == "User"


def test_a_held_answer_moves_a_virtual_clock_instead_of_waiting(make_emulator: Any, credential: Any,
                                                                tmp_path: Path) -> None:
    """A Foundry project's PUT is answered once done (8 Azure seconds): on a virtual clock, at once."""
    from tests.emulator.foundry_support import account_body, foundry_clients, identity, project_body, raw

    clock = VirtualClock()
    emu = make_emulator(time_scale=1.0, clock=clock)
    c = foundry_clients({"base_url": emu.url, "connection_verify": str(emu.ca_cert), "polling_interval": 0}, credential)
    c["rm"].resource_groups.create_or_update("rg1", {"location": "eastus"})
    account = c["cs"].accounts.begin_create("rg1", "acct", raw(account_body(identity(c, "rg1").id, "acct")))
    clock.advance_to(clock() + 3600)
    account.result()
    before = clock()
    project = c["cs"].projects.begin_create("rg1", "acct", "p1", raw(project_body())).result()
    assert project.properties.provisioning_state == "Succeeded"
    assert clock() == pytest.approx(before + 8)
