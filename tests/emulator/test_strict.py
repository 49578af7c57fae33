"""Strict mode: request bodies are checked against Azure's published OpenAPI documents (tests/conftest.py
turns it on for every emulator of the run). Azure itself drops what it does not know; strict mode makes that a
400 naming the property, so a step that sends a misspelt property fails here instead of silently in Azure."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from tests.emulator.helpers import clients, vnet_body


def _strict_error(call: Any) -> str:
    with pytest.raises(HttpResponseError) as err:
        call()
    assert err.value.status_code == 400 and err.value.error.code == "InvalidRequestContent"
    return str(err.value.error.message)


def test_strict_mode_is_on(emulator: Any) -> None:
    assert emulator.admin.info()["strict"] is True


def test_unknown_property_is_refused(c: dict[str, Any], rg: str) -> None:
    body = vnet_body()
    body["properties"]["enableDdosProtectoin"] = True  # misspelt
    message = _strict_error(lambda: c["net"].virtual_networks.begin_create_or_update(rg, "v1", body))
    assert "'properties.enableDdosProtectoin' is not defined" in message
    nested = vnet_body(subnets={"s": "10.0.0.0/24"})
    nested["properties"]["subnets"][0]["properties"]["adressPrefixes"] = ["10.0.0.0/24"]
    message = _strict_error(lambda: c["net"].virtual_networks.begin_create_or_update(rg, "v1", nested))
    assert "properties.subnets[0].properties.adressPrefixes" in message
    with pytest.raises(HttpResponseError) as err:  # the error's target names the property as well
        c["net"].virtual_networks.begin_create_or_update(rg, "v1", body)
    assert err.value.error.target == "properties.enableDdosProtectoin"
    top = {"location": "eastus", "colour": "blue"}
    assert "'colour'" in _strict_error(lambda: c["net"].network_security_groups.begin_create_or_update(
        rg, "n1", top))


def test_wrong_json_type_is_refused(c: dict[str, Any], rg: str) -> None:
    body = vnet_body()
    body["properties"]["addressSpace"]["addressPrefixes"] = "10.0.0.0/16"  # a string, not a list
    message = _strict_error(lambda: c["net"].virtual_networks.begin_create_or_update(rg, "v1", body))
    assert "'properties.addressSpace.addressPrefixes' must be of type array, not string" in message
    ws = {"location": "eastus", "properties": {"retentionInDays": "thirty"}}
    message = _strict_error(lambda: c["la"].workspaces.begin_create_or_update(rg, "ws-1", ws))
    assert "'properties.retentionInDays' must be of type integer" in message


def test_missing_required_property_is_refused(c: dict[str, Any], rg: str) -> None:
    # networkSecurityGroup.json: SecurityRulePropertiesFormat requires protocol, access, priority, direction.
    rule = {"name": "r", "properties": {"access": "Allow", "priority": 100, "direction": "Inbound"}}
    body = {"location": "eastus", "properties": {"securityRules": [rule]}}
    message = _strict_error(lambda: c["net"].network_security_groups.begin_create_or_update(rg, "n1", body))
    assert "required property 'properties.securityRules[0].properties.protocol' is missing" in message
    # Workspaces.json: WorkspaceSku requires name.
    ws = {"location": "eastus", "properties": {"sku": {}}}
    message = _strict_error(lambda: c["la"].workspaces.begin_create_or_update(rg, "ws-1", ws))
    assert "required property 'properties.sku.name' is missing" in message


def test_closed_enum_violation_is_refused(c: dict[str, Any], rg: str) -> None:
    # publicIpAddress.json: dnsSettings.domainNameLabelScope is an enum with modelAsString false.
    body = {"location": "eastus", "properties": {"dnsSettings": {"domainNameLabel": "abc",
                                                                  "domainNameLabelScope": "GlobalReuse"}}}
    message = _strict_error(lambda: c["net"].public_ip_addresses.begin_create_or_update(rg, "ip1", body))
    assert "'properties.dnsSettings.domainNameLabelScope' has value 'GlobalReuse'" in message
    body["properties"]["dnsSettings"]["domainNameLabelScope"] = "TenantReuse"
    assert c["net"].public_ip_addresses.begin_create_or_update(rg, "ip1", body).result().provisioning_state \
        == "Succeeded"


def test_open_enum_accepts_new_values(c: dict[str, Any], rg: str) -> None:
    # privateEndpointNetworkPolicies is modelAsString: true; Azure adds values over time.
    body = vnet_body()
    body["properties"]["subnets"] = [{"name": "s", "properties": {
        "addressPrefix": "10.0.0.0/24", "privateEndpointNetworkPolicies": "SomethingNew"}}]
    c["net"].virtual_networks.begin_create_or_update(rg, "v1", body).result()


def test_nothing_is_stored_when_strict_validation_fails(c: dict[str, Any], rg: str, admin: Any) -> None:
    body = {**vnet_body(), "extra": 1}
    with pytest.raises(HttpResponseError):
        c["net"].virtual_networks.begin_create_or_update(rg, "v1", body)
    assert [r["name"] for r in admin.resources()] == ["rg1"]


def test_non_strict_emulator_accepts_what_azure_would_ignore(make_emulator: Any, credential: Any) -> None:
    emu = make_emulator(strict=False)
    cl = clients({"base_url": emu.url, "connection_verify": str(emu.ca_cert), "polling_interval": 0.01},
                 credential)
    cl["rm"].resource_groups.create_or_update("rg1", {"location": "eastus"})
    body = vnet_body()
    body["properties"]["enableDdosProtectoin"] = True
    assert cl["net"].virtual_networks.begin_create_or_update("rg1", "v1", body).result().name == "v1"
    assert emu.admin.info()["strict"] is False


def test_patch_bodies_are_checked_too(c: dict[str, Any], rg: str) -> None:
    c["net"].network_security_groups.begin_create_or_update(rg, "n1", {"location": "eastus"}).result()
    # virtualNetwork.json etc.: PATCH takes a TagsObject, which has nothing but tags.
    message = _strict_error(lambda: c["net"].network_security_groups.update_tags(
        rg, "n1", {"tags": {"a": "b"}, "location": "westus"}))
    assert "'location' is not defined" in message
    message = _strict_error(lambda: c["rm"].resource_groups.update(rg, {"tags": {"a": 1}}))
    assert "'tags.a' must be of type string" in message
    assert c["net"].network_security_groups.update_tags(rg, "n1", {"tags": {"a": "b"}}).tags == {"a": "b"}
