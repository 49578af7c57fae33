"""Microsoft.Network: VNets and subnets, NSGs, public IPs, private DNS zones and their VNet links.

Sources: virtualNetwork.json / networkSecurityGroup.json / publicIpAddress.json (2025-05-01),
privatedns.json (2024-06-01); InUseSubnetCannotBeDeleted (MicrosoftDocs/azure-docs PR #59072); a zone with
VNet links cannot be deleted (azure-cli#15010); serviceAssociationLinks are read-only in virtualNetwork.json.
"""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError

from tests.emulator.helpers import rid, vnet_body

APP_ENV = "Microsoft.App/environments"


def _add_link(emulator: Any, subnet_id: str, holder: str) -> None:
    """What a Container Apps environment does to its subnet: a link only Azure itself can add."""
    app = emulator._server.app
    with app.store.lock:
        app.world.add_link(subnet_id, {"name": "legionservicelink", "holder": holder, "linked_type": APP_ENV})
        app.store.save()


def _release_links(emulator: Any, holder: str) -> None:
    app = emulator._server.app
    with app.store.lock:
        app.world.release_links(holder)
        app.store.save()


def test_vnet_create_get_list_delete(c: dict[str, Any], rg: str) -> None:
    net = c["net"]
    vnet = net.virtual_networks.begin_create_or_update(rg, "v1", vnet_body(subnets={"a": "10.0.1.0/24"})).result()
    assert vnet.provisioning_state == "Succeeded" and vnet.location == "eastus"
    assert vnet.address_space.address_prefixes == ["10.0.0.0/16"]
    assert vnet.etag and vnet.resource_guid
    assert net.virtual_networks.get(rg, "v1").subnets[0].address_prefix == "10.0.1.0/24"
    assert [v.name for v in net.virtual_networks.list(rg)] == ["v1"]
    net.virtual_networks.begin_delete(rg, "v1").result()
    assert list(net.virtual_networks.list(rg)) == []
    with pytest.raises(ResourceNotFoundError):  # its subnets went with it
        net.subnets.get(rg, "v1", "a")


def test_inline_and_child_subnets_are_one_set(c: dict[str, Any], rg: str) -> None:
    net = c["net"]
    net.virtual_networks.begin_create_or_update(rg, "v1", vnet_body(subnets={"a": "10.0.1.0/24"})).result()
    assert net.subnets.get(rg, "v1", "a").id == rid(rg, "Microsoft.Network/virtualNetworks/v1/subnets/a")
    net.subnets.begin_create_or_update(rg, "v1", "b", {"properties": {"addressPrefix": "10.0.2.0/24"}}).result()
    assert [s.name for s in net.virtual_networks.get(rg, "v1").subnets] == ["a", "b"]
    assert sorted(s.name for s in net.subnets.list(rg, "v1")) == ["a", "b"]
    # A VNet PUT lists the subnets it keeps: b is deleted, a changes, c is created.
    net.virtual_networks.begin_create_or_update(
        rg, "v1", vnet_body(subnets={"a": "10.0.1.0/25", "c": "10.0.3.0/24"})).result()
    assert sorted(s.name for s in net.subnets.list(rg, "v1")) == ["a", "c"]
    assert net.subnets.get(rg, "v1", "a").address_prefix == "10.0.1.0/25"
    with pytest.raises(ResourceNotFoundError):
        net.subnets.get(rg, "v1", "b")
    net.subnets.begin_delete(rg, "v1", "c").result()
    assert [s.name for s in net.virtual_networks.get(rg, "v1").subnets] == ["a"]


@pytest.mark.parametrize(("prefix", "code"), [("10.1.0.0/24", "NetcfgSubnetRangeOutsideVnet"),
                                              ("10.0.1.128/25", "NetcfgSubnetRangesOverlap"),
                                              ("10.0.1.0/33", "InvalidAddressPrefixFormat")])
