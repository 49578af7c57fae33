"""Capability hosts: the platform's account host, one host per scope, immutability, the project host's
prerequisites, deletion order, and failed or stuck operations injected by fault rules."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.rest import HttpRequest

from tests.emulator.foundry_support import (
    LOCATION,
    agent_network,
    byo_connections,
    caphost_body,
    create_account,
    error_code,
    foundry_clients,
    project_body,
    raw,
)
from tests.emulator.helpers import log_for, rid


def account_id(rg: str, name: str = "acct") -> str:
    return rid(rg, f"Microsoft.CognitiveServices/accounts/{name}")


def _project_with_connections(c: dict[str, Any], rg: str) -> dict[str, str]:
    create_account(c, rg, "acct")
    c["cs"].projects.begin_create(rg, "acct", "p1", raw(project_body())).result()
    return byo_connections(c, rg, "acct", "p1")


def _standard_setup(c: dict[str, Any], rg: str) -> None:
    """Account host, project, its connections and the project host (reference-inventory §1.9)."""
    connections = _project_with_connections(c, rg)
    c["cs"].account_capability_hosts.begin_create_or_update(rg, "acct", "caphostacct", raw(caphost_body())).result()
    c["cs"].project_capability_hosts.begin_create_or_update(
        rg, "acct", "p1", "projcaphost", raw(caphost_body(connections))).result()


def test_the_platform_host_is_adopted_never_duplicated(c: dict[str, Any], rg: str, admin: Any,
                                                       sdk: dict[str, Any]) -> None:
    cs = c["cs"]
    subnet_id = agent_network(c, rg)
    create_account(c, rg, "acct", subnet_id=subnet_id)
    name = "acct@aml_aiagentservice"
    # The SDK has no list, the wire does (cognitiveservices.json 2025-09-01): how a deploy finds the host to adopt.
    listing = cs._client.send_request(HttpRequest(
        "GET", f"{sdk['base_url']}{account_id(rg)}/capabilityHosts", params={"api-version": "2025-09-01"}))
    assert [h["name"] for h in listing.json()["value"]] == [name]
    with pytest.raises(HttpResponseError) as err:  # foundry-samples PR #753, #312; foundry-dev-tools#376
        cs.account_capability_hosts.begin_create_or_update(rg, "acct", "caphostacct", raw(caphost_body())).result()
    assert err.value.status_code == 409 and error_code(err.value) == "Conflict"
    assert f"existing Capability Host with name: {name}" in str(err.value)
    # The same name and configuration returns the existing host at once (capability-hosts.md).
    same = caphost_body(customerSubnet=subnet_id)
    host = cs.account_capability_hosts.begin_create_or_update(rg, "acct", name, raw(same)).result()
    assert host.properties.provisioning_state == "Succeeded"
    assert log_for(admin, "PUT", "/capabilityhosts/acct@aml_aiagentservice")[-1]["status"] == 200
    with pytest.raises(HttpResponseError) as err:  # "Update of capability is not currently supported"
        cs.account_capability_hosts.begin_create_or_update(rg, "acct", name, raw(caphost_body())).result()
    assert err.value.status_code == 400 and error_code(err.value) == "InvalidData"


def test_a_project_host_needs_the_account_host_its_connections_and_no_subnet(c: dict[str, Any], rg: str) -> None:
    cs = c["cs"]
    connections = _project_with_connections(c, rg)
    put = cs.project_capability_hosts.begin_create_or_update
    with pytest.raises(HttpResponseError) as err:  # avm-ptn-aiml-ai-foundry#112
        put(rg, "acct", "p1", "projcaphost", raw(caphost_body(connections))).result()
    assert err.value.status_code == 400 and "Foundry Account capabilityHost Not Found" in str(err.value)
    cs.account_capability_hosts.begin_create_or_update(rg, "acct", "caphostacct", raw(caphost_body())).result()
    with pytest.raises(HttpResponseError) as err:
        put(rg, "acct", "p1", "projcaphost", raw(caphost_body({**connections, "vector": "nope"}))).result()
    assert err.value.status_code == 400 and "nope" in str(err.value)
    with pytest.raises(HttpResponseError) as err:  # "CapabilityHost for Project cannot be created with Subnet"
        put(rg, "acct", "p1", "projcaphost", raw(caphost_body(connections, customerSubnet="/x"))).result()
    assert err.value.status_code == 400  # strict mode refuses it first: the project schema has no customerSubnet
    host = put(rg, "acct", "p1", "projcaphost", raw(caphost_body(connections))).result()
    assert host.properties.provisioning_state == "Succeeded"
    assert host.properties.thread_storage_connections == [connections["thread"]]
    got = cs.project_capability_hosts.get(rg, "acct", "p1", "projcaphost")
    assert got.properties.capability_host_kind == "Agents"
    with pytest.raises(HttpResponseError) as err:  # one host per scope
        put(rg, "acct", "p1", "another", raw(caphost_body(connections))).result()
    assert err.value.status_code == 409


def test_project_host_rules_the_schema_does_not_show(make_emulator: Any, credential: Any) -> None:
    """Without strict validation, the service's own rule on a project host's subnet answers; capabilityHostKind,
    absent from the 2025-09-01 project schema but sent by SDK models, is accepted."""
    emu = make_emulator(strict=False)
    c = foundry_clients({"base_url": emu.url, "connection_verify": str(emu.ca_cert), "polling_interval": 0.02},
                        credential)
    c["rm"].resource_groups.create_or_update("rg1", {"location": LOCATION})
    connections = _project_with_connections(c, "rg1")
    c["cs"].account_capability_hosts.begin_create_or_update(
        "rg1", "acct", "caphostacct", raw(caphost_body())).result()
    put = c["cs"].project_capability_hosts.begin_create_or_update
    with pytest.raises(HttpResponseError) as err:  # an observed service answer (azd template comments)
        put("rg1", "acct", "p1", "projcaphost", raw(caphost_body(connections, customerSubnet="/x"))).result()
    assert err.value.status_code == 400 and "CapabilityHost for Project cannot be created with Subnet" in str(err.value)
    host = put("rg1", "acct", "p1", "projcaphost", raw(caphost_body(connections, capabilityHostKind="Agents"))).result()
    assert host.properties.capability_host_kind == "Agents"


def test_hosts_are_deleted_project_first_then_account_then_the_parents(c: dict[str, Any], rg: str) -> None:
    cs = c["cs"]
    _standard_setup(c, rg)
    refused = [
        lambda: cs.projects.begin_delete(rg, "acct", "p1").result(),  # foundry-samples PR #251
        lambda: cs.account_capability_hosts.begin_delete(rg, "acct", "caphostacct").result(),  # SKILL.md order
        lambda: cs.accounts.begin_delete(rg, "acct").result(),
        lambda: c["rm"].resource_groups.begin_delete(rg).result(),
    ]
    for attempt in refused:
        with pytest.raises(HttpResponseError) as err:
            attempt()
        assert err.value.status_code == 409
    cs.project_capability_hosts.begin_delete(rg, "acct", "p1", "projcaphost").result()
    with pytest.raises(ResourceNotFoundError):
        cs.project_capability_hosts.get(rg, "acct", "p1", "projcaphost")
    cs.account_capability_hosts.begin_delete(rg, "acct", "caphostacct").result()
    cs.projects.begin_delete(rg, "acct", "p1").result()
    cs.accounts.begin_delete(rg, "acct").result()
    assert [d.name for d in cs.deleted_accounts.list()] == ["acct"]


def test_a_failed_host_cannot_be_reapplied_only_deleted(c: dict[str, Any], rg: str, admin: Any) -> None:
    cs = c["cs"]
    connections = _project_with_connections(c, rg)
    cs.account_capability_hosts.begin_create_or_update(rg, "acct", "caphostacct", raw(caphost_body())).result()
    admin.set_faults({"seed": 0, "rules": [{  # foundry-samples#810: the platform gives up with this error
        "method": "PUT", "path": "/projects/p1/capabilityhosts/projcaphost$", "fail_operation": True, "count": 1,
        "error_code": "CapabilityHostOperationFailed",
        "message": "The resource provision operation did not complete within the allowed timeout period."}]})
    body = raw(caphost_body(connections))
    put = cs.project_capability_hosts.begin_create_or_update
    with pytest.raises(HttpResponseError) as err:
        put(rg, "acct", "p1", "projcaphost", body).result()
    assert error_code(err.value) == "CapabilityHostOperationFailed"
    assert cs.project_capability_hosts.get(rg, "acct", "p1", "projcaphost").properties.provisioning_state == "Failed"
    with pytest.raises(HttpResponseError) as err:  # Azure/azure-dev#6960
        put(rg, "acct", "p1", "projcaphost", body).result()
    assert err.value.status_code == 409 and "conflicting state" in str(err.value)
    cs.project_capability_hosts.begin_delete(rg, "acct", "p1", "projcaphost").result()
    assert put(rg, "acct", "p1", "projcaphost", body).result().properties.provisioning_state == "Succeeded"


def test_a_stuck_host_blocks_the_account_until_it_is_deleted(c: dict[str, Any], rg: str, admin: Any) -> None:
    cs = c["cs"]
    connections = _project_with_connections(c, rg)
    cs.account_capability_hosts.begin_create_or_update(rg, "acct", "caphostacct", raw(caphost_body())).result()
    admin.set_faults({"seed": 0, "rules": [{  # microsoft/microsoft-foundry-for-vscode#488: stuck in Creating
        "method": "PUT", "path": "/capabilityhosts/projcaphost$", "stall_operation": True, "count": 1}]})
    accepted = cs.project_capability_hosts.begin_create_or_update(
        rg, "acct", "p1", "projcaphost", raw(caphost_body(connections)), polling=False).result()
    assert accepted.properties.provisioning_state == "Creating"
    admin.clear_faults()
    stuck = cs.project_capability_hosts.get(rg, "acct", "p1", "projcaphost")
    assert stuck.properties.provisioning_state == "Creating"
    [op] = [o for o in admin.operations() if o["resource"].endswith("/projcaphost")]
    assert op["status"] == "InProgress" and op["stall"] is True
    with pytest.raises(HttpResponseError) as err:  # capability-hosts.md: "currently in non creating"
        cs.project_capability_hosts.begin_create_or_update(
            rg, "acct", "p1", "projcaphost", raw(caphost_body(connections))).result()
    assert err.value.status_code == 409 and "currently in non creating" in str(err.value)
    with pytest.raises(HttpResponseError) as err:
        cs.account_connections.create(rg, "acct", "late", raw({"properties": {"authType": "AAD", "target": "x"}}))
    assert error_code(err.value) == "RequestConflict"
    cs.project_capability_hosts.begin_delete(rg, "acct", "p1", "projcaphost").result()  # the way out
    assert [o["status"] for o in admin.operations() if o["id"] == op["id"]] == ["Canceled"]
    with pytest.raises(ResourceNotFoundError):
        cs.project_capability_hosts.get(rg, "acct", "p1", "projcaphost")
    cs.account_connections.create(rg, "acct", "late", raw({"properties": {"authType": "AAD", "target": "x"}}))
