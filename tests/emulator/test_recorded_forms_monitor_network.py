"""What the Azure CLI recordings show real Azure answering for Log Analytics workspaces, Application Insights
components, AI Search services, user-assigned identities, public IPs, virtual networks and private DNS zones
(tests/conformance/recordings/*.yaml, named in each test). Real HTTPS through the embedded emulator."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.core.rest import HttpRequest

from tests.emulator.helpers import SUB, rid, vnet_body, wait_until


def _raw(c: dict[str, Any], method: str, path: str, api: str, body: Any = None) -> Any:
    """One request through an SDK pipeline (auth, HTTPS), without any LRO poller."""
    request = HttpRequest(method, f"{path}?api-version={api}", json=body)
    return c["dns"].send_request(request)


def _hook(store: list[Any]) -> Any:
    return lambda response: store.append(response.http_response)


# --- Log Analytics: monitor__test_monitor_log_analytics_workspace_recover.yaml ---------------------------------
def test_workspace_create_update_delete_recover_as_recorded(c: dict[str, Any], rg: str) -> None:
    path = rid(rg, "Microsoft.OperationalInsights/workspaces/law-rec")
    sku = {"name": "capacityreservation", "capacityReservationLevel": 100}
    body: dict[str, Any] = {"location": "westus", "properties": {"sku": sku, "retentionInDays": 30,
                                                                 "workspaceCapping": {"dailyQuotaGb": 1.0}}}
    created = _raw(c, "PUT", path, "2020-08-01", body)
    assert created.status_code == 201 and created.json()["properties"]["provisioningState"] == "Creating"
    assert "Location" not in created.headers and "Azure-AsyncOperation" not in created.headers
    props = created.json()["properties"]
    assert props["source"] == "Azure" and props["features"]["legacy"] == 0 and props["features"]["searchVersion"] == 1
    assert props["sku"]["maxCapacityReservationLevel"] == 3000 and isinstance(props["sku"]["lastSkuUpdate"], str)
    capping = props["workspaceCapping"]
    assert capping["dailyQuotaGb"] == 1.0 and capping["dataIngestionStatus"] == "RespectQuota"
    assert isinstance(capping["quotaNextResetTime"], str)
    wait_until(lambda: c["la"].workspaces.get(rg, "law-rec").provisioning_state == "Succeeded")
    body["properties"]["sku"]["capacityReservationLevel"] = 200
    body["properties"]["workspaceCapping"]["dailyQuotaGb"] = 2.0
    updated = _raw(c, "PUT", path, "2020-08-01", body)  # an update answers 200 already Succeeded
    assert updated.status_code == 200 and updated.json()["properties"]["provisioningState"] == "Succeeded"
    deleted = _raw(c, "DELETE", path, "2020-08-01")  # 200 at once, no operation headers
    assert deleted.status_code == 200 and "Location" not in deleted.headers
    recovered = _raw(c, "PUT", path, "2020-08-01", {"location": "westus", "properties": {
        "publicNetworkAccessForIngestion": "Enabled", "publicNetworkAccessForQuery": "Enabled"}})
    assert recovered.status_code == 200  # the recovering PUT: 200, Succeeded, the old settings back
    again = recovered.json()["properties"]
    assert again["provisioningState"] == "Succeeded" and again["customerId"] == props["customerId"]
    assert again["sku"]["capacityReservationLevel"] == 200 and again["workspaceCapping"]["dailyQuotaGb"] == 2.0
    forced = _raw(c, "DELETE", f"{path}", "2020-08-01&force=true")
    assert forced.status_code == 200
    gone = _raw(c, "GET", path, "2020-08-01")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "ResourceNotFound"


def test_a_workspace_create_setting_public_access_names_itself_in_location(c: dict[str, Any], rg: str) -> None:
    """application-insights/test_component_with_linked_workspace.yaml (2024) and containerapp/
    test_containerapp_env_e2e.yaml (2022): Location is the workspace's own URL; without the public access
    properties (the other recordings) there is none. The SDK's poller then ends at once, on a Creating body."""
    path = rid(rg, "Microsoft.OperationalInsights/workspaces/law-pna")
    body = {"location": "westus", "properties": {"publicNetworkAccessForIngestion": "Enabled",
                                                 "publicNetworkAccessForQuery": "Enabled"}}
    created = _raw(c, "PUT", path, "2023-09-01", body)
    assert created.status_code == 201 and created.json()["properties"]["provisioningState"] == "Creating"
    assert created.headers["Location"].endswith(f"{path}?api-version=2023-09-01")
    assert "Azure-AsyncOperation" not in created.headers
    result = c["la"].workspaces.begin_create_or_update(rg, "law-pna2", body).result()
    assert result.provisioning_state in ("Creating", "Succeeded")
    wait_until(lambda: c["la"].workspaces.get(rg, "law-pna2").provisioning_state == "Succeeded")


