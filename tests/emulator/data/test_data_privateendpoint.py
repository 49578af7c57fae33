"""Private endpoints and their DNS zone groups through azure-mgmt-network and azure-mgmt-privatedns.

Azure behaviour cited: privateEndpoint.json (2025-05-01); InvalidResourceReference for a missing subnet
(Azure/azure-cli#13614); MissingParameterOnPrivateLinkServiceConnection (Azure/azure-cli#15136);
OnlyOneGroupIdPermitted (DFE-Digital/terraform-azurerm-container-apps-hosting#352); an unknown group id is
InvalidValuesForRequestParameters (Azure/azure-cli#16750); PrivateEndpointCreationNotAllowedAsSubnetIsDelegated
(Learn "Troubleshoot private endpoint creation"); Learn "Manage a private endpoint connection" (automatic approval
needs rights on the target, manual connections wait as Pending); InUseSubnetCannotBeDeleted
(MicrosoftDocs/azure-docs PR #59072); writes on one VNet are serialized (azurerm#3780).
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from tests.emulator.helpers import SUB, clients, rid, vnet_body

OTHER_SUB = "00000000-0000-0000-0000-0000000000bb"
TENANT = "72f988bf-0000-4000-8000-00000000e4a1"
VAULT_ZONE = "privatelink.vaultcore.azure.net"


def _pe(rg: str, target: str, group: str | list[str] | None, *, manual: bool = False, subnet: str = "pe",
        sub: str = SUB) -> dict[str, Any]:
    groups = [group] if isinstance(group, str) else group
    link: dict[str, Any] = {"privateLinkServiceId": target}
    if groups is not None:
        link["groupIds"] = groups
    kind = "manualPrivateLinkServiceConnections" if manual else "privateLinkServiceConnections"
    return {"location": "eastus", "properties": {
        "subnet": {"id": f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/v1"
                         f"/subnets/{subnet}"},
        kind: [{"name": "conn", "properties": link}]}}


def _zone_group(rg: str, *zones: str) -> dict[str, Any]:
    configs = [{"name": z.replace(".", "-"),
                "properties": {"privateDnsZoneId": rid(rg, f"Microsoft.Network/privateDnsZones/{z}")}} for z in zones]
    return {"properties": {"privateDnsZoneConfigs": configs}}


@pytest.fixture
def net(c: dict[str, Any], rg: str) -> Any:
    c["net"].virtual_networks.begin_create_or_update(
        rg, "v1", vnet_body(subnets={"pe": "10.0.1.0/24", "apps": "10.0.2.0/24"})).result()
    return c["net"]


@pytest.fixture
def vault(sdk: dict[str, Any], credential: Any, rg: str) -> str:
    from azure.mgmt.keyvault import KeyVaultManagementClient

    body = {"location": "eastus", "properties": {"tenantId": TENANT, "sku": {"family": "A", "name": "standard"},
                                                 "accessPolicies": []}}
    return str(KeyVaultManagementClient(credential, SUB, **sdk).vaults.begin_create_or_update(
        rg, "kv-one", body).result().id)


def test_endpoint_gets_an_ip_a_nic_an_approved_connection_and_holds_its_subnet(net: Any, rg: str, vault: str,
                                                                              sdk: dict[str, Any],
                                                                              credential: Any) -> None:
    from azure.mgmt.keyvault import KeyVaultManagementClient

    pe = net.private_endpoints.begin_create_or_update(rg, "pe-kv", _pe(rg, vault, "vault")).result()
    assert pe.provisioning_state == "Succeeded"
    assert [(d.fqdn, d.ip_addresses) for d in pe.custom_dns_configs] == [("kv-one.vault.azure.net", ["10.0.1.4"])]
    assert pe.network_interfaces[0].id.startswith(rid(rg, "Microsoft.Network/networkInterfaces/pe-kv.nic."))
    state = pe.private_link_service_connections[0].private_link_service_connection_state
    assert state.status == "Approved"
    assert [p.id for p in net.subnets.get(rg, "v1", "pe").private_endpoints] == [pe.id]
    kv = KeyVaultManagementClient(credential, SUB, **sdk).vaults.get(rg, "kv-one")
    assert kv.properties.private_endpoint_connections[0].private_endpoint.id == pe.id

    second = net.private_endpoints.begin_create_or_update(rg, "pe-kv2", _pe(rg, vault, "vault")).result()
    assert second.custom_dns_configs[0].ip_addresses == ["10.0.1.5"]  # the next free address
    with pytest.raises(HttpResponseError) as err:
        net.subnets.begin_delete(rg, "v1", "pe").result()
    assert err.value.status_code == 400 and err.value.error.code == "InUseSubnetCannotBeDeleted"
    net.private_endpoints.begin_delete(rg, "pe-kv").result()
    net.private_endpoints.begin_delete(rg, "pe-kv2").result()
    net.subnets.begin_delete(rg, "v1", "pe").result()


def test_zone_group_writes_and_removes_the_a_record(net: Any, rg: str, vault: str, c: dict[str, Any]) -> None:
    dns = c["dns"]
    dns.private_zones.begin_create_or_update(rg, VAULT_ZONE, {"location": "global"}).result()
    net.private_endpoints.begin_create_or_update(rg, "pe-kv", _pe(rg, vault, "vault")).result()
    group = net.private_dns_zone_groups.begin_create_or_update(rg, "pe-kv", "default",
                                                               _zone_group(rg, VAULT_ZONE)).result()
    record_sets = group.private_dns_zone_configs[0].record_sets
    assert [(r.record_set_name, r.ip_addresses) for r in record_sets] == [("kv-one", ["10.0.1.4"])]
    record = dns.record_sets.get(rg, VAULT_ZONE, "A", "kv-one")
    assert [a.ipv4_address for a in record.a_records] == ["10.0.1.4"] and record.ttl == 10
    net.private_dns_zone_groups.begin_delete(rg, "pe-kv", "default").result()
    with pytest.raises(ResourceNotFoundError):
        dns.record_sets.get(rg, VAULT_ZONE, "A", "kv-one")
    net.private_dns_zone_groups.begin_create_or_update(rg, "pe-kv", "default", _zone_group(rg, VAULT_ZONE)).result()
    net.private_endpoints.begin_delete(rg, "pe-kv").result()  # the endpoint takes its zone group and records
    with pytest.raises(ResourceNotFoundError):
        dns.record_sets.get(rg, VAULT_ZONE, "A", "kv-one")


def test_zone_group_refuses_a_missing_zone(net: Any, rg: str, vault: str) -> None:
    net.private_endpoints.begin_create_or_update(rg, "pe-kv", _pe(rg, vault, "vault")).result()
    with pytest.raises(HttpResponseError) as err:
        net.private_dns_zone_groups.begin_create_or_update(rg, "pe-kv", "default", _zone_group(rg, VAULT_ZONE))
    assert err.value.status_code == 400 and err.value.error.code == "InvalidResourceReference"


def test_cosmos_endpoint_has_one_address_per_host(net: Any, rg: str, c: dict[str, Any], sdk: dict[str, Any],
                                                  credential: Any) -> None:
    from azure.mgmt.cosmosdb import CosmosDBManagementClient

    account = CosmosDBManagementClient(credential, SUB, **sdk).database_accounts.begin_create_or_update(
        rg, "project-cosmos", {"location": "eastus", "properties": {"databaseAccountOfferType": "Standard",
                                                                    "locations": [{"locationName": "eastus",
                                                                                   "failoverPriority": 0}]}}).result()
    zone = "privatelink.documents.azure.com"
    c["dns"].private_zones.begin_create_or_update(rg, zone, {"location": "global"}).result()
    pe = net.private_endpoints.begin_create_or_update(rg, "pe-cosmos", _pe(rg, account.id, "Sql")).result()
    assert [d.fqdn for d in pe.custom_dns_configs] == ["project-cosmos.documents.azure.com",
                                                       "project-cosmos-eastus.documents.azure.com"]
    net.private_dns_zone_groups.begin_create_or_update(rg, "pe-cosmos", "default", _zone_group(rg, zone)).result()
    names = sorted(r.name for r in c["dns"].record_sets.list_by_type(rg, zone, "A"))
    assert names == ["project-cosmos", "project-cosmos-eastus"]


@pytest.mark.parametrize(("group", "code"), [
    (None, "MissingParameterOnPrivateLinkServiceConnection"),
    (["vault", "vault2"], "OnlyOneGroupIdPermitted"),
    ("blob", "InvalidValuesForRequestParameters"),
    ("Vault", "InvalidValuesForRequestParameters"),  # group ids are compared as the RP spells them
])
def test_group_ids_are_checked_against_the_target_type(net: Any, rg: str, vault: str, group: Any,
                                                       code: str) -> None:
    with pytest.raises(HttpResponseError) as err:
        net.private_endpoints.begin_create_or_update(rg, "pe-kv", _pe(rg, vault, group))
    assert err.value.status_code == 400 and err.value.error.code == code


def test_valid_group_ids_of_other_targets(net: Any, rg: str, sdk: dict[str, Any], credential: Any) -> None:
    from azure.mgmt.search import SearchManagementClient
    from azure.mgmt.storage import StorageManagementClient

    store = StorageManagementClient(credential, SUB, **sdk).storage_accounts.begin_create(
        rg, "projstore1", {"location": "eastus", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}).result()
    body = io.BytesIO(json.dumps({"location": "eastus", "sku": {"name": "basic"}}).encode())
    search = SearchManagementClient(credential, SUB, **sdk).services.begin_create_or_update(
        rg, "project-search", body).result()
    for i, (target, group, host) in enumerate([
            (store.id, "blob", "projstore1.blob.core.windows.net"),
            (store.id, "dfs", "projstore1.dfs.core.windows.net"),
            (search.id, "searchService", "project-search.search.windows.net")]):
        pe = net.private_endpoints.begin_create_or_update(rg, f"pe{i}", _pe(rg, target, group)).result()
        assert pe.custom_dns_configs[0].fqdn == host
    with pytest.raises(HttpResponseError) as err:
        net.private_endpoints.begin_create_or_update(rg, "pe9", _pe(rg, search.id, "searchservice"))
    assert err.value.error.code == "InvalidValuesForRequestParameters"


def test_missing_subnet_target_or_a_delegated_subnet_is_refused(net: Any, rg: str, vault: str) -> None:
    for body in (_pe(rg, vault, "vault", subnet="nope"),
                 _pe(rg, rid(rg, "Microsoft.KeyVault/vaults/kv-missing"), "vault")):
        with pytest.raises(HttpResponseError) as err:
            net.private_endpoints.begin_create_or_update(rg, "pe-kv", body)
        assert err.value.status_code == 400 and err.value.error.code == "InvalidResourceReference"
    delegation = {"name": "aca", "properties": {"serviceName": "Microsoft.App/environments"}}
    net.subnets.begin_create_or_update(rg, "v1", "apps", {"properties": {"addressPrefix": "10.0.2.0/24",
                                                                         "delegations": [delegation]}}).result()
    with pytest.raises(HttpResponseError) as err:
        net.private_endpoints.begin_create_or_update(rg, "pe-kv", _pe(rg, vault, "vault", subnet="apps"))
    assert err.value.error.code == "PrivateEndpointCreationNotAllowedAsSubnetIsDelegated"


def test_target_in_another_subscription_needs_a_manual_connection(net: Any, rg: str, sdk: dict[str, Any],
                                                                  credential: Any) -> None:
    from azure.mgmt.keyvault import KeyVaultManagementClient
    from azure.mgmt.resource.resources import ResourceManagementClient

    ResourceManagementClient(credential, OTHER_SUB, **sdk).resource_groups.create_or_update(
        "rg2", {"location": "eastus"})
    body = {"location": "eastus", "properties": {"tenantId": TENANT, "sku": {"family": "A", "name": "standard"},
                                                 "accessPolicies": []}}
    foreign = KeyVaultManagementClient(credential, OTHER_SUB, **sdk).vaults.begin_create_or_update(
        "rg2", "kv-foreign", body).result().id
    with pytest.raises(HttpResponseError) as err:
        net.private_endpoints.begin_create_or_update(rg, "pe-kv", _pe(rg, foreign, "vault"))
    assert err.value.status_code == 403 and err.value.error.code == "LinkedAuthorizationFailed"
    pe = net.private_endpoints.begin_create_or_update(rg, "pe-kv", _pe(rg, foreign, "vault", manual=True)).result()
    state = pe.manual_private_link_service_connections[0].private_link_service_connection_state
    assert state.status == "Pending"


def test_endpoint_writes_lock_the_vnet(make_emulator: Any, credential: Any) -> None:
    emu = make_emulator(time_scale=0.05)  # an endpoint takes 1.35 s: the subnet write lands inside it
    sdk = {"base_url": emu.url, "connection_verify": str(emu.ca_cert), "polling_interval": 0.02}
    cl = clients(sdk, credential)
    cl["rm"].resource_groups.create_or_update("rg1", {"location": "eastus"})
    cl["net"].virtual_networks.begin_create_or_update(
        "rg1", "v1", vnet_body(subnets={"pe": "10.0.1.0/24", "apps": "10.0.2.0/24"})).result()
    from azure.mgmt.storage import StorageManagementClient

    store = StorageManagementClient(credential, SUB, **sdk).storage_accounts.begin_create(
        "rg1", "projstore1", {"location": "eastus", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}).result()
    cl["net"].private_endpoints.begin_create_or_update("rg1", "pe-st", _pe("rg1", store.id, "blob"), polling=False)
    with pytest.raises(HttpResponseError) as err:  # another subnet of the same VNet
        cl["net"].subnets.begin_create_or_update("rg1", "v1", "apps", {"properties": {"addressPrefix": "10.0.2.0/25"}})
    assert err.value.status_code == 409 and err.value.error.code == "AnotherOperationInProgress"


def test_a_full_subnet_refuses_another_endpoint(net: Any, rg: str, vault: str) -> None:
    net.subnets.begin_create_or_update(rg, "v1", "tiny", {"properties": {"addressPrefix": "10.0.3.0/29"}}).result()
    # A /29 has 8 addresses; Azure keeps the first four and the last one.
    ips = [net.private_endpoints.begin_create_or_update(rg, f"pe{i}", _pe(rg, vault, "vault", subnet="tiny"))
           .result().custom_dns_configs[0].ip_addresses[0] for i in range(3)]
    assert ips == ["10.0.3.4", "10.0.3.5", "10.0.3.6"]
    with pytest.raises(HttpResponseError) as err:
        net.private_endpoints.begin_create_or_update(rg, "pe3", _pe(rg, vault, "vault", subnet="tiny"))
    assert err.value.status_code == 400 and err.value.error.code == "SubnetIsFull"
