"""A storage account's blob service and containers through the real SDK client, and the account's security settings.

Azure behaviour cited: blob.json (2025-06-01: SetServiceProperties 200 only; container create 201 / 200, delete
200 / 204; none long-running); Azure CLI recordings test_storage_account_update_versioning.yaml (the service is
there once the account is, sku on GET only), test_storage_account_update_container_delete_retention_policy.yaml (its
shape: cors and a disabled deleteRetentionPolicy with allowPermanentDelete false) and
test_storage_container_using_rm_main_scenario.yaml (a container PUT answers 201 with deleted, remainingRetentionDays,
hasImmutabilityPolicy and hasLegalHold); storage.json (the account's allowSharedKeyAccess, minimumTlsVersion,
allowBlobPublicAccess and supportsHttpsTrafficOnly are returned as set).
"""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from foundry_litellm.azure_ops import body_bytes, raw
from tests.emulator.helpers import SUB, log_for

ACCOUNT = "statesa1"
SECURE = {"minimumTlsVersion": "TLS1_2", "allowBlobPublicAccess": False, "allowSharedKeyAccess": False,
          "supportsHttpsTrafficOnly": True}


@pytest.fixture
def st(sdk: dict[str, Any], credential: Any, rg: str) -> Any:
    from azure.mgmt.storage import StorageManagementClient

    client = StorageManagementClient(credential, SUB, **sdk)
    client.storage_accounts.begin_create(rg, ACCOUNT, body_bytes({
        "location": "eastus", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}, "properties": SECURE,
    }), cls=raw).result()
    return client


def test_account_keeps_its_security_settings_as_set(st: Any) -> None:
    props = st.storage_accounts.get_properties("rg1", ACCOUNT, cls=raw)["properties"]
    assert {k: props.get(k) for k in SECURE} == SECURE
    changed = {**SECURE, "allowSharedKeyAccess": True, "minimumTlsVersion": "TLS1_1"}
    st.storage_accounts.begin_create("rg1", ACCOUNT, body_bytes({
        "location": "eastus", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}, "properties": changed,
    }), cls=raw).result()
    props = st.storage_accounts.get_properties("rg1", ACCOUNT, cls=raw)["properties"]
    assert {k: props.get(k) for k in SECURE} == changed


def test_account_defaults_when_the_settings_are_left_out(st: Any) -> None:
    # Accounts listed in test_storage_container_using_rm_main_scenario.yaml show no allowSharedKeyAccess when it was
    # never set (null: shared keys allowed); the other three have service-side defaults (storage.json).
    st.storage_accounts.begin_create("rg1", "plainsa1", body_bytes({
        "location": "eastus", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}, "properties": {},
    }), cls=raw).result()
    props = st.storage_accounts.get_properties("rg1", "plainsa1", cls=raw)["properties"]
    assert "allowSharedKeyAccess" not in props
    assert (props["minimumTlsVersion"], props["allowBlobPublicAccess"], props["supportsHttpsTrafficOnly"]) == \
        ("TLS1_2", False, True)
    st.storage_accounts.update("rg1", "plainsa1", body_bytes({"properties": {"allowSharedKeyAccess": False}}),
                               cls=raw)
    assert st.storage_accounts.get_properties("rg1", "plainsa1", cls=raw)["properties"]["allowSharedKeyAccess"] is False


def test_blob_service_exists_with_the_account_as_recorded(st: Any, admin: Any) -> None:
    service = st.blob_services.get_service_properties("rg1", ACCOUNT, cls=raw)
    assert service["name"] == "default"
    assert service["type"] == "Microsoft.Storage/storageAccounts/blobServices"
    assert service["id"].endswith(f"/storageAccounts/{ACCOUNT}/blobServices/default")
    assert service["sku"] == {"name": "Standard_LRS"}  # GET shows the account's sku
    assert service["properties"] == {"cors": {"corsRules": []},
                                     "deleteRetentionPolicy": {"allowPermanentDelete": False, "enabled": False}}