def test_subnet_prefix_outside_the_vnet_or_overlapping_is_400(c: dict[str, Any], rg: str, prefix: str,
                                                              code: str) -> None:
    net = c["net"]
    net.virtual_networks.begin_create_or_update(rg, "v1", vnet_body(subnets={"a": "10.0.1.0/24"})).result()
    with pytest.raises(HttpResponseError) as err:
        net.subnets.begin_create_or_update(rg, "v1", "b", {"properties": {"addressPrefix": prefix}})
    assert err.value.status_code == 400 and err.value.error.code == code
    with pytest.raises(HttpResponseError) as err:  # the same rule for subnets written inline
        net.virtual_networks.begin_create_or_update(rg, "v1", vnet_body(subnets={"a": "10.0.1.0/24",
                                                                                 "b": prefix}))
    assert err.value.status_code == 400 and err.value.error.code == code
    assert sorted(s.name for s in net.subnets.list(rg, "v1")) == ["a"]


def test_subnet_delegations(c: dict[str, Any], rg: str) -> None:
    net = c["net"]
    net.virtual_networks.begin_create_or_update(rg, "v1", vnet_body()).result()
    delegated = {"properties": {"addressPrefix": "10.0.0.0/23", "delegations": [
        {"name": "aca", "properties": {"serviceName": "Microsoft.App/environments"}}]}}
    sub = net.subnets.begin_create_or_update(rg, "v1", "aca", delegated).result()
    (delegation,) = sub.delegations
    assert delegation.service_name == "Microsoft.App/environments"
    assert delegation.actions == ["Microsoft.Network/virtualNetworks/subnets/join/action"]
    assert delegation.id == f"{sub.id}/delegations/aca"
    bad = {"properties": {"addressPrefix": "10.0.4.0/24", "delegations": [
        {"name": "x", "properties": {"serviceName": "Microsoft.Nope/things"}}]}}
    with pytest.raises(HttpResponseError) as err:
        net.subnets.begin_create_or_update(rg, "v1", "bad", bad)
    assert err.value.error.code == "InvalidServiceNameOnDelegation"


def test_service_association_links_are_read_only_and_block_the_subnet(emulator: Any, c: dict[str, Any],
                                                                       rg: str) -> None:
    net = c["net"]
    env = rid(rg, "Microsoft.App/managedEnvironments/env1")
    net.virtual_networks.begin_create_or_update(rg, "v1", vnet_body(subnets={"aca": "10.0.0.0/23",
                                                                             "pe": "10.0.2.0/24"})).result()
    # A client cannot write a link: the property is read-only and ignored.
    forged = {"properties": {"addressPrefix": "10.0.2.0/24", "serviceAssociationLinks": [
        {"name": "forged", "properties": {"linkedResourceType": APP_ENV, "link": env}}]}}
    net.subnets.begin_create_or_update(rg, "v1", "pe", forged).result()
    assert not net.subnets.get(rg, "v1", "pe").service_association_links
    net.subnets.begin_delete(rg, "v1", "pe").result()

    subnet_id = net.subnets.get(rg, "v1", "aca").id
    _add_link(emulator, subnet_id, env)
    (link,) = net.subnets.get(rg, "v1", "aca").service_association_links
    assert (link.name, link.linked_resource_type, link.link) == ("legionservicelink", APP_ENV, env)
    with pytest.raises(HttpResponseError) as err:
        net.subnets.begin_delete(rg, "v1", "aca")
    assert err.value.error.code == "InUseSubnetCannotBeDeleted"
    with pytest.raises(HttpResponseError) as err:  # a VNet PUT without the subnet would delete it
        net.virtual_networks.begin_create_or_update(rg, "v1", vnet_body(subnets={}))
    assert err.value.error.code == "InUseSubnetCannotBeDeleted"
    with pytest.raises(HttpResponseError) as err:
        net.virtual_networks.begin_delete(rg, "v1")
    assert err.value.error.code == "InUseSubnetCannotBeDeleted"
    with pytest.raises(HttpResponseError) as err:  # nor can its prefix change under the link
        net.subnets.begin_create_or_update(rg, "v1", "aca", {"properties": {"addressPrefix": "10.0.0.0/24"}})
    assert err.value.error.code == "InUseSubnetCannotBeUpdated"
    # A read-modify-write of the VNet (tags) keeps the link; once Azure releases it, it is gone for good.
    net.virtual_networks.begin_create_or_update(
        rg, "v1", {**vnet_body(subnets={"aca": "10.0.0.0/23"}), "tags": {"k": "v"}}).result()
    net.virtual_networks.update_tags(rg, "v1", {"tags": {"k": "w"}})
    assert net.subnets.get(rg, "v1", "aca").service_association_links
    _release_links(emulator, env)
    assert not net.subnets.get(rg, "v1", "aca").service_association_links
    assert not net.virtual_networks.get(rg, "v1").subnets[0].service_association_links
    net.virtual_networks.begin_delete(rg, "v1").result()


