"""What the Azure CLI recordings show real Azure answering for Cosmos DB accounts, their SQL role definitions and
assignments, and PostgreSQL flexible servers and databases (tests/conformance/recordings/*.yaml, named in each
test). Real HTTPS through the embedded emulator."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from azure.core.rest import HttpRequest

from tests.emulator.helpers import rid, wait_until

COSMOS_API = "2021-04-15"  # the api-version of the cosmosdb__*.yaml recordings
PG_API = "2026-01-01-preview"  # the api-version of the postgresql__*.yaml recordings
LRO_HEADERS = ("Azure-AsyncOperation", "Location")


def _raw(c: dict[str, Any], method: str, path: str, api: str, body: Any = None) -> Any:
    """One request through an SDK pipeline (auth, HTTPS), without any LRO poller."""
    return c["dns"].send_request(HttpRequest(method, f"{path}?api-version={api}", json=body))


def _done(c: dict[str, Any], path: str, api: str) -> bool:
    answer = _raw(c, "GET", path, api)
    if answer.status_code != 200:
        return False
    props: dict[str, Any] = answer.json()["properties"]
    return bool(props.get("provisioningState", "Succeeded") == "Succeeded" and props.get("state", "Ready") == "Ready")


def _account(c: dict[str, Any], rg: str, name: str = "cli000002") -> tuple[str, Any]:
    path = rid(rg, f"Microsoft.DocumentDB/databaseAccounts/{name}")
    created = _raw(c, "PUT", path, COSMOS_API, {"location": "westus", "kind": "GlobalDocumentDB", "properties": {
        "locations": [{"locationName": "eastus2", "failoverPriority": 0, "isZoneRedundant": False}],
        "databaseAccountOfferType": "Standard", "apiProperties": {}}})
    wait_until(lambda: _done(c, path, COSMOS_API), timeout=10)
    return path, created


def _follow(c: dict[str, Any], answer: Any) -> None:
    """Wait for the end of the operation an answer started (writes on one account or server are exclusive)."""
    url = answer.headers["Azure-AsyncOperation"]
    wait_until(lambda: c["dns"].send_request(HttpRequest("GET", url)).json()["status"] == "Succeeded", timeout=10)


def _enqueued(c: dict[str, Any], answer: Any) -> None:
    """202, both headers, {"status": "Enqueued"}; then the operation's end."""
    assert answer.status_code == 202 and answer.json() == {"status": "Enqueued"}
    assert all(h in answer.headers for h in LRO_HEADERS)
    _follow(c, answer)


# --- cosmosdb__test_delete_database_account.yaml / cosmosdb__test_cosmosdb_sql_role.yaml -----------------------
def test_cosmos_account_put_200_creating_with_both_headers_delete_202_enqueued(c: dict[str, Any], rg: str) -> None:
    path, created = _account(c, rg)
    assert created.status_code == 200 and all(h in created.headers for h in LRO_HEADERS)
    body = created.json()
    assert body["properties"]["provisioningState"] == "Creating"
    assert body["tags"] == {} and body["identity"] == {"type": "None"}
    assert isinstance(body["systemData"]["createdAt"], str)
    props = _raw(c, "GET", path, COSMOS_API).json()["properties"]
    assert props["EnabledApiTypes"] == "Sql" and props["databaseAccountOfferType"] == "Standard"
    assert props["enablePartitionKeyMonitor"] is False and props["enableCassandraConnector"] is False
    assert props["connectorOffer"] == "" and props["configurationOverrides"] == {}
    assert "analyticalStorageConfiguration" in props and isinstance(props["defaultIdentity"], str)
    _enqueued(c, _raw(c, "DELETE", path, COSMOS_API))
    wait_until(lambda: _raw(c, "GET", path, COSMOS_API).status_code == 404, timeout=10)


def test_cosmos_role_definitions_answer_enqueued_and_numbered_types(c: dict[str, Any], rg: str) -> None:
    account, _ = _account(c, rg)
    first, second = "be79875a-2cc4-40d5-8958-566017875b39", "6328f5f7-dbf7-4244-bba8-fbb9d8066506"
    item = "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items"
    for name, scope in ((first, f"{account}/"), (second, "/")):
        _enqueued(c, _raw(c, "PUT", f"{account}/sqlRoleDefinitions/{name}", COSMOS_API, {"properties": {
            "roleName": name[:4], "type": "CustomRole", "assignableScopes": [scope],
            "permissions": [{"dataActions": [f"{item}/create"]}, {"dataActions": [f"{item}/read"]}]}}))
    got = _raw(c, "GET", f"{account}/sqlRoleDefinitions/{first}", COSMOS_API).json()["properties"]
    assert "provisioningState" not in got and got["type"] == 1  # CustomRole, as a number
    assert got["assignableScopes"] == [account]  # fully qualified, no trailing '/'
    assert got["permissions"][1] == {"dataActions": [f"{item}/read"], "notDataActions": []}
    listed = _raw(c, "GET", f"{account}/sqlRoleDefinitions", COSMOS_API).json()["value"]
    custom = [d["name"] for d in listed if d["properties"]["type"] == 1]
    assert custom == [second, first]  # by name, as the recording lists them
    assert _raw(c, "GET", f"{account}/sqlRoleDefinitions/{second}", COSMOS_API).json()["properties"][
        "assignableScopes"] == [account]  # "/" is the account
    _enqueued(c, _raw(c, "DELETE", f"{account}/sqlRoleDefinitions/{first}", COSMOS_API))