def test_blob_service_put_is_synchronous_200_and_keeps_what_it_leaves_out(st: Any, admin: Any) -> None:
    desired = {"isVersioningEnabled": True, "deleteRetentionPolicy": {"enabled": True, "days": 7},
               "containerDeleteRetentionPolicy": {"enabled": True, "days": 7}}
    answer = st.blob_services.set_service_properties("rg1", ACCOUNT, body_bytes({"properties": desired}), cls=raw)
    (put,) = log_for(admin, "PUT", "/blobServices/default")
    assert put["status"] == 200  # blob.json: 200 only, even for the first PUT
    assert "sku" not in answer and "provisioningState" not in answer["properties"]
    assert answer["properties"] == {"cors": {"corsRules": []}, **desired}
    again = st.blob_services.set_service_properties(
        "rg1", ACCOUNT, body_bytes({"properties": {"isVersioningEnabled": False}}), cls=raw)
    assert again["properties"]["isVersioningEnabled"] is False
    assert again["properties"]["deleteRetentionPolicy"] == {"enabled": True, "days": 7}
    read = st.blob_services.get_service_properties("rg1", ACCOUNT, cls=raw)
    assert read["properties"]["containerDeleteRetentionPolicy"] == {"enabled": True, "days": 7}


def test_blob_service_of_a_missing_account_is_not_found(st: Any) -> None:
    with pytest.raises(ResourceNotFoundError):
        st.blob_services.get_service_properties("rg1", "nosuchaccount", cls=raw)


def test_container_create_201_update_200_get_delete_200_then_204(st: Any, admin: Any) -> None:
    created = st.blob_containers.create("rg1", ACCOUNT, "tfstate", body_bytes({"properties": {"publicAccess": "None"}}),
                                        cls=raw)
    assert created["type"] == "Microsoft.Storage/storageAccounts/blobServices/containers"
    assert created["id"].endswith(f"/storageAccounts/{ACCOUNT}/blobServices/default/containers/tfstate")
    props = created["properties"]
    assert props["publicAccess"] == "None"
    assert {k: props[k] for k in ("deleted", "remainingRetentionDays", "hasImmutabilityPolicy", "hasLegalHold")} == \
        {"deleted": False, "remainingRetentionDays": 0, "hasImmutabilityPolicy": False, "hasLegalHold": False}
    assert "provisioningState" not in props and "tags" not in created
    st.blob_containers.create("rg1", ACCOUNT, "tfstate", body_bytes({"properties": {"publicAccess": "None"}}),
                              cls=raw)
    assert [e["status"] for e in log_for(admin, "PUT", "/containers/tfstate")] == [201, 200]
    got = st.blob_containers.get("rg1", ACCOUNT, "tfstate", cls=raw)
    assert got["properties"]["leaseState"] == "Available"
    listed = st.blob_containers.list("rg1", ACCOUNT)
    assert [c.name for c in listed] == ["tfstate"]
    st.blob_containers.delete("rg1", ACCOUNT, "tfstate")
    st.blob_containers.delete("rg1", ACCOUNT, "tfstate")
    assert [e["status"] for e in log_for(admin, "DELETE", "/containers/tfstate")] == [200, 204]
    with pytest.raises(ResourceNotFoundError):
        st.blob_containers.get("rg1", ACCOUNT, "tfstate")


@pytest.mark.parametrize("name", ["ab", "a" * 64, "Upper", "-lead", "trail-", "two--hyphens", "under_score"])
def test_container_names_follow_the_blob_naming_rules(st: Any, name: str) -> None:
    with pytest.raises(HttpResponseError) as err:
        st.blob_containers.create("rg1", ACCOUNT, name, body_bytes({"properties": {}}), cls=raw)
    assert err.value.status_code == 400


def test_containers_go_with_their_account(st: Any) -> None:
    st.blob_containers.create("rg1", ACCOUNT, "state", body_bytes({"properties": {}}), cls=raw)
    st.storage_accounts.delete("rg1", ACCOUNT)
    st.storage_accounts.begin_create("rg1", ACCOUNT, body_bytes({
        "location": "eastus", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}, "properties": SECURE,
    }), cls=raw).result()
    assert list(st.blob_containers.list("rg1", ACCOUNT)) == []
    service = st.blob_services.get_service_properties("rg1", ACCOUNT, cls=raw)
    assert service["properties"]["deleteRetentionPolicy"] == {"allowPermanentDelete": False, "enabled": False}


@pytest.mark.parametrize(("kind", "body"), [
    ("service", {"properties": {"isVersioningEnabld": True}}),  # a misspelt property Azure would drop
    ("container", {"properties": {"publicAccess": "Public"}}),  # PublicAccess: Container, Blob or None
])
def test_strict_mode_checks_blob_bodies_against_blob_json(st: Any, kind: str, body: dict[str, Any]) -> None:
    with pytest.raises(HttpResponseError) as err:
        if kind == "service":
            st.blob_services.set_service_properties("rg1", ACCOUNT, body_bytes(body), cls=raw)
        else:
            st.blob_containers.create("rg1", ACCOUNT, "state", body_bytes(body), cls=raw)
    assert err.value.status_code == 400 and err.value.error.code == "InvalidRequestContent"
