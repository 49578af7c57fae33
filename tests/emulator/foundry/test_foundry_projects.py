"""Foundry projects and connections, and the way writes under one account serialize."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from tests.emulator.foundry_support import (
    LOCATION,
    account_body,
    connection_body,
    create_account,
    error_code,
    foundry_clients,
    identity,
    project_body,
    raw,
)
from tests.emulator.helpers import log_for, wait_until

MODEL_DISCOVERY = '{"listModelsEndpoint":"/v1/models","deploymentProvider":"OpenAI"}'


@pytest.fixture
def slow(make_emulator: Any, credential: Any) -> dict[str, Any]:
    """Clients on an emulator ten times slower than the default one: a project create lasts 0.8 s, long enough to
    race other writes against it deterministically."""
    emu = make_emulator(time_scale=0.02)
    cl = foundry_clients({"base_url": emu.url, "connection_verify": str(emu.ca_cert), "polling_interval": 0.05},
                         credential)
    cl["rm"].resource_groups.create_or_update("rg1", {"location": LOCATION})
    return cl


def test_project_gets_an_internal_id_endpoints_and_becomes_the_default(c: dict[str, Any], rg: str) -> None:
    cs = c["cs"]
    create_account(c, rg, "acct")
    uami = identity(c, rg, "id-project-1")
    project = cs.projects.begin_create(rg, "acct", "ai-project-1", raw(project_body(uami.id))).result()
    props = project.properties
    assert props.provisioning_state == "Succeeded" and props.display_name == "AI Project 1"
    # internalId is on the wire (the reference reads it, reference-inventory §1.9) but not in the 2025-09-01 model.
    assert re.fullmatch(r"[0-9a-f]{32}", props.additional_properties["internalId"])
    assert props.endpoints == {"AI Foundry API": "https://acct.services.ai.azure.com/api/projects/ai-project-1"}
    assert project.name == "acct/ai-project-1"  # recording test_project_connections_from_file.yaml
    assert props.is_default is True and uami.id in project.identity.user_assigned_identities
    cs.projects.begin_create(rg, "acct", "ai-project-2", raw(project_body(i=2))).result()
    assert cs.projects.get(rg, "acct", "ai-project-2").properties.is_default is False
    account = cs.accounts.get(rg, "acct").properties
    assert account.default_project == "ai-project-1"
    assert account.associated_projects == ["ai-project-1", "ai-project-2"]
    assert sorted(p.name for p in cs.projects.list(rg, "acct")) == ["acct/ai-project-1", "acct/ai-project-2"]
    updated = cs.projects.begin_update(rg, "acct", "ai-project-2",
                                       raw({"properties": {"description": "changed"}})).result()
    assert updated.properties.description == "changed"
    internal = cs.projects.get(rg, "acct", "ai-project-2").properties.additional_properties["internalId"]
    assert updated.properties.additional_properties["internalId"] == internal


def test_projects_need_project_management_on_the_account(c: dict[str, Any], rg: str) -> None:
    create_account(c, rg, "plain", project_management=False)
    with pytest.raises(HttpResponseError) as err:
        c["cs"].projects.begin_create(rg, "plain", "p1", raw(project_body())).result()
    assert err.value.status_code == 400


def test_an_account_with_projects_cannot_be_deleted_but_its_group_can(c: dict[str, Any], rg: str) -> None:
    cs = c["cs"]
    create_account(c, rg, "acct")
    cs.projects.begin_create(rg, "acct", "p1", raw(project_body())).result()
    with pytest.raises(HttpResponseError) as err:  # Azure/terraform-provider-azapi#894
        cs.accounts.begin_delete(rg, "acct").result()
    assert err.value.status_code == 409 and error_code(err.value) == "CannotDeleteResource"
    assert "accounts/acct/projects/p1" in str(err.value)
    cs.projects.begin_delete(rg, "acct", "p1").result()
    assert cs.accounts.get(rg, "acct").properties.associated_projects == []
    cs.projects.begin_create(rg, "acct", "p2", raw(project_body())).result()
    c["rm"].resource_groups.begin_delete(rg).result()  # ARM removes nested projects itself
    assert [d.name for d in cs.deleted_accounts.list()] == ["acct"]


def test_connections_are_synchronous_and_never_return_credentials(c: dict[str, Any], rg: str, emulator: Any,
                                                                  admin: Any) -> None:
    cs = c["cs"]
    create_account(c, rg, "acct")
    cs.projects.begin_create(rg, "acct", "p1", raw(project_body())).result()
    gateway = connection_body("ModelGateway", "https://aca-litellm.example.net", key="sk-master",
                              deploymentInPath="false", modelDiscovery=MODEL_DISCOVERY)
    gateway["properties"]["isSharedToAll"] = True
    created = cs.account_connections.create(rg, "acct", "model-gateway-litellm", raw(gateway))
    assert created.properties.category == "ModelGateway"  # not in the 14.1.0 enum, still accepted
    assert created.properties.metadata["modelDiscovery"] == MODEL_DISCOVERY
    put = log_for(admin, "PUT", "/connections/model-gateway-litellm")[-1]
    assert put["status"] == 200  # the spec knows 200 only
    got = cs.account_connections.get(rg, "acct", "model-gateway-litellm")
    assert got.properties.auth_type == "ApiKey" and getattr(got.properties, "credentials", None) is None
    assert "sk-master" not in str(got.as_dict())
    cs.account_connections.update(rg, "acct", "model-gateway-litellm",
                                  raw({"properties": {"authType": "ApiKey", "target": "https://new.example.net"}}))
    again = cs.account_connections.get(rg, "acct", "model-gateway-litellm")
    assert again.properties.target == "https://new.example.net" and "sk-master" not in str(again.as_dict())
    world = emulator._server.app.world
    with world.store.lock:
        assert world.get(again.id)["internal"]["properties.credentials"] == {"key": "sk-master"}  # kept, hidden

    cosmos = connection_body("CosmosDb", "https://c.documents.azure.com:443/", ResourceId="/x", location=LOCATION)
    cs.project_connections.create(rg, "acct", "p1", "applicationInsights-for-ai-project-1", raw(cosmos))
    assert [x.name for x in cs.project_connections.list(rg, "acct", "p1")] == ["applicationInsights-for-ai-project-1"]
    assert [x.name for x in cs.account_connections.list(rg, "acct")] == ["model-gateway-litellm"]
    cs.projects.begin_create(rg, "acct", "p2", raw(project_body(i=2))).result()
    with pytest.raises(HttpResponseError) as err:  # names are registered account-wide (foundry-samples#263)
        cs.project_connections.create(rg, "acct", "p2", "applicationInsights-for-ai-project-1", raw(cosmos))
    assert err.value.status_code == 409
    cs.project_connections.delete(rg, "acct", "p1", "applicationInsights-for-ai-project-1")
    with pytest.raises(ResourceNotFoundError):
        cs.project_connections.get(rg, "acct", "p1", "applicationInsights-for-ai-project-1")


def test_writes_under_one_account_conflict_while_one_runs(make_emulator: Any, credential: Any) -> None:
    """A project's PUT is answered only when done (recording test_project_connections_from_file.yaml: 201
    Succeeded after some 8 s); meanwhile other writes under the account conflict. At time scale 1 the answer is
    held long enough to race them; the operations are then released."""
    emu = make_emulator(time_scale=1.0)
    c = foundry_clients({"base_url": emu.url, "connection_verify": str(emu.ca_cert), "polling_interval": 0.05},
                        credential)
    rg, cs = "rg1", c["cs"]
    c["rm"].resource_groups.create_or_update(rg, {"location": LOCATION})
    account = cs.accounts.begin_create(rg, "acct", raw(account_body(identity(c, rg).id, "acct")))
    emu.admin.release_operations()
    account.result()
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(lambda: cs.projects.begin_create(rg, "acct", "p1", raw(project_body())).result())
        wait_until(lambda: any(op["resource"].lower().endswith("/projects/p1") and op["status"] == "InProgress"
                               for op in emu.admin.operations()), timeout=30)
        with pytest.raises(HttpResponseError) as err:  # Azure/bicep#11211, Azure/azure-dev#9398
            cs.projects.begin_create(rg, "acct", "p2", raw(project_body(i=2))).result()
        assert err.value.status_code == 409 and error_code(err.value) == "RequestConflict"
        assert "Another operation is being performed on the parent resource" in str(err.value)
        with pytest.raises(HttpResponseError) as err:
            cs.account_connections.create(rg, "acct", "conn1", raw(connection_body("AzureOpenAI", "https://x")))
        assert error_code(err.value) == "RequestConflict"
        with pytest.raises(HttpResponseError) as err:  # Azure/bicep-types-az#2419
            cs.accounts.begin_update(rg, "acct", raw({"tags": {"a": "b"}})).result()
        assert err.value.status_code == 409 and "provisioning state is not terminal" in str(err.value)
        assert not running.done()  # the first project's answer is still held
        emu.admin.release_operations()
        assert running.result(timeout=60).properties.provisioning_state == "Succeeded"
    cs.projects.begin_create(rg, "acct", "p2", raw(project_body(i=2))).result()
    cs.account_connections.create(rg, "acct", "conn1", raw(connection_body("AzureOpenAI", "https://x")))


def test_a_project_before_its_account_finishes_is_refused(slow: dict[str, Any]) -> None:
    c, rg = slow, "rg1"
    ident = identity(c, rg)
    creating = c["cs"].accounts.begin_create(rg, "acct", raw(account_body(ident.id, "acct")))
    with pytest.raises(HttpResponseError) as err:  # microsoft/microsoft-foundry-for-vscode#116
        c["cs"].projects.begin_create(rg, "acct", "p1", raw(project_body())).result()
    assert err.value.status_code == 400 and "Parent account does not provision correctly" in str(err.value)
    creating.result()
    c["cs"].projects.begin_create(rg, "acct", "p1", raw(project_body())).result()
