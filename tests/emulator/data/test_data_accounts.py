"""Storage, Cosmos DB and AI Search accounts through their SDK clients: shapes, LRO styles, global names.

Azure behaviour cited: storage.json (2025-06-01; create 202 + Location without a body, delete synchronous),
Learn "Resolve errors for storage account names" (AccountNameInvalid, StorageAccountAlreadyTaken,
StorageAccountInAnotherResourceGroup); cosmos-db.json (2025-10-15; delete 202 with Azure-AsyncOperation and
Location) and its CosmosDBDatabaseAccountCreateMin example (the write region is the priority-0 region asked for,
not the resource's location); Azure/azure-cli PR #21509 (unique priorities, one of them 0); search.json
(2025-05-01; lower-case provisioningState, synchronous delete, names 2-60).
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from tests.emulator.helpers import SUB, log_for, rid

OTHER_SUB = "00000000-0000-0000-0000-0000000000bb"
STORAGE = {"location": "eastus", "kind": "StorageV2", "sku": {"name": "Standard_LRS"},
           "properties": {"allowSharedKeyAccess": False}}


def _cosmos(*regions: str, location: str = "eastus") -> dict[str, Any]:
    return {"location": location, "kind": "GlobalDocumentDB", "properties": {
        "databaseAccountOfferType": "Standard",
        "locations": [{"locationName": r, "failoverPriority": i, "isZoneRedundant": False}
                      for i, r in enumerate(regions)]}}


def _raw(body: dict[str, Any]) -> io.BytesIO:
    """Exact JSON for the msrest-style clients (azure-sdk-notes §1)."""
    return io.BytesIO(json.dumps(body).encode())


@pytest.fixture
def st(sdk: dict[str, Any], credential: Any, rg: str) -> Any:
    from azure.mgmt.storage import StorageManagementClient

    return StorageManagementClient(credential, SUB, **sdk)


@pytest.fixture
def cosmos(sdk: dict[str, Any], credential: Any, rg: str) -> Any:
    from azure.mgmt.cosmosdb import CosmosDBManagementClient

    return CosmosDBManagementClient(credential, SUB, **sdk)


@pytest.fixture
def search(sdk: dict[str, Any], credential: Any, rg: str) -> Any:
    from azure.mgmt.search import SearchManagementClient

    return SearchManagementClient(credential, SUB, **sdk)


def _second_group(c: dict[str, Any]) -> str:
    c["rm"].resource_groups.create_or_update("rg2", {"location": "eastus"})
    return "rg2"


# --- storage -------------------------------------------------------------------------------------------------
def test_storage_create_answers_202_location_then_get_delete(st: Any, rg: str, admin: Any) -> None:
    account = st.storage_accounts.begin_create(rg, "projstore1", STORAGE).result()
    assert account.provisioning_state == "Succeeded" and account.kind == "StorageV2"
    assert account.primary_endpoints.blob == "https://projstore1.blob.core.windows.net/"
    assert account.primary_endpoints.dfs == "https://projstore1.dfs.core.windows.net/"
    assert account.creation_time is not None and account.allow_shared_key_access is False
    put = log_for(admin, "PUT", "/storageAccounts/projstore1")
    assert [e["status"] for e in put] == [202]
    assert st.storage_accounts.get_properties(rg, "projstore1").id == \
        rid(rg, "Microsoft.Storage/storageAccounts/projstore1")
    assert [k["keyName"] for k in st.storage_accounts.list_keys(rg, "projstore1")["keys"]] == ["key1", "key2"]
    st.storage_accounts.delete(rg, "projstore1")  # synchronous
    with pytest.raises(ResourceNotFoundError):
        st.storage_accounts.get_properties(rg, "projstore1")


@pytest.mark.parametrize("name", ["ab", "Projstore", "proj-store", "a" * 25])
def test_storage_name_rule_is_accountnameinvalid(st: Any, rg: str, name: str) -> None:
    with pytest.raises(HttpResponseError) as err:
        st.storage_accounts.begin_create(rg, name, STORAGE)
    assert err.value.status_code == 400 and err.value.error.code == "AccountNameInvalid"


def test_storage_names_are_global(st: Any, rg: str, c: dict[str, Any], sdk: dict[str, Any],
                                  credential: Any) -> None:
    from azure.mgmt.resource.resources import ResourceManagementClient
    from azure.mgmt.storage import StorageManagementClient

    st.storage_accounts.begin_create(rg, "projstore1", STORAGE).result()
    with pytest.raises(HttpResponseError) as err:
        st.storage_accounts.begin_create(_second_group(c), "projstore1", STORAGE)
    assert err.value.status_code == 409 and err.value.error.code == "StorageAccountInAnotherResourceGroup"
    ResourceManagementClient(credential, OTHER_SUB, **sdk).resource_groups.create_or_update(
        "rg2", {"location": "eastus"})
    with pytest.raises(HttpResponseError) as err:
        StorageManagementClient(credential, OTHER_SUB, **sdk).storage_accounts.begin_create(
            "rg2", "projstore1", STORAGE)
    assert err.value.status_code == 409 and err.value.error.code == "StorageAccountAlreadyTaken"


# --- Cosmos DB -----------------------------------------------------------------------------------------------
def test_cosmos_create_get_delete(cosmos: Any, rg: str, admin: Any) -> None:
    account = cosmos.database_accounts.begin_create_or_update(rg, "project-cosmos", _cosmos("eastus")).result()
    assert account.provisioning_state == "Succeeded"
    assert account.document_endpoint == "https://project-cosmos.documents.azure.com:443/"
    assert [loc.location_name for loc in account.write_locations] == ["East US"]
    assert account.locations[0].id == "project-cosmos-eastus"
    got = cosmos.database_accounts.get(rg, "project-cosmos")
    assert got.location == "East US" and got.consistency_policy.default_consistency_level == "Session"
    cosmos.database_accounts.begin_delete(rg, "project-cosmos").result()
    with pytest.raises(ResourceNotFoundError):
        cosmos.database_accounts.get(rg, "project-cosmos")
    deletes = log_for(admin, "DELETE", "/databaseAccounts/project-cosmos")
    assert deletes[0]["status"] == 202


def test_cosmos_keeps_exactly_the_regions_asked_for(cosmos: Any, rg: str) -> None:
    # The resource's location is westus, but its write region is southcentralus (the spec example).
    account = cosmos.database_accounts.begin_create_or_update(
        rg, "project-cosmos", _cosmos("southcentralus", "eastus2", location="westus")).result()
    assert account.location == "West US"
    assert [w.location_name for w in account.write_locations] == ["South Central US"]
    assert [(r.location_name, r.failover_priority) for r in account.read_locations] == \
        [("South Central US", 0), ("East US 2", 1)]
    # An update does not move the write region.
    with pytest.raises(HttpResponseError) as err:
        cosmos.database_accounts.begin_create_or_update(rg, "project-cosmos", _cosmos("eastus2", "southcentralus",
                                                                                      location="westus"))
    assert err.value.status_code == 400


def test_cosmos_refuses_bad_priorities_and_taken_names(cosmos: Any, rg: str, c: dict[str, Any]) -> None:
    body = _cosmos("eastus", "westus")
    body["properties"]["locations"][1]["failoverPriority"] = 0
    with pytest.raises(HttpResponseError) as err:
        cosmos.database_accounts.begin_create_or_update(rg, "project-cosmos", body)
    assert err.value.status_code == 400
    with pytest.raises(HttpResponseError) as err:
        cosmos.database_accounts.begin_create_or_update(rg, "x" * 45, _cosmos("eastus"))
    assert err.value.status_code == 400 and "44 characters" in err.value.error.message
    cosmos.database_accounts.begin_create_or_update(rg, "project-cosmos", _cosmos("eastus")).result()
    with pytest.raises(HttpResponseError) as err:
        cosmos.database_accounts.begin_create_or_update(_second_group(c), "project-cosmos", _cosmos("eastus"))
    assert err.value.status_code == 400 and "already exists" in err.value.error.message


# --- AI Search -----------------------------------------------------------------------------------------------
def test_search_create_with_system_identity_then_delete(search: Any, rg: str) -> None:
    body = {"location": "eastus", "sku": {"name": "basic"}, "identity": {"type": "SystemAssigned"},
            "properties": {"replicaCount": 1, "partitionCount": 1, "disableLocalAuth": False,
                           "authOptions": {"aadOrApiKey": {"aadAuthFailureMode": "http401WithBearerChallenge"}},
                           "semanticSearch": "disabled"}}
    service = search.services.begin_create_or_update(rg, "project-search", _raw(body)).result()
    assert service.provisioning_state == "succeeded" and service.status == "running"
    assert service.identity.principal_id and service.identity.tenant_id
    assert service.sku.name == "basic"
    assert [s.name for s in search.services.list_by_resource_group(rg)] == ["project-search"]
    search.services.delete(rg, "project-search")  # synchronous
    with pytest.raises(ResourceNotFoundError):
        search.services.get(rg, "project-search")


def test_search_names_are_global_and_checked(search: Any, rg: str, c: dict[str, Any]) -> None:
    body = {"location": "eastus", "sku": {"name": "basic"}}
    with pytest.raises(HttpResponseError) as err:
        search.services.begin_create_or_update(rg, "-bad-", _raw(body))
    assert err.value.status_code == 400
    search.services.begin_create_or_update(rg, "project-search", _raw(body)).result()
    with pytest.raises(HttpResponseError) as err:
        search.services.begin_create_or_update(_second_group(c), "project-search", _raw(body))
    assert err.value.status_code == 409