def test_workspace_sdk_sees_the_synchronous_delete(c: dict[str, Any], rg: str) -> None:
    c["la"].workspaces.begin_create_or_update(rg, "law-2", {"location": "eastus"}).result()
    seen: list[Any] = []
    c["la"].workspaces.begin_delete(rg, "law-2", force=True, raw_response_hook=_hook(seen)).result()
    assert seen[0].status_code == 200
    with pytest.raises(ResourceNotFoundError):
        c["la"].workspaces.get(rg, "law-2")


# --- Application Insights: application-insights__test_component.yaml ------------------------------------------
def test_component_has_tags_etag_ver_sampling_and_retention(c: dict[str, Any], rg: str) -> None:
    path = rid(rg, "Microsoft.Insights/components/demoApp")
    first = _raw(c, "PUT", path, "2018-05-01-preview", {"location": "westus", "kind": "web", "properties": {
        "Application_Type": "web", "Flow_Type": "Bluefield", "Request_Source": "rest", "RetentionInDays": 120}})
    assert first.status_code == 200
    body = first.json()
    assert body["tags"] == {} and body["etag"].startswith('"')
    props = body["properties"]
    assert props["Ver"] == "v2" and props["SamplingPercentage"] is None
    assert (props["RetentionInDays"], props["Retention"]) == (120, "P120D")
    second = _raw(c, "PUT", path, "2018-05-01-preview", {"location": "westus", "kind": "web", "properties": {
        "Application_Type": "web"}}).json()
    assert second["etag"] != body["etag"]  # a new etag on every write
    assert second["properties"]["RetentionInDays"] == 90 and "Retention" not in second["properties"]


# --- AI Search: search__test_service_create_delete_show.yaml --------------------------------------------------
def test_standard_search_service_is_done_in_the_put_and_deleted_at_once(c: dict[str, Any], rg: str) -> None:
    path = rid(rg, "Microsoft.Search/searchServices/rec-search-1")
    created = _raw(c, "PUT", path, "2020-08-01", {"location": "westus", "sku": {"name": "standard"}, "properties": {
        "replicaCount": 1, "partitionCount": 1, "hostingMode": "default", "publicNetworkAccess": "enabled"}})
    assert created.status_code == 201
    assert (created.json()["properties"]["provisioningState"], created.json()["properties"]["status"]) == \
        ("succeeded", "running")
    deleted = _raw(c, "DELETE", path, "2020-08-01")
    assert deleted.status_code == 200
    gone = _raw(c, "GET", path, "2020-08-01")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "ResourceNotFound"


def test_basic_search_service_still_provisions(make_emulator: Any, credential: Any) -> None:
    # search.json (provisioningState): only capacity already set up (the free tier) is done in the PUT.
    from tests.emulator.helpers import clients

    emu = make_emulator(time_scale=1.0)
    slow = clients({"base_url": emu.url, "connection_verify": str(emu.ca_cert)}, credential)
    slow["rm"].resource_groups.create_or_update("rg1", {"location": "eastus"})
    created = _raw(slow, "PUT", rid("rg1", "Microsoft.Search/searchServices/rec-search-2"), "2025-05-01",
                   {"location": "eastus", "sku": {"name": "basic"}})
    assert created.status_code == 201 and created.json()["properties"]["provisioningState"] == "provisioning"


# --- Managed identity: identity__test_identity_management.yaml ------------------------------------------------
def test_identity_create_has_location_header_tags_and_no_state(c: dict[str, Any], rg: str) -> None:
    path = rid(rg, "Microsoft.ManagedIdentity/userAssignedIdentities/myidentity")
    created = _raw(c, "PUT", path, "2022-01-31-preview", {"location": "westus"})
    assert created.status_code == 201 and created.headers["Location"] == created.json()["id"]
    assert created.json()["tags"] == {} and "provisioningState" not in created.json()["properties"]
    assert "provisioningState" not in _raw(c, "GET", path, "2022-01-31-preview").json()["properties"]
    listed = _raw(c, "POST", f"{path}/listAssociatedResources", "2022-01-31-preview")
    assert listed.status_code == 200 and listed.json() == {"totalCount": 0, "value": []}
    ws = c["la"].workspaces.begin_create_or_update(rg, "law-id", {"location": "westus", "identity": {
        "type": "UserAssigned", "userAssignedIdentities": {created.json()["id"]: {}}}}).result()
    holders = _raw(c, "POST", f"{path}/listAssociatedResources", "2022-01-31-preview").json()
    assert holders["totalCount"] == 1 and holders["value"][0]["id"].lower() == ws.id.lower()
    assert holders["value"][0]["resourceGroup"] == rg and holders["value"][0]["subscriptionId"] == SUB


