"""Cosmos DB data-plane role assignments (databaseAccounts/sqlRoleAssignments), as the Foundry projects need them:
Built-in Data Contributor on the agent database (reference-inventory §1.10, R115-R117)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from tests.emulator.foundry_support import LOCATION, error_code, foundry_clients, identity
from tests.emulator.helpers import rid

CONTRIBUTOR = "00000000-0000-0000-0000-000000000002"


def _cosmos(c: dict[str, Any], rg: str, name: str = "cosmos1") -> str:
    body = {"location": LOCATION, "kind": "GlobalDocumentDB",
            "properties": {"databaseAccountOfferType": "Standard", "disableLocalAuth": True,
                           "locations": [{"locationName": LOCATION, "failoverPriority": 0, "isZoneRedundant": False}]}}
    c["cosmos"].database_accounts.begin_create_or_update(rg, name, body).result()
    return rid(rg, f"Microsoft.DocumentDB/databaseAccounts/{name}")


def _assignment(account_id: str, principal: str, scope: str, role: str = CONTRIBUTOR) -> dict[str, Any]:
    return {"properties": {"roleDefinitionId": f"{account_id}/sqlRoleDefinitions/{role}", "scope": scope,
                           "principalId": principal}}


def _replicated(principal_age_window: float = 0.2) -> None:
    """A new principal becomes visible to the Cosmos RP after a short replication delay (60 nominal seconds)."""
    time.sleep(principal_age_window)


def test_contributor_on_the_agent_database(c: dict[str, Any], rg: str) -> None:
    sql = c["cosmos"].sql_resources
    account_id = _cosmos(c, rg)
    principal = identity(c, rg, "id-project-1").principal_id
    _replicated()
    name = str(uuid.uuid4())
    scope = f"{account_id}/dbs/enterprise_memory"  # the database need not exist yet
    created = sql.begin_create_update_sql_role_assignment(
        name, rg, "cosmos1", _assignment(account_id, principal, scope)).result()
    assert created.name == name and created.properties.principal_id == principal
    assert created.properties.scope == scope
    root = sql.begin_create_update_sql_role_assignment(
        str(uuid.uuid4()), rg, "cosmos1", _assignment(account_id, principal, "/")).result()
    assert root.properties.scope == account_id  # answered fully qualified
    assert sorted(a.name for a in sql.list_sql_role_assignments(rg, "cosmos1")) == sorted([name, root.name])
    built_in = sql.get_sql_role_definition(CONTRIBUTOR, rg, "cosmos1")
    assert built_in.properties.role_name == "Cosmos DB Built-in Data Contributor"
    # a number on the wire (Azure CLI recording cosmosdb/test_cosmosdb_sql_role.yaml: 1 for a CustomRole)
    assert built_in.properties.type == 0
    sql.begin_delete_sql_role_assignment(name, rg, "cosmos1").result()
    with pytest.raises(ResourceNotFoundError, match="Unable to find a SQL Role Assignment"):
        sql.get_sql_role_assignment(name, rg, "cosmos1")


def test_an_unknown_or_fresh_principal_fails_the_operation_and_leaves_nothing(
        make_emulator: Any, credential: Any) -> None:
    # pulumi/pulumi-azure-native#2816: right after the identity is created, the assignment fails; a retry works.
    emu = make_emulator(time_scale=0.01)  # a 0.6 s replication window: the race below is deterministic
    c = foundry_clients({"base_url": emu.url, "connection_verify": str(emu.ca_cert), "polling_interval": 0.05},
                        credential)
    c["rm"].resource_groups.create_or_update("rg1", {"location": LOCATION})
    sql = c["cosmos"].sql_resources
    account_id = _cosmos(c, "rg1")
    for principal in (str(uuid.uuid4()), identity(c, "rg1", "fresh").principal_id):
        name = str(uuid.uuid4())
        with pytest.raises(HttpResponseError) as err:
            sql.begin_create_update_sql_role_assignment(
                name, "rg1", "cosmos1", _assignment(account_id, principal, "/")).result()
        assert "was not found in the AAD tenant" in str(err.value)
        with pytest.raises(ResourceNotFoundError):
            sql.get_sql_role_assignment(name, "rg1", "cosmos1")
    time.sleep(0.7)
    retried = sql.begin_create_update_sql_role_assignment(
        str(uuid.uuid4()), "rg1", "cosmos1", _assignment(account_id, principal, "/")).result()
    assert retried.properties.principal_id == principal


def test_role_definitions_and_scopes_are_checked(c: dict[str, Any], rg: str) -> None:
    sql = c["cosmos"].sql_resources
    account_id = _cosmos(c, rg)
    other_id = _cosmos(c, rg, "cosmos2")
    principal = identity(c, rg).principal_id
    _replicated()

    def put(body: dict[str, Any]) -> Any:
        return sql.begin_create_update_sql_role_assignment(str(uuid.uuid4()), rg, "cosmos1", body).result()

    with pytest.raises(HttpResponseError, match="does not exist"):  # MicrosoftDocs/azure-docs#100180
        put(_assignment(account_id, principal, "/", role="00000000-0000-0000-0000-000000000009"))
    with pytest.raises(HttpResponseError, match="does not exist"):  # another account's definition
        put(_assignment(other_id, principal, "/"))
    with pytest.raises(HttpResponseError) as err:  # MicrosoftDocs/azure-databases-docs PR #63
        put(_assignment(account_id, principal, other_id))
    assert err.value.status_code == 400 and "Expected path segment [dbs]" in str(err.value)

    custom = str(uuid.uuid4())
    sql.begin_create_update_sql_role_definition(custom, rg, "cosmos1", {"properties": {
        "roleName": "Agent memory writer", "type": "CustomRole", "assignableScopes": ["/dbs/db1"],
        "permissions": [{"dataActions": ["Microsoft.DocumentDB/databaseAccounts/readMetadata"]}]}}).result()
    assert put(_assignment(account_id, principal, "/dbs/db1/colls/c1", role=custom)).properties.scope.endswith(
        "/dbs/db1/colls/c1")
    with pytest.raises(HttpResponseError, match="assignable scopes"):
        put(_assignment(account_id, principal, "/", role=custom))
    with pytest.raises(HttpResponseError):  # built-in definitions cannot be changed
        sql.begin_create_update_sql_role_definition(CONTRIBUTOR, rg, "cosmos1", {"properties": {
            "roleName": "x", "type": "CustomRole", "assignableScopes": ["/"]}}).result()


def test_writes_on_one_account_are_exclusive(c: dict[str, Any], rg: str, admin: Any) -> None:
    sql = c["cosmos"].sql_resources
    account_id = _cosmos(c, rg)
    principal = identity(c, rg).principal_id
    _replicated()
    first = str(uuid.uuid4())
    admin.set_faults({"seed": 0, "rules": [{"method": "PUT", "path": f"/sqlroleassignments/{first}$",
                                            "stall_operation": True, "count": 1}]})
    sql.begin_create_update_sql_role_assignment(first, rg, "cosmos1", _assignment(account_id, principal, "/"),
                                                polling=False)
    with pytest.raises(HttpResponseError) as err:  # hashicorp/terraform-provider-azurerm#15842
        sql.begin_create_update_sql_role_assignment(
            str(uuid.uuid4()), rg, "cosmos1", _assignment(account_id, principal, "/dbs/db1")).result()
    assert err.value.status_code == 412 and error_code(err.value) == "PreconditionFailed"