def test_network_security_group(c: dict[str, Any], rg: str) -> None:
    net = c["net"]
    rule = {"name": "allow-https", "properties": {"protocol": "Tcp", "access": "Allow", "direction": "Inbound",
                                                  "priority": 100, "sourceAddressPrefix": "*",
                                                  "sourcePortRange": "*", "destinationAddressPrefix": "*",
                                                  "destinationPortRange": "443"}}
    nsg = net.network_security_groups.begin_create_or_update(
        rg, "n1", {"location": "eastus", "properties": {"securityRules": [rule]}}).result()
    assert nsg.provisioning_state == "Succeeded"
    assert [r.name for r in nsg.security_rules] == ["allow-https"]
    assert len(nsg.default_security_rules) == 6
    assert [n.name for n in net.network_security_groups.list(rg)] == ["n1"]
    # A subnet that uses the NSG shows up on it and blocks its deletion.
    net.virtual_networks.begin_create_or_update(rg, "v1", vnet_body(subnets={"default": "10.0.9.0/24"})).result()
    net.subnets.begin_create_or_update(rg, "v1", "s", {"properties": {
        "addressPrefix": "10.0.0.0/24", "networkSecurityGroup": {"id": nsg.id}}}).result()
    assert [s.id for s in net.network_security_groups.get(rg, "n1").subnets] == \
        [net.subnets.get(rg, "v1", "s").id]
    with pytest.raises(HttpResponseError) as err:
        net.network_security_groups.begin_delete(rg, "n1")
    assert err.value.error.code == "InUseNetworkSecurityGroupCannotBeDeleted"
    net.subnets.begin_delete(rg, "v1", "s").result()
    assert not net.network_security_groups.get(rg, "n1").subnets
    # subnets is read-only on an NSG: a client that sends it does not make it so.
    net.network_security_groups.begin_create_or_update(rg, "n1", {"location": "eastus", "properties": {
        "securityRules": [rule], "subnets": [{"id": net.subnets.get(rg, "v1", "default").id}]}}).result()
    assert not net.network_security_groups.get(rg, "n1").subnets
    net.network_security_groups.begin_delete(rg, "n1").result()
    with pytest.raises(ResourceNotFoundError):
        net.network_security_groups.get(rg, "n1")


def test_nsg_rules_priorities_are_checked(c: dict[str, Any], rg: str) -> None:
    def rule(name: str, priority: int) -> dict[str, Any]:
        return {"name": name, "properties": {"protocol": "*", "access": "Allow", "direction": "Inbound",
                                             "priority": priority}}

    with pytest.raises(HttpResponseError) as err:
        c["net"].network_security_groups.begin_create_or_update(
            rg, "n1", {"location": "eastus", "properties": {"securityRules": [rule("a", 99)]}})
    assert err.value.error.code == "SecurityRuleInvalidPriority"
    with pytest.raises(HttpResponseError) as err:
        c["net"].network_security_groups.begin_create_or_update(
            rg, "n1", {"location": "eastus", "properties": {"securityRules": [rule("a", 200), rule("b", 200)]}})
    assert err.value.error.code == "SecurityRulesConflictingPriority"


def test_nsg_reference_from_a_subnet_must_exist(c: dict[str, Any], rg: str) -> None:
    c["net"].virtual_networks.begin_create_or_update(rg, "v1", vnet_body()).result()
    with pytest.raises(HttpResponseError) as err:
        c["net"].subnets.begin_create_or_update(rg, "v1", "s", {"properties": {
            "addressPrefix": "10.0.0.0/24",
            "networkSecurityGroup": {"id": rid(rg, "Microsoft.Network/networkSecurityGroups/ghost")}}})
    assert err.value.error.code == "InvalidResourceReference"


