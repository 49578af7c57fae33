"""Container Apps answers as the Azure CLI recording containerapp/test_containerapp_e2e.yaml shows them.

The bodies are the ones `az containerapp env create` and `az containerapp create` sent (nulls included), sent raw
over HTTPS to a non-strict emulator, as the conformance replay does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.rest import HttpRequest

from tests.emulator import gateway_support as gw
from tests.emulator.helpers import rid, wait_until

ENV_VERSION, APP_VERSION = "2022-10-01", "2022-06-01-preview"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, Any]]]:
    from foundry_litellm.emulator import Emulator
    from tests.conftest import FakeCredential

    with Emulator(tmp_path_factory.mktemp("aca-rec"), time_scale=0.01, strict=False) as emu:
        cl = gw.all_clients(gw.sdk_kwargs(emu), FakeCredential())
        cl["rm"].resource_groups.create_or_update(gw.RG, {"location": gw.LOCATION})
        yield emu, cl


def _send(cl: dict[str, Any], method: str, path: str, version: str, body: Any = None) -> Any:
    request = HttpRequest(method, f"{rid(gw.RG, path)}?api-version={version}",
                          content=json.dumps(body).encode() if body is not None else None,
                          headers={"Content-Type": "application/json"})
    return cl["aca"].send_request(request)


def _env(cl: dict[str, Any], name: str) -> Any:
    customer_id, key = gw.workspace(cl)
    return _send(cl, "PUT", f"Microsoft.App/managedEnvironments/{name}", ENV_VERSION, {
        "location": "eastus", "properties": {"appLogsConfiguration": {
            "destination": "log-analytics", "logAnalyticsConfiguration": {"customerId": customer_id, "sharedKey": key}},
            "zoneRedundant": False}})


def _app_body(env_id: str, image: str, name: str, *, scale: Any = None, ingress: Any = None) -> dict[str, Any]:
    # `az containerapp create` (Azure CLI 2.43.0): every unset setting sent as null, "tags": null.
    return {"location": "eastus", "identity": {"type": "None", "userAssignedIdentities": None}, "properties": {
        "managedEnvironmentId": env_id,
        "configuration": {"secrets": None, "activeRevisionsMode": "single", "ingress": ingress, "dapr": None,
                          "registries": None},
        "template": {"revisionSuffix": None, "containers": [{
            "image": image, "name": name, "command": None, "args": None, "env": None, "resources": None,
            "volumeMounts": None}], "initContainers": None, "scale": scale, "volumes": None}}, "tags": None}


def _wait_state(cl: dict[str, Any], path: str, version: str, state: str) -> Any:
    return wait_until(lambda: (b := _send(cl, "GET", path, version).json())["properties"]["provisioningState"]
                      == state and b, timeout=10)


def test_environment_put_answers_201_waiting_with_its_domain_and_static_ip(world: tuple[Any, dict[str, Any]]) -> None:
    cl = world[1]
    response = _env(cl, "env-rec")
    assert response.status_code == 201
    assert "Azure-AsyncOperation" in response.headers and "Location" not in response.headers
    props = response.json()["properties"]
    assert props["provisioningState"] == "Waiting"
    # Known at once without a VNet: the recorded 201 shows both.
    assert props["defaultDomain"].endswith(".eastus.azurecontainerapps.io") and props["staticIp"]
    assert "sharedKey" not in props["appLogsConfiguration"]["logAnalyticsConfiguration"]
    assert set(response.json()["systemData"]) >= {"createdBy", "createdByType", "createdAt", "lastModifiedAt"}
    done = _wait_state(cl, "Microsoft.App/managedEnvironments/env-rec", ENV_VERSION, "Succeeded")
    assert done["properties"]["staticIp"] == props["staticIp"]


def test_app_put_with_nulls_and_null_tags_answers_201_in_progress(world: tuple[Any, dict[str, Any]]) -> None:
    emu, cl = world
    _env(cl, "env-app")
    env = _wait_state(cl, "Microsoft.App/managedEnvironments/env-app", ENV_VERSION, "Succeeded")
    path = "Microsoft.App/containerApps/app-rec"
    image = "mcr.microsoft.com/azuredocs/containerapps-helloworld:latest"
    created = _send(cl, "PUT", path, APP_VERSION, _app_body(env["id"], image, "app-rec"))
    assert created.status_code == 201 and "Azure-AsyncOperation" in created.headers
    props = created.json()["properties"]
    assert props["provisioningState"] == "InProgress"
    assert (props["latestRevisionName"], props["latestRevisionFqdn"]) == ("", "")  # named after the answer
    assert "tags" not in created.json()
    got = _send(cl, "GET", path, APP_VERSION).json()
    first = got["properties"]["latestRevisionName"]
    assert first.startswith("app-rec--")
    # Every setting of the model is shown, null when unset.
    assert got["properties"]["workloadProfileType"] is None and got["properties"]["configuration"]["ingress"] is None
    template = got["properties"]["template"]
    assert template["revisionSuffix"] == "" and template["scale"] == {"minReplicas": None, "maxReplicas": 10,
                                                                      "rules": None}
    assert template["containers"][0]["resources"] == {"cpu": 0.5, "memory": "1Gi", "ephemeralStorage": "2Gi"}
    assert got["properties"]["eventStreamEndpoint"].endswith("/containerApps/app-rec/eventstream")
    assert got["properties"]["customDomainVerificationId"] == \
        env["properties"]["customDomainConfiguration"]["customDomainVerificationId"]
    _wait_state(cl, path, APP_VERSION, "Succeeded")

    # An update answers 201 too, still showing the revision it replaces; GET shows the new one.
    ingress = {"fqdn": None, "external": True, "targetPort": 8080, "transport": "auto", "exposedPort": None,
               "traffic": None, "customDomains": None, "ipSecurityRestrictions": None}
    updated = _send(cl, "PUT", path, APP_VERSION, _app_body(env["id"], "nginx", "app-rec", ingress=ingress))
    assert updated.status_code == 201 and "Azure-AsyncOperation" in updated.headers
    props = updated.json()["properties"]
    assert props["provisioningState"] == "InProgress" and props["latestRevisionName"] == first
    domain = env["properties"]["defaultDomain"]
    assert props["latestRevisionFqdn"] == f"{first}.{domain}"
    assert props["configuration"]["ingress"]["fqdn"] == f"app-rec.{domain}"
    assert props["configuration"]["ingress"]["exposedPort"] == 0
    after = _wait_state(cl, path, APP_VERSION, "Succeeded")["properties"]
    assert after["latestRevisionName"] != first and after["latestRevisionFqdn"] == \
        f"{after['latestRevisionName']}.{domain}"
    # The recording: an update that adds ingress was InProgress at 5 s and Succeeded at 10 s.
    assert set(gw.nominal_seconds(emu, "Microsoft.App/containerApps", "update")) == {8.0}


def test_app_list_shows_the_same_members(world: tuple[Any, dict[str, Any]]) -> None:
    cl = world[1]
    _env(cl, "env-list")
    env = _wait_state(cl, "Microsoft.App/managedEnvironments/env-list", ENV_VERSION, "Succeeded")
    _send(cl, "PUT", "Microsoft.App/containerApps/app-list", APP_VERSION, _app_body(env["id"], "nginx", "app-list"))
    listed = _send(cl, "GET", "Microsoft.App/containerApps", APP_VERSION).json()["value"]
    item = next(a for a in listed if a["name"] == "app-list")
    assert item["systemData"]["createdByType"] == "User" and "maxInactiveRevisions" in \
        item["properties"]["configuration"]


def test_ingress_null_members_are_absent_ones(world: tuple[Any, dict[str, Any]]) -> None:
    cl = world[1]
    _env(cl, "env-ing")
    env = _wait_state(cl, "Microsoft.App/managedEnvironments/env-ing", ENV_VERSION, "Succeeded")
    ingress = {"external": True, "targetPort": 80, "traffic": None, "transport": None}
    answer = _send(cl, "PUT", "Microsoft.App/containerApps/app-ing", APP_VERSION,
                   _app_body(env["id"], "nginx", "app-ing", ingress=ingress, scale={"minReplicas": 2,
                                                                                   "maxReplicas": 4, "rules": []}))
    assert answer.status_code == 201
    got = _wait_state(cl, "Microsoft.App/containerApps/app-ing", APP_VERSION, "Succeeded")["properties"]
    assert got["configuration"]["ingress"]["traffic"] == [{"weight": 100, "latestRevision": True}]
    assert got["template"]["scale"]["minReplicas"] == 2
    # The recorded "1.0Gi" reads back as "1Gi".
    body = _app_body(env["id"], "nginx", "app-ing", ingress=ingress)
    body["properties"]["template"]["containers"][0]["resources"] = {"cpu": 0.5, "memory": "1.0Gi"}
    _send(cl, "PUT", "Microsoft.App/containerApps/app-ing", APP_VERSION, body)
    got = _wait_state(cl, "Microsoft.App/containerApps/app-ing", APP_VERSION, "Succeeded")["properties"]
    assert got["template"]["containers"][0]["resources"]["memory"] == "1Gi"


def test_environment_delete_answers_202_with_location_only(world: tuple[Any, dict[str, Any]]) -> None:
    # Recording containerapp/test_containerapp_env_e2e.yaml (api-version 2022-01-01-preview): "Waiting" on every
    # GET until "Succeeded"; DELETE 202 with Location only and no body, "ScheduledForDelete", then 404 after ~12 s.
    emu, cl = world
    path = "Microsoft.App/managedEnvironments/env-del"
    assert _env(cl, "env-del").status_code == 201
    states = set()
    while (state := _send(cl, "GET", path, "2022-01-01-preview").json()["properties"]["provisioningState"]) \
            != "Succeeded":
        states.add(state)
    assert states <= {"Waiting"}
    deleted = _send(cl, "DELETE", path, "2022-01-01-preview")
    assert deleted.status_code == 202 and not deleted.content
    assert "Location" in deleted.headers and "Azure-AsyncOperation" not in deleted.headers
    assert _send(cl, "GET", path, "2022-01-01-preview").json()["properties"]["provisioningState"] == \
        "ScheduledForDelete"
    wait_until(lambda: _send(cl, "GET", path, "2022-01-01-preview").status_code == 404, timeout=10)
    assert set(gw.nominal_seconds(emu, "Microsoft.App/managedEnvironments", "delete")) == {12.0}
