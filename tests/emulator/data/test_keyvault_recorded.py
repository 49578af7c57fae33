"""Key Vaults answer as the Azure CLI's recording against real Azure shows
(tests/conformance/recordings/keyvault__test_keyvault_softdelete.yaml): DELETE 200, a recovery (createMode recover)
200 Succeeded at once with the vault's first createdAt, the purge 202 with no body and a Location polled to
Succeeded; vaults carry systemData; deleted vaults show their vaultId, location, tags and dates."""

from __future__ import annotations

from typing import Any

from azure.core.rest import HttpRequest

from tests.emulator.helpers import SUB, rid, wait_until

API = "2021-06-01-preview"
TENANT = "72f988bf-0000-4000-8000-00000000e4a1"
SKU = {"family": "A", "name": "standard"}
POLICY = {"tenantId": TENANT, "objectId": "3707fb2f-ac10-4591-a04f-8b0d786ea37d",
          "permissions": {"keys": ["all"], "secrets": ["all"], "certificates": ["all"], "storage": ["all"]}}


def _send(c: dict[str, Any], method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """One request through the SDK's pipeline (real HTTPS to the emulator), without its LRO poller."""
    return c["net"].send_request(HttpRequest(method, f"{path}?api-version={API}", json=body))


def _vault(rg: str) -> str:
    return rid(rg, "Microsoft.KeyVault/vaults/kv-sd")


def test_recorded_soft_delete_recover_and_purge(c: dict[str, Any], rg: str) -> None:
    created = _send(c, "PUT", _vault(rg), {"location": "eastus", "properties": {
        "tenantId": TENANT, "sku": SKU, "accessPolicies": [POLICY], "enableRbacAuthorization": False,
        "softDeleteRetentionInDays": 7}})
    assert created.status_code == 200  # a create answers 200 (keyvault/test_keyvault_private_endpoint.yaml)
    first = wait_until(lambda: (r := _send(c, "GET", _vault(rg))).json()["properties"]["provisioningState"]
                       == "Succeeded" and r)  # the create answered RegisteringDns; it ends at once at this scale
    system = first.json()["systemData"]
    assert set(system) == {"createdBy", "createdByType", "createdAt", "lastModifiedBy", "lastModifiedByType",
                           "lastModifiedAt"}

    deleted = _send(c, "DELETE", _vault(rg))
    assert deleted.status_code == 200 and deleted.text() == ""  # the recording: 200, content-length 0
    listed = _send(c, "GET", f"/subscriptions/{SUB}/providers/Microsoft.KeyVault/deletedVaults").json()["value"]
    assert [v["name"] for v in listed] == ["kv-sd"]
    props = listed[0]["properties"]
    assert props["vaultId"].lower() == _vault(rg).lower() and props["location"] == "eastus"
    assert {"tags", "deletionDate", "scheduledPurgeDate"} <= set(props)
    assert listed[0]["type"] == "Microsoft.KeyVault/deletedVaults"

    # The recording's recovery: tenantId, sku and createMode only; 200, Succeeded at once, no operation headers.
    recovered = _send(c, "PUT", _vault(rg), {"location": "eastus", "properties": {
        "tenantId": TENANT, "sku": SKU, "createMode": "recover"}})
    assert recovered.status_code == 200
    assert not {"azure-asyncoperation", "location"} & {h.lower() for h in recovered.headers}
    body = recovered.json()
    assert body["properties"]["provisioningState"] == "Succeeded"
    assert body["properties"]["accessPolicies"][0]["objectId"] == POLICY["objectId"]
    assert body["systemData"]["createdAt"] == system["createdAt"]  # kept from the first create
    assert body["systemData"]["lastModifiedAt"] >= system["lastModifiedAt"]

    # A set-policy PUT of the existing vault (the recording sends the read body back): 200 Succeeded.
    again = dict(body["properties"])
    again.pop("privateEndpointConnections", None)
    updated = _send(c, "PUT", _vault(rg), {"location": "eastus", "tags": {}, "properties": again})
    assert updated.status_code == 200 and updated.json()["properties"]["provisioningState"] == "Succeeded"

    assert _send(c, "DELETE", _vault(rg)).status_code == 200
    by_name = _send(c, "GET", f"/subscriptions/{SUB}/providers/Microsoft.KeyVault/locations/eastus/deletedVaults/"
                              "kv-sd")
    assert by_name.status_code == 200 and by_name.json()["name"] == "kv-sd"
    purge = _send(c, "POST", f"/subscriptions/{SUB}/providers/Microsoft.KeyVault/locations/eastus/deletedVaults/"
                             "kv-sd/purge")
    assert purge.status_code == 202 and purge.text() == "" and "location" in {h.lower() for h in purge.headers}
