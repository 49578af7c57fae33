"""Key Vault through azure-mgmt-keyvault: global names, soft delete, recovery with secrets, purge, secrets.

Azure behaviour cited: openapi.json (KeyVault 2026-05-15); VaultAlreadyExists (Azure/azure-powershell#15115);
ConflictError for a soft-deleted name (Azure/azure-cli#29115); SoftDeletedVaultDoesNotExist (azurerm users'
logs); MethodNotAllowed on purge under purge protection (microsoft/AzureTRE#1446); the secret value "will never
be returned from the service" (SecretProperties.value).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from tests.emulator.helpers import SUB, rid

TENANT = "72f988bf-0000-4000-8000-00000000e4a1"
OTHER_SUB = "00000000-0000-0000-0000-0000000000bb"
VAULT = {"location": "eastus", "properties": {"tenantId": TENANT, "sku": {"family": "A", "name": "standard"},
                                              "accessPolicies": [], "enableRbacAuthorization": True,
                                              "softDeleteRetentionInDays": 7}}


def _vault(**props: Any) -> dict[str, Any]:
    body = copy.deepcopy(VAULT)
    body["properties"].update(props)
    return body


@pytest.fixture
def kv(sdk: dict[str, Any], credential: Any, c: dict[str, Any], rg: str) -> Any:
    from azure.mgmt.keyvault import KeyVaultManagementClient

    return KeyVaultManagementClient(credential, SUB, **sdk)


def _client_for(sub: str, sdk: dict[str, Any], credential: Any) -> Any:
    from azure.mgmt.keyvault import KeyVaultManagementClient
    from azure.mgmt.resource.resources import ResourceManagementClient

    ResourceManagementClient(credential, sub, **sdk).resource_groups.create_or_update("rg2", {"location": "eastus"})
    return KeyVaultManagementClient(credential, sub, **sdk)


def test_vault_create_get_list_delete(kv: Any, rg: str, admin: Any) -> None:
    vault = kv.vaults.begin_create_or_update(rg, "kv-one", _vault()).result()
    assert vault.properties.provisioning_state == "Succeeded"
    assert vault.properties.vault_uri == "https://kv-one.vault.azure.net/"
    assert vault.properties.enable_soft_delete and vault.properties.enable_rbac_authorization
    assert kv.vaults.get(rg, "kv-one").id == rid(rg, "Microsoft.KeyVault/vaults/kv-one")
    assert [v.name for v in kv.vaults.list_by_resource_group(rg)] == ["kv-one"]
    kv.vaults.delete(rg, "kv-one")  # synchronous
    with pytest.raises(ResourceNotFoundError):
        kv.vaults.get(rg, "kv-one")
    # The create answered with RegisteringDns and the SDK polled the vault (Vaults_CreateOrUpdate is an LRO).
    assert any(e["method"] == "GET" and e["path"].endswith("/vaults/kv-one") for e in admin.requests())


def test_bad_vault_name_is_vaultnamenotvalid(kv: Any, rg: str) -> None:
    for name in ("1kv", "kv--one", "kv-", "k" * 25):
        with pytest.raises(HttpResponseError) as err:
            kv.vaults.begin_create_or_update(rg, name, _vault())
        assert err.value.status_code == 400 and err.value.error.code == "VaultNameNotValid"


def test_vault_refuses_foreign_tenant_missing_access_policies_and_purge_protection_false(kv: Any,
                                                                                         rg: str) -> None:
    with pytest.raises(HttpResponseError) as err:
        kv.vaults.begin_create_or_update(rg, "kv-one", _vault(tenantId="11111111-1111-1111-1111-111111111111"))
    assert err.value.status_code == 400 and "tenantId" in err.value.error.message
    body = _vault()
    del body["properties"]["accessPolicies"]  # required even when RBAC authorizes (pulumi-azure-nextgen#231)
    with pytest.raises(HttpResponseError) as err:
        kv.vaults.begin_create_or_update(rg, "kv-one", body)
    assert err.value.status_code == 400 and "accessPolicies" in err.value.error.message
    # Even on create, false is refused (Azure/azure-cli#29115).
    with pytest.raises(HttpResponseError) as err:
        kv.vaults.begin_create_or_update(rg, "kv-one", _vault(enablePurgeProtection=False))
    assert err.value.status_code == 400 and "irreversible" in err.value.error.message


def test_vault_name_taken_in_another_group_or_subscription(kv: Any, rg: str, sdk: dict[str, Any],
                                                           credential: Any, c: dict[str, Any]) -> None:
    kv.vaults.begin_create_or_update(rg, "kv-one", _vault()).result()
    c["rm"].resource_groups.create_or_update("rg2", {"location": "eastus"})
    for client in (kv, _client_for(OTHER_SUB, sdk, credential)):
        with pytest.raises(HttpResponseError) as err:
            client.vaults.begin_create_or_update("rg2", "KV-ONE", _vault())
        assert err.value.status_code == 409 and err.value.error.code == "VaultAlreadyExists"


def test_soft_deleted_vault_blocks_its_name_until_recovered_with_its_secrets(kv: Any, rg: str) -> None:
    kv.vaults.begin_create_or_update(rg, "kv-one", _vault()).result()
    kv.secrets.create_or_update(rg, "kv-one", "db-password", {"properties": {"value": "s3cret!"}})
    kv.vaults.delete(rg, "kv-one")

    gone = kv.vaults.get_deleted("kv-one", "eastus")
    assert gone.properties.vault_id == rid(rg, "Microsoft.KeyVault/vaults/kv-one")
    assert gone.properties.purge_protection_enabled is False and gone.properties.scheduled_purge_date
    assert [v.name for v in kv.vaults.list_deleted()] == ["kv-one"]
    with pytest.raises(ResourceNotFoundError):  # deleted vaults are addressed by their original region
        kv.vaults.get_deleted("kv-one", "westus")

    for mode in ({}, {"createMode": "default"}):  # createMode default, or no createMode at all
        with pytest.raises(HttpResponseError) as err:
            kv.vaults.begin_create_or_update(rg, "kv-one", _vault(**mode))
        assert err.value.status_code == 409 and err.value.error.code == "ConflictError"
        assert "deleted state" in err.value.error.message

    vault = kv.vaults.begin_create_or_update(rg, "kv-one", _vault(createMode="recover")).result()
    assert vault.properties.vault_uri == "https://kv-one.vault.azure.net/"
    assert [s.name for s in kv.secrets.list(rg, "kv-one")] == ["db-password"]
    assert list(kv.vaults.list_deleted()) == []


def test_recover_without_a_deleted_vault_is_refused(kv: Any, rg: str) -> None:
    with pytest.raises(HttpResponseError) as err:
        kv.vaults.begin_create_or_update(rg, "kv-one", _vault(createMode="recover"))
    assert err.value.status_code == 400 and err.value.error.code == "SoftDeletedVaultDoesNotExist"


def test_deleted_vault_in_another_subscription_blocks_the_name(kv: Any, rg: str, sdk: dict[str, Any],
                                                               credential: Any) -> None:
    other = _client_for(OTHER_SUB, sdk, credential)
    other.vaults.begin_create_or_update("rg2", "kv-one", _vault()).result()
    other.vaults.delete("rg2", "kv-one")
    assert list(kv.vaults.list_deleted()) == []  # not visible from this subscription
    with pytest.raises(HttpResponseError) as err:
        kv.vaults.begin_create_or_update(rg, "kv-one", _vault())
    assert err.value.status_code == 409 and err.value.error.code == "VaultAlreadyExists"


def test_purge_frees_the_name(kv: Any, rg: str, emulator: Any) -> None:
    kv.vaults.begin_create_or_update(rg, "kv-one", _vault()).result()
    kv.vaults.delete(rg, "kv-one")
    kv.vaults.begin_purge_deleted("kv-one", "eastus").result()
    app = emulator._server.app
    with app.store.lock:  # gone from the world as soon as the purge completed
        assert app.world.data["deleted"]["keyvault"] == {} and app.world.data["sealed"] == {}
        assert not any("deletedvaults" in key for key in app.world.resources)
    with pytest.raises(ResourceNotFoundError):
        kv.vaults.get_deleted("kv-one", "eastus")
    kv.vaults.begin_create_or_update(rg, "kv-one", _vault()).result()  # the name is free again


def test_purge_is_refused_under_purge_protection(kv: Any, rg: str) -> None:
    kv.vaults.begin_create_or_update(rg, "kv-one", _vault(enablePurgeProtection=True)).result()
    kv.vaults.delete(rg, "kv-one")
    assert kv.vaults.get_deleted("kv-one", "eastus").properties.purge_protection_enabled is True
    with pytest.raises(HttpResponseError) as err:
        kv.vaults.begin_purge_deleted("kv-one", "eastus").result()
    assert err.value.status_code == 405 and err.value.error.code == "MethodNotAllowed"
    assert kv.vaults.get_deleted("kv-one", "eastus").name == "kv-one"


def test_group_deletion_soft_deletes_its_vaults(kv: Any, rg: str, c: dict[str, Any]) -> None:
    kv.vaults.begin_create_or_update(rg, "kv-one", _vault()).result()
    kv.secrets.create_or_update(rg, "kv-one", "s1", {"properties": {"value": "v1"}})
    c["rm"].resource_groups.begin_delete(rg).result()
    c["rm"].resource_groups.create_or_update(rg, {"location": "eastus"})
    kv.vaults.begin_create_or_update(rg, "kv-one", _vault(createMode="recover")).result()
    assert [s.name for s in kv.secrets.list(rg, "kv-one")] == ["s1"]


def test_secret_value_is_write_only_and_versions_follow_the_value(kv: Any, rg: str, admin: Any,
                                                                  emulator: Any) -> None:
    kv.vaults.begin_create_or_update(rg, "kv-one", _vault()).result()
    first = kv.secrets.create_or_update(rg, "kv-one", "master-key",
                                        {"tags": {"app": "litellm"}, "properties": {"value": "sk-do-not-leak",
                                                                                   "contentType": "text/plain"}})
    assert first.properties.value is None and first.tags == {"app": "litellm"}
    assert first.properties.secret_uri == "https://kv-one.vault.azure.net/secrets/master-key"
    assert first.properties.secret_uri_with_version.startswith(first.properties.secret_uri + "/")
    assert first.properties.attributes.enabled is True and first.properties.attributes.created
    got = kv.secrets.get(rg, "kv-one", "master-key")
    assert got.properties.value is None and got.properties.content_type == "text/plain"
    assert all(s.properties.value is None for s in kv.secrets.list(rg, "kv-one"))

    same = kv.secrets.create_or_update(rg, "kv-one", "master-key", {"properties": {"value": "sk-do-not-leak"}})
    assert same.properties.secret_uri_with_version == first.properties.secret_uri_with_version
    changed = kv.secrets.create_or_update(rg, "kv-one", "master-key", {"properties": {"value": "sk-rotated"}})
    assert changed.properties.secret_uri_with_version != first.properties.secret_uri_with_version

    kv.vaults.delete(rg, "kv-one")  # soft-deleted with its secret: still never shown
    shown = json.dumps([admin.resources(), admin.deleted(), [e.get("body") for e in admin.operations()]])
    assert "sk-rotated" not in shown and "sk-do-not-leak" not in shown
    app = emulator._server.app
    with app.store.lock:  # kept internally, for recovery
        assert "sk-rotated" in json.dumps(app.world.data["sealed"])


def test_secrets_have_no_management_plane_delete(kv: Any, rg: str) -> None:
    kv.vaults.begin_create_or_update(rg, "kv-one", _vault()).result()
    kv.secrets.create_or_update(rg, "kv-one", "s1", {"properties": {"value": "v"}})
    from azure.core.rest import HttpRequest

    path = rid(rg, "Microsoft.KeyVault/vaults/kv-one/secrets/s1")
    response = kv.send_request(HttpRequest("DELETE", f"{path}?api-version=2026-05-15"))
    assert response.status_code == 405