def test_public_ip_gets_an_address_that_it_keeps(c: dict[str, Any], rg: str) -> None:
    net = c["net"]
    body = {"location": "eastus", "sku": {"name": "Standard"},
            "properties": {"publicIPAllocationMethod": "Static", "dnsSettings": {"domainNameLabel": "gw-demo"}}}
    ip1 = net.public_ip_addresses.begin_create_or_update(rg, "ip1", body).result()
    ip2 = net.public_ip_addresses.begin_create_or_update(rg, "ip2", {"location": "eastus", "sku": {"name": "Standard"}}
                                                         ).result()
    assert ip1.ip_address and ip2.ip_address and ip1.ip_address != ip2.ip_address
    assert ip1.dns_settings.fqdn == "gw-demo.eastus.cloudapp.azure.com"
    again = net.public_ip_addresses.begin_create_or_update(rg, "ip1", {**body, "tags": {"x": "y"}}).result()
    assert again.ip_address == ip1.ip_address
    assert sorted(i.name for i in net.public_ip_addresses.list(rg)) == ["ip1", "ip2"]
    with pytest.raises(HttpResponseError) as err:  # the label is taken in the region
        net.public_ip_addresses.begin_create_or_update(rg, "ip3", body)
    assert err.value.error.code == "DnsRecordInUse"
    with pytest.raises(HttpResponseError) as err:
        net.public_ip_addresses.begin_create_or_update(rg, "ip3", {
            "location": "eastus", "sku": {"name": "Standard"},
            "properties": {"publicIPAllocationMethod": "Dynamic"}})
    assert err.value.error.code == "StandardSkuPublicIPAddressesMustBeStatic"
    net.public_ip_addresses.begin_delete(rg, "ip1").result()
    with pytest.raises(ResourceNotFoundError):
        net.public_ip_addresses.get(rg, "ip1")


def test_private_dns_zone_and_vnet_link(c: dict[str, Any], rg: str) -> None:
    dns, net = c["dns"], c["net"]
    vnet = net.virtual_networks.begin_create_or_update(rg, "v1", vnet_body()).result()
    zone = dns.private_zones.begin_create_or_update(rg, "privatelink.openai.azure.com",
                                                    {"location": "global"}).result()
    assert zone.provisioning_state == "Succeeded" and zone.location == "global"
    link = dns.virtual_network_links.begin_create_or_update(
        rg, zone.name, "l1", {"location": "global", "properties": {
            "virtualNetwork": {"id": vnet.id}, "registrationEnabled": False}}).result()
    assert link.provisioning_state == "Succeeded" and link.virtual_network_link_state == "Completed"
    assert link.virtual_network.id == vnet.id
    assert dns.private_zones.get(rg, zone.name).number_of_virtual_network_links == 1
    assert [lk.name for lk in dns.virtual_network_links.list(rg, zone.name)] == ["l1"]
    assert [z.name for z in dns.private_zones.list_by_resource_group(rg)] == [zone.name]
    assert [z.name for z in dns.private_zones.list()] == [zone.name]
    with pytest.raises(ResourceExistsError):  # azure-cli#15010: links first
        dns.private_zones.begin_delete(rg, zone.name)
    # A VNet cannot be linked to two zones of the same name (foundry-samples PR #214).
    c["rm"].resource_groups.create_or_update("rg2", {"location": "eastus"})
    dns.private_zones.begin_create_or_update("rg2", zone.name, {"location": "global"}).result()
    with pytest.raises(HttpResponseError) as err:
        dns.virtual_network_links.begin_create_or_update("rg2", zone.name, "l2", {
            "location": "global", "properties": {"virtualNetwork": {"id": vnet.id}}})
    assert err.value.status_code == 400
    with pytest.raises(ResourceExistsError):  # nor twice to one zone
        dns.virtual_network_links.begin_create_or_update(rg, zone.name, "l3", {
            "location": "global", "properties": {"virtualNetwork": {"id": vnet.id}}})
    dns.virtual_network_links.begin_delete(rg, zone.name, "l1").result()
    dns.private_zones.begin_delete(rg, zone.name).result()
    with pytest.raises(ResourceNotFoundError):
        dns.private_zones.get(rg, zone.name)


def test_vnet_link_needs_an_existing_vnet(c: dict[str, Any], rg: str) -> None:
    c["dns"].private_zones.begin_create_or_update(rg, "a.example.com", {"location": "global"}).result()
    with pytest.raises(HttpResponseError) as err:
        c["dns"].virtual_network_links.begin_create_or_update(rg, "a.example.com", "l1", {
            "location": "global",
            "properties": {"virtualNetwork": {"id": rid(rg, "Microsoft.Network/virtualNetworks/ghost")}}})
    assert err.value.error.code == "InvalidVirtualNetworkId"
