"""Role propagation before a project capability host.

The project identity's Cosmos DB Operator and Storage Blob Data Contributor assignments must be in place before the
project host is created (foundry-samples 15-private-network-standard-agent-setup/main.bicep); the Terraform sample
waits 60 s after them (``time_sleep.wait_rbac``, 15a-private-network-standard-agent-setup/code/main.tf). An assignment
is honoured only after a propagation delay (Learn "Troubleshoot Azure RBAC": up to 10 minutes). A host created before
then is accepted and its operation ends Failed (the code is modelled, foundry_caphosts.py); it can only be deleted.
"""

from __future__ import annotations

import io
import json
import time
import uuid
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from foundry_litellm.emulator.providers import authorization, cosmos_rbac
from foundry_litellm.emulator.tails import DEFAULT_TAILS
from tests.emulator.foundry_support import (
    caphost_body,
    connection_body,
    create_account,
    error_code,
    identity,
    project_body,
    raw,
)
from tests.emulator.helpers import SUB, rid

COSMOS_DB_OPERATOR = "230815da-be43-4aae-9cb4-875f7bd000aa"
STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
PROPAGATION = DEFAULT_TAILS["role_propagation"][1]  # the default delay, nominal seconds


def _world(emulator: Any) -> Any:
    return emulator._server.app


def _age(emulator: Any, type_: str, nominal_seconds: float) -> None:
    """Pretend every record of ``type_`` was created ``nominal_seconds`` ago (propagation is time-based)."""
    app = _world(emulator)
    with app.store.lock:
        for record in app.world.of_type(type_):
            record["created"] = app.world.now() - app.world.scaled(nominal_seconds)
        app.store.save()


def _just_granted(emulator: Any) -> None:
    """Pin the assignments to "just created", with a margin a loaded machine cannot eat: the window between
    creating them and the next request must not decide the test."""
    _age(emulator, authorization.ASSIGNMENT_TYPE, -1000)


def _auth(sdk: dict[str, Any], credential: Any) -> Any:
    from azure.mgmt.authorization import AuthorizationManagementClient

    return AuthorizationManagementClient(credential, SUB, **sdk)


def _grant(auth: Any, scope: str, principal: str, role: str) -> None:
    body = {"properties": {"roleDefinitionId": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/"
                                               f"roleDefinitions/{role}",
                           "principalId": principal, "principalType": "ServicePrincipal"}}
    auth.role_assignments.create(scope, str(uuid.uuid4()), io.BytesIO(json.dumps(body).encode()))


def _setup(c: dict[str, Any], rg: str) -> tuple[dict[str, str], str, dict[str, str]]:
    """Account with its host, a project with a user-assigned identity and its three connections to resources."""
    create_account(c, rg, "acct")
    ident = identity(c, rg, "id-project-1")
    c["cs"].projects.begin_create(rg, "acct", "p1", raw(project_body(ident.id))).result()
    scopes = {"thread": rid(rg, "Microsoft.DocumentDB/databaseAccounts/cosmos1"),
              "storage": rid(rg, "Microsoft.Storage/storageAccounts/st1"),
              "vector": rid(rg, "Microsoft.Search/searchServices/search1")}
    kinds = {"thread": ("CosmosDb", "https://cosmos1.documents.azure.com:443/"),
             "storage": ("AzureStorageAccount", "https://st1.blob.core.windows.net/"),
             "vector": ("CognitiveSearch", "https://search1.search.windows.net")}
    names = {}
    for key, (category, target) in kinds.items():
        names[key] = f"{key}-conn"
        c["cs"].project_connections.create(rg, "acct", "p1", names[key],
                                           raw(connection_body(category, target, ResourceId=scopes[key])))
    c["cs"].account_capability_hosts.begin_create_or_update(rg, "acct", "caphostacct", raw(caphost_body())).result()
    time.sleep(0.05)  # Entra replication of the new identity (10 nominal seconds with principalType)
    return names, str(ident.principal_id), scopes


def _cosmos(c: dict[str, Any], rg: str) -> str:
    body = {"location": "eastus", "kind": "GlobalDocumentDB",
            "properties": {"databaseAccountOfferType": "Standard", "disableLocalAuth": True,
                           "locations": [{"locationName": "eastus", "failoverPriority": 0, "isZoneRedundant": False}]}}
    c["cosmos"].database_accounts.begin_create_or_update(rg, "cosmos1", body).result()
    return rid(rg, "Microsoft.DocumentDB/databaseAccounts/cosmos1")