# --- Public IP: network__test_network_public_ip.yaml ----------------------------------------------------------
def test_public_ip_without_sku_is_basic_and_may_be_dynamic(c: dict[str, Any], rg: str) -> None:
    path = rid(rg, "Microsoft.Network/publicIPAddresses/pubipnodns")
    net = c["net"]
    ip = net.public_ip_addresses.begin_create_or_update(rg, "pubipnodns", {"location": "westus", "properties": {
        "idleTimeoutInMinutes": 4, "publicIPAddressVersion": "IPv4", "publicIPAllocationMethod": "Dynamic"}}
    ).result()
    assert (ip.sku.name, ip.sku.tier, ip.public_ip_allocation_method) == ("Basic", "Regional", "Dynamic")
    assert ip.ip_address is None  # a Dynamic address has none until something uses it
    raw = _raw(c, "GET", path, "2022-05-01").json()["properties"]
    assert raw["ipTags"] == [] and raw["ddosSettings"] == {"protectionMode": "VirtualNetworkInherited"}
    update = _raw(c, "PUT", path, "2022-05-01", {"location": "westus", "sku": {"name": "Basic", "tier": "Regional"},
                                                 "properties": {"publicIPAllocationMethod": "Static"}})
    assert update.status_code == 200
    standard = net.public_ip_addresses.begin_create_or_update(rg, "pubstd", {
        "location": "westus", "sku": {"name": "Standard"}}).result()  # no method: Static
    assert standard.public_ip_allocation_method == "Static" and standard.ip_address
    deleted = _raw(c, "DELETE", path, "2022-05-01")
    assert deleted.status_code == 202 and not deleted.text()
    assert "Azure-AsyncOperation" in deleted.headers and "Location" in deleted.headers


# --- Virtual networks: privatedns__test_DeleteLink_LinkExists_ExpectLinkDeleted.yaml,
# network__test_network_subnet_delegation.yaml -------------------------------------------------------------------
def test_vnet_shows_dns_servers_and_peerings_and_old_versions_are_accepted(c: dict[str, Any]) -> None:
    group = _raw(c, "PUT", rid("rg-old"), "2019-05-10", {"location": "westus"})
    assert group.status_code == 201
    path = rid("rg-old", "Microsoft.Network/virtualNetworks/vnet1")
    created = _raw(c, "PUT", path, "2019-08-01", vnet_body(location="westus"))
    assert created.status_code == 201
    wait_until(lambda: c["net"].virtual_networks.get("rg-old", "vnet1").provisioning_state == "Succeeded")
    props = _raw(c, "GET", path, "2021-05-01").json()["properties"]
    assert props["dhcpOptions"] == {"dnsServers": []} and props["virtualNetworkPeerings"] == []
    subnet = rid("rg-old", "Microsoft.Network/virtualNetworks/vnet1/subnets/subnet1")
    c["net"].subnets.begin_create_or_update("rg-old", "vnet1", "subnet1", {"properties": {
        "addressPrefix": "10.0.0.0/24", "delegations": [{"name": "0", "properties": {
            "serviceName": "Microsoft.Sql/managedInstances"}}]}}).result()
    shown = _raw(c, "GET", subnet, "2019-08-01").json()
    (delegation,) = shown["properties"]["delegations"]
    assert delegation["properties"]["actions"][0] == "Microsoft.Network/virtualNetworks/subnets/join/action"
    assert delegation["etag"] == shown["etag"]


# --- Private DNS: privatedns__test_DeleteLink_LinkExists_ExpectLinkDeleted.yaml -------------------------------
def test_link_put_answers_202_empty_and_delete_202_without_body(c: dict[str, Any], rg: str) -> None:
    c["net"].virtual_networks.begin_create_or_update(rg, "v1", vnet_body()).result()
    c["dns"].private_zones.begin_create_or_update(rg, "z.example.com", {"location": "global"}).result()
    path = rid(rg, "Microsoft.Network/privateDnsZones/z.example.com/virtualNetworkLinks/l1")
    put = _raw(c, "PUT", path, "2018-09-01", {"location": "global", "properties": {
        "virtualNetwork": {"id": rid(rg, "Microsoft.Network/virtualNetworks/v1")}, "registrationEnabled": False}})
    assert put.status_code == 202 and put.json() == {}
    assert "Azure-AsyncOperation" in put.headers and "Location" in put.headers
    wait_until(lambda: c["dns"].virtual_network_links.get(rg, "z.example.com", "l1").provisioning_state ==
               "Succeeded")
    seen: list[Any] = []
    c["dns"].virtual_network_links.begin_delete(rg, "z.example.com", "l1", raw_response_hook=_hook(seen)).result()
    assert seen[0].status_code == 202 and not seen[0].text()
    assert "Azure-AsyncOperation" in seen[0].headers and "Location" in seen[0].headers
