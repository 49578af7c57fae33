"""Generic Azure Resource Manager semantics, through the real SDK clients.

Azure behaviour cited: Learn "Track asynchronous Azure operations" (async-operations: Azure-AsyncOperation
over Location, Retry-After, status InProgress/Succeeded/Failed), TypeSpec ARM rule
arm-delete-operation-response-codes (a long-running DELETE answers 202 or 204), azurerm#3780 (writes to a
VNet and its subnets are serialized: AnotherOperationInProgress).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.core.rest import HttpRequest

from tests.emulator.helpers import SUB, clients, log_for, rid, vnet_body

VNET = "Microsoft.Network/virtualNetworks"


def _hook(store: list[Any]) -> Any:
    return lambda response: store.append(response.http_response)


def _slow(make_emulator: Any, credential: Any, scale: float = 1.0, data_dir: Path | None = None,
          build: Any = None) -> tuple[Any, dict[str, Any]]:
    """An emulator at ``scale`` with a group rg1. ``build`` runs first on a fast emulator of the same data
    dir, so what it creates is done, and what the test starts stays in flight for real seconds."""
    if build is not None:
        assert data_dir is not None
        fast = make_emulator(data_dir, time_scale=0.0005)
        cl = clients(_sdk(fast), credential)
        cl["rm"].resource_groups.create_or_update("rg1", {"location": "eastus"})
        build(cl)
        fast.stop()
    emu = make_emulator(data_dir, time_scale=scale)
    cl = clients(_sdk(emu), credential)
    cl["rm"].resource_groups.create_or_update("rg1", {"location": "eastus"})
    return emu, cl


def _sdk(emu: Any) -> dict[str, Any]:
    return {"base_url": emu.url, "connection_verify": str(emu.ca_cert), "polling_interval": 0.02}


def test_ids_are_case_insensitive(c: dict[str, Any], rg: str, admin: Any) -> None:
    c["net"].virtual_networks.begin_create_or_update(rg, "Vnet1", vnet_body()).result()
    # The resource group client writes "resourcegroups"; the network client writes "resourceGroups".
    assert any("/resourcegroups/" in e["path"] for e in admin.requests())
    assert any("/resourceGroups/" in e["path"] for e in admin.requests())
    got = c["net"].virtual_networks.get("RG1", "VNET1")
    assert got.id == rid("rg1", f"{VNET}/Vnet1")  # the spelling it was created with
    lower = c["net"].send_request(HttpRequest(
        "GET", f"/SUBSCRIPTIONS/{SUB}/RESOURCEGROUPS/rg1/PROVIDERS/microsoft.network/VIRTUALNETWORKS/vnet1"
               "?api-version=2026-03-01"))
    assert lower.status_code == 200 and lower.json()["name"] == "Vnet1"


def test_put_answers_201_on_create_and_200_on_update(c: dict[str, Any], rg: str, admin: Any) -> None:
    for _ in range(2):
        c["net"].virtual_networks.begin_create_or_update(rg, "v1", vnet_body()).result()
        c["net"].network_security_groups.begin_create_or_update(rg, "n1", {"location": "eastus"}).result()
    assert [e["status"] for e in log_for(admin, "PUT", "/virtualNetworks/v1")] == [201, 200]
    assert [e["status"] for e in log_for(admin, "PUT", "/networkSecurityGroups/n1")] == [201, 200]
    assert [e["status"] for e in log_for(admin, "PUT", "/resourcegroups/rg1") if e["path"].endswith("rg1")] == [201]


def test_provisioning_state_moves_to_succeeded(make_emulator: Any, credential: Any, c: dict[str, Any],
                                               rg: str) -> None:
    _, slow = _slow(make_emulator, credential)  # real time: what starts here stays in flight
    first = slow["net"].virtual_networks.begin_create_or_update("rg1", "v1", vnet_body(), polling=False).result()
    # The Network RP reports Updating while it creates (azure-sdk-notes, "LRO proof").
    assert first.provisioning_state == "Updating"
    assert slow["net"].virtual_networks.get("rg1", "v1").provisioning_state == "Updating"
    # Log Analytics answers 201 with provisioningState Creating and no header: the SDK polls the resource.
    ws = slow["la"].workspaces.begin_create_or_update("rg1", "ws-1", {"location": "eastus"}, polling=False)
    assert ws.result().provisioning_state == "Creating"
    assert slow["la"].workspaces.get("rg1", "ws-1").provisioning_state == "Creating"
    # At the default scale the same operations finish, and the SDK sees Succeeded.
    assert c["net"].virtual_networks.begin_create_or_update(rg, "v1", vnet_body()).result() \
        .provisioning_state == "Succeeded"
    assert c["la"].workspaces.begin_create_or_update(rg, "ws-1", {"location": "eastus"}).result() \
        .provisioning_state == "Succeeded"
    # An update answers 200 already Succeeded (Azure CLI recording
    # monitor__test_monitor_log_analytics_workspace_recover.yaml: workspace update).
    again = c["la"].workspaces.begin_create_or_update(rg, "ws-1", {"location": "eastus"}, polling=False)
    assert again.result().provisioning_state == "Succeeded"


def test_put_uses_azure_asyncoperation_and_the_operation_status_resource(make_emulator: Any, credential: Any,
                                                                         c: dict[str, Any], rg: str) -> None:
    emu, slow = _slow(make_emulator, credential)  # VNet create: 10 real seconds
    seen: list[Any] = []
    slow["net"].virtual_networks.begin_create_or_update("rg1", "v1", vnet_body(), polling=False,
                                                        raw_response_hook=_hook(seen))
    initial = seen[-1]
    assert initial.status_code == 201
    op_url = initial.headers["Azure-AsyncOperation"]
    assert op_url.startswith(emu.url) and "/operationStatuses/" in op_url
    status = slow["net"].send_request(HttpRequest("GET", op_url))
    assert status.status_code == 200
    assert status.json()["status"] == "InProgress" and "endTime" not in status.json()
    # Retry-After is whole seconds: the scaled poll interval (10 s), no later than the due time.
    assert status.headers["Retry-After"] in ("9", "10")
    # Once done: Succeeded with an end time, and no Retry-After.
    seen.clear()
    c["net"].virtual_networks.begin_create_or_update(rg, "v1", vnet_body(), raw_response_hook=_hook(seen)).result()
    op_url = seen[0].headers["Azure-AsyncOperation"]
    done = c["net"].send_request(HttpRequest("GET", op_url))
    assert done.json()["status"] == "Succeeded" and "Retry-After" not in done.headers
    assert done.json()["endTime"] >= done.json()["startTime"]


def test_small_time_scales_put_the_poll_interval_in_retry_after_ms(make_emulator: Any, credential: Any) -> None:
    _, cl = _slow(make_emulator, credential, scale=0.01)  # NSG: 50 ms
    seen: list[Any] = []
    cl["net"].network_security_groups.begin_create_or_update("rg1", "n1", {"location": "eastus"}, polling=False,
                                                             raw_response_hook=_hook(seen))
    assert 5 <= int(seen[-1].headers["retry-after-ms"]) <= 100  # azure-core honours retry-after-ms


def test_private_dns_zone_put_answers_202_empty_body_and_both_operation_headers(
        make_emulator: Any, credential: Any, c: dict[str, Any], rg: str, admin: Any) -> None:
    # Azure CLI recording privatedns__test_PutZone_ZoneNotExists_ExpectZoneCreated.yaml: 202, body {}, both
    # Azure-AsyncOperation and Location.
    _, slow = _slow(make_emulator, credential)  # private DNS zone: 35 real seconds
    seen: list[Any] = []
    slow["dns"].private_zones.begin_create_or_update("rg1", "a.example.com", {"location": "global"},
                                                     polling=False, raw_response_hook=_hook(seen))
    first = seen[0]
    assert first.status_code == 202 and first.json() == {}
    assert "/operationStatuses/" in first.headers["Azure-AsyncOperation"]
    location = first.headers["Location"]
    assert "/operationResults/" in location
    status = slow["dns"].send_request(HttpRequest("GET", first.headers["Azure-AsyncOperation"]))
    assert status.status_code == 200 and status.json()["status"] == "InProgress"
    poll = slow["dns"].send_request(HttpRequest("GET", location))
    assert poll.status_code == 202 and poll.headers["Location"] == location and "Retry-After" in poll.headers
    zone = c["dns"].private_zones.begin_create_or_update(rg, "a.example.com", {"location": "global"}).result()
    assert zone.provisioning_state == "Succeeded"
    assert log_for(admin, "GET", "/operationStatuses/")[-1]["status"] == 200


def test_private_dns_zone_delete_answers_202_without_a_body_and_both_headers(c: dict[str, Any], rg: str) -> None:
    # Azure CLI recording privatedns__test_DeleteZone_ZoneExists_ExpectZoneDeleted.yaml.
    c["dns"].private_zones.begin_create_or_update(rg, "b.example.com", {"location": "global"}).result()
    seen: list[Any] = []
    c["dns"].private_zones.begin_delete(rg, "b.example.com", raw_response_hook=_hook(seen)).result()
    assert seen[0].status_code == 202 and not seen[0].text()
    assert "Azure-AsyncOperation" in seen[0].headers and "Location" in seen[0].headers
    with pytest.raises(ResourceNotFoundError):
        c["dns"].private_zones.get(rg, "b.example.com")


def test_link_read_under_a_missing_zone_is_resource_not_found(c: dict[str, Any], rg: str) -> None:
    # Azure CLI recording privatedns__test_GetLink_ZoneNotExists_ExpectError.yaml: ResourceNotFound, not
    # ParentResourceNotFound.
    with pytest.raises(ResourceNotFoundError) as err:
        c["dns"].virtual_network_links.get(rg, "nozone.example.com", "link1")
    assert err.value.error.code == "ResourceNotFound"


def test_delete_answers_202_then_the_resource_is_gone_and_a_second_delete_204(c: dict[str, Any], rg: str,
                                                                              admin: Any) -> None:
    c["net"].virtual_networks.begin_create_or_update(rg, "v1", vnet_body()).result()
    seen: list[Any] = []
    assert c["net"].virtual_networks.begin_delete(rg, "v1", raw_response_hook=_hook(seen)).result() is None
    assert seen[0].status_code == 202 and "Azure-AsyncOperation" in seen[0].headers
    with pytest.raises(ResourceNotFoundError):
        c["net"].virtual_networks.get(rg, "v1")
    c["net"].virtual_networks.begin_delete(rg, "v1").result()
    assert [e["status"] for e in log_for(admin, "DELETE", "/virtualNetworks/v1")] == [202, 204]


def test_get_of_a_missing_resource_is_404_resource_not_found(c: dict[str, Any], rg: str) -> None:
    with pytest.raises(ResourceNotFoundError) as err:
        c["net"].virtual_networks.get(rg, "nope")
    assert err.value.status_code == 404 and err.value.error.code == "ResourceNotFound"


def test_missing_group_is_resource_group_not_found_for_reads_and_writes(c: dict[str, Any]) -> None:
    with pytest.raises(ResourceNotFoundError) as err:
        c["rm"].resource_groups.get("ghost")
    assert err.value.error.code == "ResourceGroupNotFound"
    with pytest.raises(ResourceNotFoundError) as err:
        c["net"].virtual_networks.get("ghost", "v1")
    assert err.value.error.code == "ResourceGroupNotFound"
    with pytest.raises(ResourceNotFoundError) as err:
        c["net"].virtual_networks.begin_create_or_update("ghost", "v1", vnet_body())
    assert err.value.error.code == "ResourceGroupNotFound"
    with pytest.raises(ResourceNotFoundError) as err:
        list(c["net"].virtual_networks.list("ghost"))
    assert err.value.error.code == "ResourceGroupNotFound"


def test_missing_parent_is_parent_resource_not_found_for_reads_and_writes(c: dict[str, Any], rg: str) -> None:
    with pytest.raises(ResourceNotFoundError) as err:
        c["net"].subnets.get(rg, "novnet", "s1")
    assert err.value.error.code == "ParentResourceNotFound"
    with pytest.raises(ResourceNotFoundError) as err:
        c["net"].subnets.begin_create_or_update(rg, "novnet", "s1", {"properties": {"addressPrefix": "10.0.0.0/24"}})
    assert err.value.error.code == "ParentResourceNotFound"
    with pytest.raises(ResourceNotFoundError) as err:
        c["dns"].virtual_network_links.begin_create_or_update(
            rg, "nozone.example.com", "l1",
            {"location": "global", "properties": {"virtualNetwork": {"id": rid(rg, f"{VNET}/v")}}})
    assert err.value.error.code == "ParentResourceNotFound"


def test_unknown_api_version_is_400_invalid_api_version_parameter(emulator: Any, credential: Any,
                                                                  sdk: dict[str, Any], c: dict[str, Any],
                                                                  rg: str) -> None:
    from azure.mgmt.resource.resources import ResourceManagementClient

    old = ResourceManagementClient(credential, SUB, api_version="2012-01-01", **sdk)
    with pytest.raises(HttpResponseError) as err:
        old.resource_groups.get(rg)
    assert err.value.status_code == 400 and err.value.error.code == "InvalidApiVersionParameter"
    assert "2025-04-01" in err.value.error.message  # the supported versions are listed
    missing = c["net"].send_request(HttpRequest("GET", rid(rg, f"{VNET}/v1")))
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "MissingApiVersionParameter"
    wrong = c["net"].send_request(HttpRequest("GET", rid(rg, f"{VNET}/v1") + "?api-version=2099-01-01"))
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "InvalidApiVersionParameter"


def test_list_is_scoped_to_the_resource_group(c: dict[str, Any], rg: str) -> None:
    c["rm"].resource_groups.create_or_update("rg2", {"location": "westus"})
    c["net"].virtual_networks.begin_create_or_update(rg, "va", vnet_body()).result()
    c["net"].virtual_networks.begin_create_or_update(rg, "vb", vnet_body("10.1.0.0/16")).result()
    c["net"].virtual_networks.begin_create_or_update("rg2", "vc", vnet_body(location="westus")).result()
    c["net"].network_security_groups.begin_create_or_update(rg, "n", {"location": "eastus"}).result()
    assert sorted(v.name for v in c["net"].virtual_networks.list(rg)) == ["va", "vb"]
    assert [v.name for v in c["net"].virtual_networks.list("rg2")] == ["vc"]
    assert sorted(v.name for v in c["net"].virtual_networks.list_all()) == ["va", "vb", "vc"]
    assert sorted(g.name for g in c["rm"].resource_groups.list()) == ["rg1", "rg2"]


def test_a_write_while_a_write_is_in_flight_is_409(make_emulator: Any, credential: Any) -> None:
    emu, cl = _slow(make_emulator, credential)  # VNet create: 10 real seconds
    net = cl["net"]
    net.virtual_networks.begin_create_or_update("rg1", "v1", vnet_body(subnets={"s1": "10.0.1.0/24"}),
                                                polling=False)
    with pytest.raises(ResourceExistsError) as err:
        net.virtual_networks.begin_create_or_update("rg1", "v1", vnet_body())
    assert err.value.status_code == 409 and err.value.error.code == "AnotherOperationInProgress"
    with pytest.raises(ResourceExistsError) as err:  # a subnet of a VNet being written (azurerm#3780)
        net.subnets.begin_create_or_update("rg1", "v1", "s2", {"properties": {"addressPrefix": "10.0.2.0/24"}})
    assert err.value.error.code == "AnotherOperationInProgress"
    with pytest.raises(ResourceExistsError):
        net.virtual_networks.begin_delete("rg1", "v1")
    # Another VNet is not locked.
    net.virtual_networks.begin_create_or_update("rg1", "v2", vnet_body(), polling=False)
    statuses = [e["status"] for e in log_for(emu.admin, "PUT", "/virtualNetworks/v")]
    assert statuses == [201, 409, 409, 201]
    assert [e["status"] for e in log_for(emu.admin, "DELETE", "/virtualNetworks/v1")] == [409]


def test_writes_to_subnets_of_one_vnet_are_serialized(make_emulator: Any, tmp_path: Path,
                                                      credential: Any) -> None:
    def build(cl: dict[str, Any]) -> None:
        cl["net"].virtual_networks.begin_create_or_update("rg1", "v1", vnet_body()).result()

    emu, cl = _slow(make_emulator, credential, data_dir=tmp_path / "w", build=build)  # subnet: 5 s
    net = cl["net"]
    net.subnets.begin_create_or_update("rg1", "v1", "s2", {"properties": {"addressPrefix": "10.0.2.0/24"}},
                                       polling=False)
    # Sibling subnets wait their turn, and so does the VNet while one of its subnets is written.
    with pytest.raises(ResourceExistsError):
        net.subnets.begin_create_or_update("rg1", "v1", "s3", {"properties": {"addressPrefix": "10.0.3.0/24"}})
    with pytest.raises(ResourceExistsError):
        net.virtual_networks.begin_create_or_update("rg1", "v1", vnet_body())
    # Writes elsewhere go through.
    net.network_security_groups.begin_create_or_update("rg1", "n1", {"location": "eastus"}, polling=False)
    assert [e["status"] for e in emu.admin.requests() if e["method"] == "PUT"][-4:] == [201, 409, 409, 201]


def test_a_second_delete_while_deleting_joins_the_same_operation(make_emulator: Any, tmp_path: Path,
                                                                 credential: Any) -> None:
    def build(cl: dict[str, Any]) -> None:
        cl["net"].network_security_groups.begin_create_or_update("rg1", "n1", {"location": "eastus"}).result()

    _, cl = _slow(make_emulator, credential, data_dir=tmp_path / "w", build=build)
    first: list[Any] = []
    second: list[Any] = []
    cl["net"].network_security_groups.begin_delete("rg1", "n1", polling=False, raw_response_hook=_hook(first))
    cl["net"].network_security_groups.begin_delete("rg1", "n1", polling=False, raw_response_hook=_hook(second))
    assert first[0].status_code == second[0].status_code == 202
    assert first[0].headers["Azure-AsyncOperation"] == second[0].headers["Azure-AsyncOperation"]


def test_percent_encoded_names_are_decoded(c: dict[str, Any]) -> None:
    # The SDK percent-encodes path segments: '(' and ')' arrive as %28 and %29.
    group = c["rm"].resource_groups.create_or_update("rg(1)", {"location": "eastus"})
    assert group.name == "rg(1)" and group.id.endswith("/resourceGroups/rg(1)")
    nsg = c["net"].network_security_groups.begin_create_or_update("rg(1)", "n1", {"location": "eastus"}).result()
    assert nsg.id == rid("rg(1)", "Microsoft.Network/networkSecurityGroups/n1")
    assert [n.name for n in c["net"].network_security_groups.list("rg(1)")] == ["n1"]


def test_patch_merges_properties_but_replaces_tags(c: dict[str, Any], rg: str) -> None:
    # ARM patches tags as one attribute (Azure/azure-powershell#12003); the Tags API is there to merge.
    c["rm"].resource_groups.update(rg, {"tags": {"a": "1", "b": "2"}})
    assert c["rm"].resource_groups.update(rg, {"tags": {"c": "3"}}).tags == {"c": "3"}
    assert c["rm"].resource_groups.get(rg).location == "eastus"  # the rest is kept
    c["net"].network_security_groups.begin_create_or_update(rg, "n1", {"location": "eastus",
                                                                       "tags": {"x": "1"}}).result()
    c["net"].network_security_groups.update_tags(rg, "n1", {"tags": {"y": "2"}})
    nsg = c["net"].network_security_groups.get(rg, "n1")
    assert nsg.tags == {"y": "2"} and len(nsg.default_security_rules) == 6


def test_network_update_tags_is_synchronous(make_emulator: Any, tmp_path: Path, credential: Any) -> None:
    # virtualNetwork.json / networkSecurityGroup.json: UpdateTags answers 200, not a long-running operation.
    def build(cl: dict[str, Any]) -> None:
        cl["net"].network_security_groups.begin_create_or_update("rg1", "n1", {"location": "eastus"}).result()

    emu, cl = _slow(make_emulator, credential, data_dir=tmp_path / "w", build=build)
    seen: list[Any] = []
    nsg = cl["net"].network_security_groups.update_tags("rg1", "n1", {"tags": {"a": "b"}},
                                                        raw_response_hook=_hook(seen))
    assert nsg.provisioning_state == "Succeeded" and nsg.tags == {"a": "b"}
    assert seen[0].status_code == 200 and "Azure-AsyncOperation" not in seen[0].headers
    assert len(emu.admin.operations()) == 1  # only the create
    # Nothing in flight: the next write is accepted at once.
    cl["net"].network_security_groups.begin_create_or_update("rg1", "n1", {"location": "eastus"}, polling=False)
