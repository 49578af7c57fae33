"""The three forms in which Azure says "another operation holds this", through the real SDK clients.

A write that finds its resource, its VNet or a sibling subnet busy gets 409 AnotherOperationInProgress at once
(test_arm_semantics); a VNet write while a subnet is written, and an endpoint on a subnet being written, get
429 RetryableError with the cause in ``details``; an RP that joins the subnet inside its own operation accepts
the write and ends the operation Failed with that error. Fault rules produce each form on demand.
"""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.storage import StorageManagementClient

from foundry_litellm import azure_ops, retry
from foundry_litellm.emulator.faults import FaultSpecError, parse_rules
from tests.emulator.gateway_support import (
    RG,
    all_clients,
    environment_body,
    gateway_body,
    network,
    public_ip,
    sdk_kwargs,
    subnet_id,
    workspace,
)
from tests.emulator.helpers import SUB, clients, log_for, rid

ACA_DELEGATION = [{"name": "aca", "properties": {"serviceName": "Microsoft.App/environments"}}]


@pytest.fixture
def world(make_emulator: Any, credential: Any) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """An emulator with the gateway tier's VNet; clients with retries, and without (to see a 429 as sent)."""
    emu = make_emulator(time_scale=0.002)
    cl = all_clients(sdk_kwargs(emu), credential)
    network(cl)
    return emu, cl, clients(sdk_kwargs(emu), credential, retry_total=0)


def _stall_subnet_write(emu: Any, cl: dict[str, Any], name: str, props: dict[str, Any]) -> None:
    """A write of subnet ``name`` that stays in flight until the test releases it."""
    emu.admin.set_faults({"seed": 0, "rules": [{"method": "PUT", "path": f"/subnets/{name}$",
                                                "stall_operation": True, "count": 1}]})
    cl["net"].subnets.begin_create_or_update(RG, "vnet", name, {"properties": props}, polling=False)
    emu.admin.clear_faults()


def test_a_vnet_write_while_a_subnet_is_written_stays_409_by_default_azurerm_3780(world: Any) -> None:
    emu, cl, bare = world
    _stall_subnet_write(emu, cl, "plain", {"addressPrefix": "10.0.6.0/23"})
    vnet = cl["net"].virtual_networks.get(RG, "vnet")
    with pytest.raises(HttpResponseError) as err:
        bare["net"].virtual_networks.begin_create_or_update(RG, "vnet", vnet)
    assert err.value.status_code == 409 and err.value.error.code == "AnotherOperationInProgress"


def test_a_fault_rule_gives_the_429_retryable_error_form_capz_4385(world: Any) -> None:
    emu, cl, bare = world
    vnet = cl["net"].virtual_networks.get(RG, "vnet")
    emu.admin.set_faults({"seed": 0, "rules": [{
        "method": "PUT", "path": "/virtualnetworks/vnet$", "status": 429, "retry_after": 1, "count": 1,
        "error_code": "RetryableError", "message": "A retryable error occurred.",
        "details": [{"code": "RetryableErrorDueToAnotherOperation",
                     "message": "Operation PutSubnetOperation (3d605e16) is updating resource .../subnets/plain."}]}]})
    with pytest.raises(HttpResponseError) as err:
        bare["net"].virtual_networks.begin_create_or_update(RG, "vnet", vnet)
    assert err.value.status_code == 429 and err.value.error.code == "RetryableError"
    assert err.value.response.headers["Retry-After"] == "1"
    assert azure_ops.error_codes(err.value) == ["RetryableError", "RetryableErrorDueToAnotherOperation"]
    assert azure_ops.is_conflict(err.value)