def test_cosmos_role_assignment_may_change_its_definition_not_its_principal(c: dict[str, Any], rg: str) -> None:
    account, _ = _account(c, rg)
    principal = c["msi"].user_assigned_identities.create_or_update(rg, "id-1", {"location": "westus"}).principal_id
    other = c["msi"].user_assigned_identities.create_or_update(rg, "id-2", {"location": "westus"}).principal_id
    time.sleep(0.3)  # the new principals become visible to the Cosmos RP (REPLICATION_SECONDS, scaled)
    path = f"{account}/sqlRoleAssignments/{uuid.uuid4()}"
    reader, contributor = (f"{account}/sqlRoleDefinitions/00000000-0000-0000-0000-00000000000{i}" for i in (1, 2))
    body = {"properties": {"roleDefinitionId": contributor, "scope": f"{account}/dbs/cli000003",
                           "principalId": principal}}
    _enqueued(c, _raw(c, "PUT", path, COSMOS_API, body))
    assert "provisioningState" not in _raw(c, "GET", path, COSMOS_API).json()["properties"]
    body["properties"]["roleDefinitionId"] = reader  # the recording's `role assignment update -d`
    _enqueued(c, _raw(c, "PUT", path, COSMOS_API, body))
    assert _raw(c, "GET", path, COSMOS_API).json()["properties"]["roleDefinitionId"] == reader
    refused = _raw(c, "PUT", path, COSMOS_API, {"properties": {**body["properties"], "principalId": other}})
    assert refused.status_code == 400  # pulumi/pulumi-azure-native PR #3711
    assert "Principal ID is not permitted" in refused.json()["error"]["message"]
    _enqueued(c, _raw(c, "DELETE", path, COSMOS_API))


# --- postgresql__test_postgres_flexible_server_database_mgmt.yaml ------------------------------------------------
def test_postgres_server_and_database_as_recorded(c: dict[str, Any], rg: str) -> None:
    server = rid(rg, "Microsoft.DBforPostgreSQL/flexibleServers/azuredbclitest-000002")
    created = _raw(c, "PUT", server, PG_API, {
        "location": "canadacentral", "sku": {"name": "Standard_D2ds_v5", "tier": "GeneralPurpose"},
        "properties": {"administratorLoginPassword": "q2HfGID1lESaeCHI66ZvZg", "administratorLogin": "hopefulpepper0",
                       "backup": {"backupRetentionDays": 7, "geoRedundantBackup": "Disabled"},
                       "network": {"publicNetworkAccess": "Disabled"}, "highAvailability": {"mode": "Disabled"},
                       "version": "17", "storage": {"storageSizeGB": 128, "autoGrow": "Disabled"},
                       "authConfig": {"activeDirectoryAuth": "Disabled", "passwordAuth": "Enabled"},
                       "createMode": "Create"}})
    assert created.status_code == 202 and all(h in created.headers for h in LRO_HEADERS)
    assert created.json()["operation"] == "UpsertServerManagementOperationV2"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", created.json()["startTime"])
    _follow(c, created)
    got = _raw(c, "GET", server, PG_API).json()
    assert isinstance(got["systemData"]["createdAt"], str)
    props = got["properties"]
    assert props["replica"] == {"role": "Primary", "capacity": 6} and props["replicaCapacity"] == 6
    assert props["storage"] == {"type": "", "iops": 500, "tier": "P10", "storageSizeGB": 128, "autoGrow": "Disabled"}
    database = f"{server}/databases/database000003"
    # the recording's CLI sends charset and collation outside "properties" (Azure takes it, answering its
    # defaults); the strict emulator checks bodies against the spec, so this sends them where the spec has them
    put = _raw(c, "PUT", database, PG_API, {"properties": {"charset": "UTF8", "collation": "en_US.utf8"}})
    assert put.status_code == 202 and put.json()["operation"] == "UpsertServerDatabaseManagementOperation"
    _follow(c, put)
    assert _raw(c, "GET", database, PG_API).json()["properties"] == {"charset": "UTF8", "collation": "en_US.utf8"}
    names = [d["name"] for d in _raw(c, "GET", f"{server}/databases", PG_API).json()["value"]]
    assert sorted(names) == ["azure_maintenance", "azure_sys", "database000003", "postgres"]
    dropped = _raw(c, "DELETE", database, PG_API)
    assert dropped.status_code == 202 and all(h in dropped.headers for h in LRO_HEADERS)
    assert dropped.json()["operation"] == "DropServerDatabaseManagementOperation"
    _follow(c, dropped)
    assert _raw(c, "GET", database, PG_API).status_code == 404
    gone = _raw(c, "DELETE", server, PG_API)
    assert gone.status_code == 202 and gone.json()["operation"] == "DropServerManagementOperation"
    wait_until(lambda: _raw(c, "GET", server, PG_API).status_code == 404, timeout=10)