def _grant_pre_roles(c: dict[str, Any], auth: Any, rg: str, principal: str) -> None:
    """Cosmos DB Operator on the account; Storage Blob Data Contributor on the group, which covers the account."""
    _grant(auth, _cosmos(c, rg), principal, COSMOS_DB_OPERATOR)
    _grant(auth, f"/subscriptions/{SUB}/resourceGroups/{rg}", principal, STORAGE_BLOB_DATA_CONTRIBUTOR)


def test_a_host_created_before_the_roles_propagate_fails_and_after_succeeds(
        c: dict[str, Any], rg: str, sdk: dict[str, Any], credential: Any, emulator: Any) -> None:
    names, principal, _ = _setup(c, rg)
    _grant_pre_roles(c, _auth(sdk, credential), rg, principal)
    _just_granted(emulator)
    put = c["cs"].project_capability_hosts.begin_create_or_update
    poller = put(rg, "acct", "p1", "projcaphost", raw(caphost_body(names)))  # accepted: 201 and an operation
    with pytest.raises(HttpResponseError) as err:
        poller.result()
    assert error_code(err.value) == "CapabilityHostOperationFailed"
    assert "Cosmos DB Operator" in str(err.value)
    failed = c["cs"].project_capability_hosts.get(rg, "acct", "p1", "projcaphost")
    assert failed.properties.provisioning_state == "Failed"
    # A failed host can only be deleted (foundry-samples 15a diagnostic SKILL.md), then created again.
    c["cs"].project_capability_hosts.begin_delete(rg, "acct", "p1", "projcaphost").result()
    _age(emulator, authorization.ASSIGNMENT_TYPE, PROPAGATION)
    host = put(rg, "acct", "p1", "projcaphost", raw(caphost_body(names))).result()
    assert host.properties.provisioning_state == "Succeeded"


def test_the_propagation_delay_follows_the_time_scale(
        c: dict[str, Any], rg: str, sdk: dict[str, Any], credential: Any, emulator: Any) -> None:
    names, principal, scopes = _setup(c, rg)
    _grant_pre_roles(c, _auth(sdk, credential), rg, principal)
    _age(emulator, authorization.ASSIGNMENT_TYPE, 0)
    app = _world(emulator)
    with app.store.lock:
        assert authorization.role_state(app.world, {principal.lower()}, scopes["thread"],
                                        COSMOS_DB_OPERATOR) == "pending"
        assert authorization.role_state(app.world, {principal.lower()}, scopes["storage"],
                                        STORAGE_BLOB_DATA_CONTRIBUTOR) == "pending"  # assigned above it
        assert authorization.role_state(app.world, {principal.lower()}, scopes["vector"],
                                        COSMOS_DB_OPERATOR) == "absent"
    time.sleep(app.world.scaled(PROPAGATION) + 0.05)
    with app.store.lock:
        assert authorization.role_state(app.world, {principal.lower()}, scopes["thread"],
                                        COSMOS_DB_OPERATOR) == "effective"
    host = c["cs"].project_capability_hosts.begin_create_or_update(
        rg, "acct", "p1", "projcaphost", raw(caphost_body(names))).result()
    assert host.properties.provisioning_state == "Succeeded"


def test_a_cosmos_data_plane_assignment_propagates_too(c: dict[str, Any], rg: str, emulator: Any) -> None:
    account_id = _cosmos(c, rg)
    principal = identity(c, rg, "id-project-1").principal_id
    app = _world(emulator)
    with app.store.lock:  # the Cosmos RP sees a new principal after a replication delay
        app.world.data["principals"][principal] = app.world.now() - app.world.scaled(3600)
    name = str(uuid.uuid4())
    c["cosmos"].sql_resources.begin_create_update_sql_role_assignment(name, rg, "cosmos1", {"properties": {
        "roleDefinitionId": f"{account_id}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002",
        "scope": f"{account_id}/dbs/enterprise_memory", "principalId": principal}}).result()
    with app.store.lock:
        record = app.world.get(f"{account_id}/sqlRoleAssignments/{name}")
        assert record is not None and not cosmos_rbac.effective(app.world, record)
    _age(emulator, cosmos_rbac.ASSIGNMENT_TYPE, PROPAGATION)
    with app.store.lock:
        assert cosmos_rbac.effective(app.world, app.world.get(f"{account_id}/sqlRoleAssignments/{name}"))
