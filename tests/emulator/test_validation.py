"""PUT validation that Azure does whatever the specs say: location where required, names per type.

Name rules: Learn "Naming rules and restrictions for Azure resources" (resource-name-rules): resource group
1-90, VNet 2-64, user-assigned identity 3-128, Log Analytics workspace 4-63, private DNS zone a DNS name.
"""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from tests.emulator.helpers import clients, vnet_body


@pytest.fixture
def loose(make_emulator: Any, credential: Any) -> dict[str, Any]:
    """Clients against a non-strict emulator: the resource providers' own checks answer, not the spec's."""
    emu = make_emulator(strict=False)
    cl = clients({"base_url": emu.url, "connection_verify": str(emu.ca_cert), "polling_interval": 0.01},
                 credential)
    cl["rm"].resource_groups.create_or_update("rg1", {"location": "eastus"})
    return cl


def _code(call: Any) -> str:
    with pytest.raises(HttpResponseError) as err:
        result = call()
        if hasattr(result, "result"):
            result.result()
    assert err.value.status_code == 400, err.value
    return str(err.value.error.code)


def test_location_is_required_where_the_type_has_one(loose: dict[str, Any]) -> None:
    net = loose["net"]
    assert _code(lambda: net.network_security_groups.begin_create_or_update("rg1", "n1", {})) == "LocationRequired"
    assert _code(lambda: net.virtual_networks.begin_create_or_update(
        "rg1", "v1", {"properties": vnet_body()["properties"]})) == "LocationRequired"
    assert _code(lambda: loose["rm"].resource_groups.create_or_update("rg2", {"tags": {}})) == "LocationRequired"


def test_location_must_be_a_region_and_display_names_are_normalized(loose: dict[str, Any]) -> None:
    net = loose["net"]
    assert _code(lambda: net.network_security_groups.begin_create_or_update(
        "rg1", "n1", {"location": "moon"})) == "LocationNotAvailableForResourceType"
    assert net.network_security_groups.begin_create_or_update(
        "rg1", "n1", {"location": "West Europe"}).result().location == "westeurope"
    # Private DNS zones are global and take nothing else.
    assert _code(lambda: loose["dns"].private_zones.begin_create_or_update(
        "rg1", "a.example.com", {"location": "eastus"})) == "LocationNotAvailableForResourceType"
    # A resource cannot move region by PUT.
    assert _code(lambda: net.network_security_groups.begin_create_or_update(
        "rg1", "n1", {"location": "eastus"})) == "InvalidResourceLocation"


def test_subnets_take_no_location(loose: dict[str, Any]) -> None:
    loose["net"].virtual_networks.begin_create_or_update("rg1", "v1", vnet_body()).result()
    sub = loose["net"].subnets.begin_create_or_update("rg1", "v1", "s", {"properties": {
        "addressPrefix": "10.0.0.0/24"}}).result()
    assert sub.provisioning_state == "Succeeded"


@pytest.mark.parametrize(("kind", "name"), [
    ("rg", "ends-with-dot."), ("rg", "x" * 91), ("rg", "bad*name"),
    ("vnet", "v"), ("vnet", "-starts-with-dash"), ("vnet", "ends-with-dash-"), ("vnet", "x" * 65),
    ("nsg", "has space"), ("msi", "ab"), ("msi", "_underscore-first"), ("la", "abc"), ("la", "ends-"),
    ("dns", "nodots"), ("dns", "-bad.example.com"),
])
def test_names_are_checked_against_each_types_rules(loose: dict[str, Any], kind: str, name: str) -> None:
    calls = {
        "rg": lambda: loose["rm"].resource_groups.create_or_update(name, {"location": "eastus"}),
        "vnet": lambda: loose["net"].virtual_networks.begin_create_or_update("rg1", name, vnet_body()),
        "nsg": lambda: loose["net"].network_security_groups.begin_create_or_update("rg1", name,
                                                                                   {"location": "eastus"}),
        "msi": lambda: loose["msi"].user_assigned_identities.create_or_update("rg1", name, {"location": "eastus"}),
        "la": lambda: loose["la"].workspaces.begin_create_or_update("rg1", name, {"location": "eastus"}),
        "dns": lambda: loose["dns"].private_zones.begin_create_or_update("rg1", name, {"location": "global"}),
    }
    code = _code(calls[kind])
    assert code == ("InvalidResourceGroupName" if kind == "rg" else "InvalidResourceName")


@pytest.mark.parametrize(("kind", "name"), [
    ("rg", "My_RG-(1).x"), ("vnet", "vn"), ("vnet", "v" * 64), ("vnet", "a.b_c-d_"), ("msi", "abc"),
    ("la", "law1"), ("dns", "privatelink.openai.azure.com"),
])
def test_names_at_the_edges_of_the_rules_are_accepted(loose: dict[str, Any], kind: str, name: str) -> None:
    if kind == "rg":
        loose["rm"].resource_groups.create_or_update(name, {"location": "eastus"})
    elif kind == "vnet":
        loose["net"].virtual_networks.begin_create_or_update("rg1", name, vnet_body()).result()
    elif kind == "msi":
        loose["msi"].user_assigned_identities.create_or_update("rg1", name, {"location": "eastus"})
    elif kind == "la":
        loose["la"].workspaces.begin_create_or_update("rg1", name, {"location": "eastus"}).result()
    else:
        loose["dns"].private_zones.begin_create_or_update("rg1", name, {"location": "global"}).result()


def test_tag_values_are_read_as_strings(loose: dict[str, Any]) -> None:
    # ARM reads tag values as strings (Json.NET ReadAsString): a number is kept as its text, an object fails to
    # deserialize (Azure/azure-sdk-for-java#1891); reserved characters in names are refused for every type.
    nsgs = loose["net"].network_security_groups
    assert nsgs.begin_create_or_update("rg1", "n1", {"location": "eastus", "tags": {"n": 1}}).result().tags == \
        {"n": "1"}
    assert _code(lambda: nsgs.begin_create_or_update(
        "rg1", "n1", {"location": "eastus", "tags": {"n": {"a": "b"}}})) == "InvalidRequestContent"
    assert _code(lambda: nsgs.begin_create_or_update(
        "rg1", "n1", {"location": "eastus", "tags": {"a/b": "x"}})) == "InvalidTagNameCharacters"
    assert _code(lambda: nsgs.begin_create_or_update(
        "rg1", "n1", {"location": "eastus", "tags": {"a": "x" * 257}})) == "InvalidTagValueLength"


def test_vnet_needs_an_address_space(loose: dict[str, Any]) -> None:
    assert _code(lambda: loose["net"].virtual_networks.begin_create_or_update(
        "rg1", "v1", {"location": "eastus", "properties": {}})) == "InvalidAddressSpace"
    assert _code(lambda: loose["net"].virtual_networks.begin_create_or_update(
        "rg1", "v1", vnet_body("10.0.0.1/16"))) == "InvalidAddressPrefixFormat"


def test_invalid_json_body_is_400(loose: dict[str, Any]) -> None:
    from azure.core.rest import HttpRequest

    from tests.emulator.helpers import rid

    response = loose["net"].send_request(HttpRequest(
        "PUT", rid("rg1", "Microsoft.Network/networkSecurityGroups/n1") + "?api-version=2026-03-01",
        content=b"[1, 2]", headers={"Content-Type": "application/json"}))
    assert response.status_code == 400 and response.json()["error"]["code"] == "InvalidRequestContent"
