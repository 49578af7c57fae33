"""Resource groups, user-assigned identities, Log Analytics workspaces, Application Insights components.

Sources: resources.json (2025-04-01: group PUT synchronous, DELETE 202 + Location), ManagedIdentity.json
(2024-11-30: synchronous), Workspaces.json (2025-07-01: soft delete unless force=true; re-creating recovers the
workspace), components_API.json (2020-02-02: synchronous).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from tests.emulator.helpers import log_for, rid, vnet_body

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def test_resource_group_tags_get_list_and_existence(c: dict[str, Any], admin: Any) -> None:
    rm = c["rm"]
    group = rm.resource_groups.create_or_update("rg1", {"location": "East US", "tags": {"env": "dev"}})
    assert (group.location, group.tags) == ("eastus", {"env": "dev"})
    assert group.properties.provisioning_state == "Succeeded"
    assert group.id == rid("rg1")
    rm.resource_groups.create_or_update("rg1", {"location": "eastus", "tags": {"env": "prod", "team": "x"}})
    assert rm.resource_groups.get("rg1").tags == {"env": "prod", "team": "x"}
    assert rm.resource_groups.check_existence("rg1") is True
    assert rm.resource_groups.check_existence("rg2") is False
    rm.resource_groups.create_or_update("rg2", {"location": "westus"})
    assert sorted(g.name for g in rm.resource_groups.list()) == ["rg1", "rg2"]
    assert [e["status"] for e in log_for(admin, "PUT", "/resourcegroups/rg1")] == [201, 200]


def test_resource_group_delete_cascades_to_everything_in_it(c: dict[str, Any], admin: Any) -> None:
    rm, net = c["rm"], c["net"]
    for name in ("rg1", "rg2"):
        rm.resource_groups.create_or_update(name, {"location": "eastus"})
        net.virtual_networks.begin_create_or_update(name, "v1", vnet_body(subnets={"s": "10.0.0.0/24"})).result()
        c["msi"].user_assigned_identities.create_or_update(name, "id1", {"location": "eastus"})
    seen: list[Any] = []
    rm.resource_groups.begin_delete("rg1", raw_response_hook=lambda r: seen.append(r.http_response)).result()
    assert seen[0].status_code == 202 and "Location" in seen[0].headers
    assert rm.resource_groups.check_existence("rg1") is False
    with pytest.raises(ResourceNotFoundError):
        net.subnets.get("rg1", "v1", "s")
    assert {r["id"].split("/")[4] for r in admin.resources()} == {"rg2"}  # the other group is untouched
    assert len(admin.resources()) == 4
    with pytest.raises(ResourceNotFoundError) as err:  # a group that is gone: 404, not 204
        rm.resource_groups.begin_delete("rg1")
    assert err.value.error.code == "ResourceGroupNotFound"


def test_no_writes_into_a_group_that_is_being_deleted(make_emulator: Any, credential: Any) -> None:
    from tests.emulator.helpers import clients

    emu = make_emulator(time_scale=1.0)  # group delete: 20 real seconds
    cl = clients({"base_url": emu.url, "connection_verify": str(emu.ca_cert), "polling_interval": 0.02},
                 credential)
    cl["rm"].resource_groups.create_or_update("rg1", {"location": "eastus"})
    cl["rm"].resource_groups.begin_delete("rg1", polling=False)
    with pytest.raises(HttpResponseError) as err:
        cl["msi"].user_assigned_identities.create_or_update("rg1", "id1", {"location": "eastus"})
    assert err.value.status_code == 409 and err.value.error.code == "ResourceGroupBeingDeleted"


def test_user_assigned_identity(c: dict[str, Any], rg: str) -> None:
    msi = c["msi"]
    ident = msi.user_assigned_identities.create_or_update(rg, "id-app", {"location": "eastus",
                                                                         "tags": {"a": "b"}})
    assert GUID.match(ident.principal_id) and GUID.match(ident.client_id) and GUID.match(ident.tenant_id)
    assert ident.principal_id != ident.client_id
    again = msi.user_assigned_identities.create_or_update(rg, "id-app", {"location": "eastus"})
    assert (again.principal_id, again.client_id) == (ident.principal_id, ident.client_id)  # stable on update
    other = msi.user_assigned_identities.create_or_update(rg, "id-other", {"location": "eastus"})
    assert other.principal_id != ident.principal_id
    assert msi.user_assigned_identities.get(rg, "id-app").tenant_id == ident.tenant_id
    assert sorted(i.name for i in msi.user_assigned_identities.list_by_resource_group(rg)) == ["id-app",
                                                                                            "id-other"]
    assert len(list(msi.user_assigned_identities.list_by_subscription())) == 2
    msi.user_assigned_identities.delete(rg, "id-app")
    with pytest.raises(ResourceNotFoundError):
        msi.user_assigned_identities.get(rg, "id-app")


def test_log_analytics_workspace_customer_id_and_shared_keys(c: dict[str, Any], rg: str) -> None:
    la = c["la"]
    ws = la.workspaces.begin_create_or_update(rg, "law-1", {"location": "eastus",
                                                            "properties": {"retentionInDays": 60}}).result()
    assert ws.provisioning_state == "Succeeded" and GUID.match(ws.customer_id)
    assert ws.retention_in_days == 60 and ws.sku.name == "PerGB2018"
    keys = la.shared_keys.get_shared_keys(rg, "law-1")
    assert keys.primary_shared_key and keys.secondary_shared_key
    assert keys.primary_shared_key != keys.secondary_shared_key
    assert la.shared_keys.get_shared_keys(rg, "law-1").primary_shared_key == keys.primary_shared_key
    assert "primarySharedKey" not in str(la.workspaces.get(rg, "law-1").as_dict())  # never in the resource
    updated = la.workspaces.begin_create_or_update(rg, "law-1", {"location": "eastus"}).result()
    assert updated.customer_id == ws.customer_id
    assert [w.name for w in la.workspaces.list_by_resource_group(rg)] == ["law-1"]
    assert [w.name for w in la.workspaces.list()] == ["law-1"]


def test_log_analytics_soft_delete_and_recovery(c: dict[str, Any], rg: str, admin: Any) -> None:
    la = c["la"]
    ws = la.workspaces.begin_create_or_update(rg, "law-1", {"location": "eastus"}).result()
    la.workspaces.begin_delete(rg, "law-1").result()
    with pytest.raises(ResourceNotFoundError):
        la.workspaces.get(rg, "law-1")
    (deleted,) = admin.deleted()
    assert deleted["kind"] == "loganalytics" and deleted["name"] == "law-1"
    recovered = la.workspaces.begin_create_or_update(rg, "law-1", {"location": "eastus"}).result()
    assert recovered.customer_id == ws.customer_id and admin.deleted() == []
    la.workspaces.begin_delete(rg, "law-1", force=True).result()  # force skips the soft delete
    assert admin.deleted() == []
    fresh = la.workspaces.begin_create_or_update(rg, "law-1", {"location": "eastus"}).result()
    assert fresh.customer_id != ws.customer_id


def test_application_insights_component(c: dict[str, Any], rg: str) -> None:
    la, ai = c["la"], c["ai"]
    ws = la.workspaces.begin_create_or_update(rg, "law-1", {"location": "eastus"}).result()
    body = {"location": "eastus", "kind": "web",
            "properties": {"Application_Type": "web", "WorkspaceResourceId": ws.id}}
    comp = ai.components.create_or_update(rg, "appi-1", body)
    assert uuid.UUID(comp.instrumentation_key)
    assert comp.connection_string.startswith(f"InstrumentationKey={comp.instrumentation_key};")
    assert "IngestionEndpoint=https://" in comp.connection_string
    assert comp.workspace_resource_id == ws.id and comp.provisioning_state == "Succeeded"
    assert ai.components.create_or_update(rg, "appi-1", body).instrumentation_key == comp.instrumentation_key
    assert ai.components.get(rg, "appi-1").connection_string == comp.connection_string
    assert [x.name for x in ai.components.list_by_resource_group(rg)] == ["appi-1"]
    assert [x.name for x in ai.components.list()] == ["appi-1"]
    ai.components.delete(rg, "appi-1")
    with pytest.raises(ResourceNotFoundError):
        ai.components.get(rg, "appi-1")
    missing = {**body, "properties": {"Application_Type": "web",
                                      "WorkspaceResourceId": rid(rg, "Microsoft.OperationalInsights/workspaces/x")}}
    with pytest.raises(HttpResponseError) as err:
        ai.components.create_or_update(rg, "appi-2", missing)
    assert err.value.status_code == 400