def test_an_endpoint_on_a_subnet_being_written_is_429_referenced_resource_not_provisioned_azurerm_21293(
        world: Any, credential: Any) -> None:
    emu, cl, bare = world
    account = StorageManagementClient(credential, SUB, **sdk_kwargs(emu)).storage_accounts.begin_create(
        RG, "conflictstore1", {"location": "eastus", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}).result()
    _stall_subnet_write(emu, cl, "pe", {"addressPrefix": "10.0.5.0/24"})
    body = {"location": "eastus", "properties": {"subnet": {"id": subnet_id("pe")}, "privateLinkServiceConnections": [
        {"name": "conn", "properties": {"privateLinkServiceId": account.id, "groupIds": ["blob"]}}]}}
    with pytest.raises(HttpResponseError) as err:
        bare["net"].private_endpoints.begin_create_or_update(RG, "pe-blob", body)
    assert err.value.status_code == 429 and err.value.error.code == "RetryableError"
    assert [d.code for d in err.value.error.details] == ["ReferencedResourceNotProvisioned"]
    assert subnet_id("pe").lower() in err.value.error.details[0].message.lower()
    emu.admin.release_operations()  # the subnet's write ends: the same PUT goes through
    assert cl["net"].private_endpoints.begin_create_or_update(RG, "pe-blob", body).result() \
        .provisioning_state == "Succeeded"


def test_the_retry_policy_waits_out_a_429_retryable_error_whatever_its_details(world: Any, credential: Any) -> None:
    emu = world[0]
    # Two 429s whose details differ, then the write goes through (retry.py: 429 is retried for every method).
    emu.admin.set_faults({"seed": 0, "rules": [
        {"method": "PUT", "path": "/subnets/plain$", "status": 429, "retry_after": 0, "count": 1,
         "error_code": "RetryableError", "message": "A retryable error occurred.",
         "details": [{"code": "ReferencedResourceNotProvisioned", "message": "Resource is in Updating state."}]},
        {"method": "PUT", "path": "/subnets/plain$", "status": 429, "retry_after": 0, "count": 1,
         "error_code": "RetryableError", "details": [{"code": "SomethingElse", "message": "anything"}]}]})
    net = NetworkManagementClient(credential, SUB, **sdk_kwargs(emu), retry_policy=retry.policy(0.002))
    net.subnets.begin_create_or_update(RG, "vnet", "plain", {"properties": {"addressPrefix": "10.0.6.0/23"}}).result()
    assert [e["status"] for e in log_for(emu.admin, "PUT", "/subnets/plain")] == [429, 429, 200]


def test_an_environment_joining_a_subnet_being_written_fails_its_operation_azurerm_30197(world: Any) -> None:
    emu, cl, _ = world
    customer_id, key = workspace(cl)
    _stall_subnet_write(emu, cl, "aca2", {"addressPrefix": "10.0.2.0/23", "delegations": ACA_DELEGATION})
    poller = cl["aca"].managed_environments.begin_create_or_update(
        RG, "env-busy", environment_body(customer_id, key, subnet="aca2"))
    with pytest.raises(HttpResponseError) as err:
        poller.result()
    assert log_for(emu.admin, "PUT", "/managedEnvironments/env-busy")[0]["status"] == 201  # accepted first
    assert azure_ops.error_codes(err.value) == ["RetryableError", "ReferencedResourceNotProvisioned"]
    emu.admin.release_operations()
    assert cl["aca"].managed_environments.begin_create_or_update(
        RG, "env-busy", environment_body(customer_id, key, subnet="aca2")).result().provisioning_state == "Succeeded"


def test_a_gateway_on_a_subnet_being_written_is_429_at_once_terraform_7986(world: Any) -> None:
    # The App Gateway does not lock its subnet as an endpoint does; the Network RP still refuses it up front.
    emu, cl, bare = world
    pip = public_ip(cl)
    _stall_subnet_write(emu, cl, "agw", {"addressPrefix": "10.0.4.0/24"})
    with pytest.raises(HttpResponseError) as err:
        bare["net"].application_gateways.begin_create_or_update(RG, "agw", gateway_body(pip, {"p": "a.example.com"}))
    assert err.value.status_code == 429
    assert azure_ops.error_codes(err.value) == ["RetryableError", "ReferencedResourceNotProvisioned"]
    assert log_for(emu.admin, "PUT", "/applicationGateways/agw")[-1]["status"] == 429
    assert not [r for r in emu.admin.resources() if r["type"].endswith("/applicationGateways")], "nothing written"


def test_a_fault_rule_gives_an_immediate_error_its_details(world: Any) -> None:
    emu, _, bare = world
    emu.admin.set_faults({"seed": 0, "rules": [{
        "method": "PUT", "path": "/subnets/plain$", "status": 409, "count": 1, "error_code": "Conflict",
        "details": [{"code": "AnotherOperationInProgress", "message": "Another operation is in progress."}]}]})
    with pytest.raises(HttpResponseError) as err:
        bare["net"].subnets.begin_create_or_update(RG, "vnet", "plain",
                                                   {"properties": {"addressPrefix": "10.0.6.0/23"}})
    assert err.value.status_code == 409 and err.value.error.code == "Conflict"
    assert azure_ops.error_codes(err.value) == ["Conflict", "AnotherOperationInProgress"]
    assert azure_ops.is_conflict(err.value) and azure_ops.error_code(err.value) == "Conflict"


def test_a_failed_operation_carries_the_rules_details_bicep_5132(world: Any) -> None:
    emu, cl, _ = world
    emu.admin.set_faults({"seed": 0, "rules": [{
        "method": "PUT", "path": "/subnets/plain$", "fail_operation": True, "count": 1,
        "error_code": "RetryableError", "message": "A retryable error occurred.",
        "details": [{"code": "ReferencedResourceNotProvisioned", "message": "Resource is in Updating state."}]}]})
    with pytest.raises(HttpResponseError) as err:
        cl["net"].subnets.begin_create_or_update(RG, "vnet", "plain",
                                                 {"properties": {"addressPrefix": "10.0.6.0/23"}}).result()
    assert azure_ops.error_codes(err.value) == ["RetryableError", "ReferencedResourceNotProvisioned"]
    status = next(op for op in emu.admin.operations() if op["resource"].lower().endswith("/subnets/plain"))
    assert status["status"] == "Failed"
    polled = log_for(emu.admin, "GET", "/operationStatuses/")
    assert polled and polled[-1]["status"] == 200


@pytest.mark.parametrize(("rule", "complaint"), [
    ({"status": 429, "details": "x"}, "wrong type"),
    ({"status": 429, "details": ["x"]}, "must be an object"),
    ({"status": 429, "details": [{"code": "A"}]}, "message must be"),
    ({"status": 429, "details": [{"code": "A", "message": "m", "extra": 1}]}, "unknown field"),
    ({"details": [{"code": "A", "message": "m"}]}, "needs an error 'status' or 'fail_operation'"),
])
def test_details_are_validated_like_the_other_fields(rule: dict[str, Any], complaint: str) -> None:
    with pytest.raises(FaultSpecError, match=complaint):
        parse_rules({"rules": [{"method": "PUT", "path": "x", **rule}]})


def test_details_with_a_failed_operation_are_accepted() -> None:
    _, rules = parse_rules({"rules": [{"method": "PUT", "path": "x", "fail_operation": True,
                                       "details": [{"code": "A", "message": "m", "target": "t"}]}]})
    assert rules[0].details == [{"code": "A", "message": "m", "target": "t"}]


def test_a_subnet_id_in_the_group_is_found_in_any_body() -> None:
    from foundry_litellm.emulator.arm import SUBNET_ID

    subnet = rid(RG, "Microsoft.Network/virtualNetworks/v/subnets/s")
    found = SUBNET_ID.search(f'{{"x": {{"id": "{subnet}"}}, "y": "/z"}}')
    assert found is not None and found.group(0) == subnet
