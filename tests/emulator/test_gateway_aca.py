"""Container Apps environments and apps through azure-mgmt-appcontainers.

Azure behaviour cited: subnet rules (MicrosoftDocs/azure-docs PR #119379, kommodity-io/kommodity PR #439,
pulumi/pulumi-azure-native#3244, microsoft/azure-container-apps#425), the subnet held after deletion
(azure-container-apps#974), "Delete a Managed Environment if it does not have any container apps"
(ManagedEnvironments.json), Log Analytics errors (azure-container-apps#990, Azure/azure-cli#27098), revisions
(Learn "revisions"), Key Vault references (azure-container-apps#1159), CPU/memory totals
(Azure/bicep-types-az#1924), probe ranges (azure-container-apps#1100).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from tests.emulator import gateway_support as gw
from tests.emulator.helpers import wait_until


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, Any], Any]]:
    """One emulator for the module: the network and an internal workload-profiles environment on "aca"."""
    data_dir: Path = tmp_path_factory.mktemp("aca")
    with gw.shared_world(data_dir) as (emu, clients):
        yield emu, clients, gw.environment(clients)


@pytest.fixture
def cl(shared: tuple[Any, dict[str, Any], Any]) -> dict[str, Any]:
    return shared[1]


@pytest.fixture
def env(shared: tuple[Any, dict[str, Any], Any]) -> Any:
    return shared[2]


def _code(exc: pytest.ExceptionInfo[HttpResponseError]) -> str:
    return str(exc.value.error.code) if exc.value.error else ""


def test_environment_in_a_delegated_subnet_holds_it_until_released(emulator: Any, sdk: dict[str, Any],
                                                                   credential: Any) -> None:
    cl = gw.all_clients(sdk, credential)
    gw.network(cl)
    env = gw.environment(cl)
    assert env.provisioning_state == "Succeeded"
    assert re.fullmatch(r"[a-z]+-[0-9a-f]{8}\.eastus\.azurecontainerapps\.io", env.default_domain)
    # An internal environment's load balancer takes an address of its subnet.
    assert ipaddress.ip_address(env.static_ip) in ipaddress.ip_network("10.0.0.0/23")
    assert env.infrastructure_resource_group == "ME_env1_rg1_eastus"
    subnet = cl["net"].subnets.get(gw.RG, "vnet", "aca")
    assert [link.linked_resource_type for link in subnet.service_association_links] == ["Microsoft.App/environments"]
    with pytest.raises(HttpResponseError) as exc:
        cl["net"].subnets.begin_delete(gw.RG, "vnet", "aca").result()
    assert _code(exc) == "InUseSubnetCannotBeDeleted"

    cl["aca"].managed_environments.begin_delete(gw.RG, "env1").result()
    # The link outlives the environment for a while (azure-container-apps#974).
    assert cl["net"].subnets.get(gw.RG, "vnet", "aca").service_association_links
    wait_until(lambda: not cl["net"].subnets.get(gw.RG, "vnet", "aca").service_association_links, 5)
    cl["net"].subnets.begin_delete(gw.RG, "vnet", "aca").result()
    # Peers §4: ~4.5 min to create in a VNet, deletes of 5-13 min (azure-container-apps#430).
    assert gw.nominal_seconds(emulator, "Microsoft.App/managedEnvironments", "create") == [270.0]
    assert gw.nominal_seconds(emulator, "Microsoft.App/managedEnvironments", "delete") == [300.0]


@pytest.mark.parametrize(("options", "code", "words"), [
    ({"subnet": "plain"}, "ManagedEnvironmentSubnetDelegationError", "must be delegated"),
    ({"subnet": "aca2", "workload_profiles": False, "internal": False},
     "ManagedEnvironmentV1SubnetDelegationNotAllowed", "must not have delegations"),
    ({"subnet": "small"}, "ManagedEnvironmentInvalidNetworkConfiguration", "at least /27"),
    ({"subnet": "missing"}, "ManagedEnvironmentInvalidNetworkConfiguration", "could not be found"),
    ({"subnet": "aca"}, "ManagedEnvironmentInvalidNetworkConfiguration", "already used"),  # held by the shared env
])
def test_environment_subnet_rules(cl: dict[str, Any], options: dict[str, Any], code: str, words: str) -> None:
    customer_id, key = gw.workspace(cl)
    with pytest.raises(HttpResponseError) as exc:
        cl["aca"].managed_environments.begin_create_or_update(
            gw.RG, "env-refused", gw.environment_body(customer_id, key, **options)).result()
    assert _code(exc) == code
    assert words in str(exc.value)


def test_environment_needs_a_subnet_with_a_single_address_prefix(cl: dict[str, Any]) -> None:
    # pulumi/pulumi-azure-native#3244: a subnet created with addressPrefixes is "not found".
    cl["net"].subnets.begin_create_or_update(gw.RG, "vnet", "plural", {"properties": {
        "addressPrefixes": ["10.0.10.0/23"], "delegations": [
            {"name": "aca", "properties": {"serviceName": "Microsoft.App/environments"}}]}}).result()
    customer_id, key = gw.workspace(cl)
    with pytest.raises(HttpResponseError) as exc:
        cl["aca"].managed_environments.begin_create_or_update(
            gw.RG, "env-plural", gw.environment_body(customer_id, key, subnet="plural")).result()
    assert "The subnet and its addressPrefix could not be found" in str(exc.value)


def test_environment_log_analytics_rules(cl: dict[str, Any]) -> None:
    customer_id, key = gw.workspace(cl)
    create = cl["aca"].managed_environments.begin_create_or_update
    with pytest.raises(HttpResponseError) as exc:
        create(gw.RG, "env-logs", gw.environment_body("not-a-guid", key, subnet=None)).result()
    assert "CustomerId must be a GUID" in str(exc.value)
    # A key must be given (azure-container-apps#990, #314)...
    without_key = gw.environment_body(customer_id, "", subnet=None)
    del without_key["properties"]["appLogsConfiguration"]["logAnalyticsConfiguration"]["sharedKey"]
    with pytest.raises(HttpResponseError) as exc:
        create(gw.RG, "env-logs", without_key).result()
    assert _code(exc) == "InvalidRequestParameterWithDetails"
    # ...but its value is not checked against the workspace: a wrong one only loses the logs
    # (azure-container-apps#185).
    assert create(gw.RG, "env-logs-wrong-key", gw.environment_body(customer_id, "wrong-key", subnet=None)).result() \
        .provisioning_state == "Succeeded"
    # A workspace that disables local auth refuses the shared key (reference-inventory §1.12).
    locked_id, locked_key = gw.workspace(cl, "locked", features={"disableLocalAuth": True})
    with pytest.raises(HttpResponseError):
        create(gw.RG, "env-logs", gw.environment_body(locked_id, locked_key, subnet=None)).result()
    env = create(gw.RG, "env-logs", gw.environment_body(customer_id, key, subnet=None)).result()
    assert env.app_logs_configuration.log_analytics_configuration.customer_id == customer_id
    assert env.app_logs_configuration.log_analytics_configuration.shared_key is None  # write-only


def test_environment_with_apps_is_not_deleted(cl: dict[str, Any]) -> None:
    env = gw.environment(cl, "env-apps", subnet=None)
    cl["aca"].container_apps.begin_create_or_update(gw.RG, "app-blocks", gw.app_body(env.id)).result()
    with pytest.raises(HttpResponseError) as exc:
        cl["aca"].managed_environments.begin_delete(gw.RG, "env-apps").result()
    assert _code(exc) == "ManagedEnvironmentHasContainerApps"
    cl["aca"].container_apps.begin_delete(gw.RG, "app-blocks").result()
    cl["aca"].managed_environments.begin_delete(gw.RG, "env-apps").result()


def test_concurrent_environment_writes_are_refused(cl: dict[str, Any]) -> None:
    customer_id, key = gw.workspace(cl)
    body = gw.environment_body(customer_id, key, subnet=None)
    envs = cl["aca"].managed_environments
    envs.begin_create_or_update(gw.RG, "env-busy", body).result()
    body["tags"] = {"step": "1"}
    envs.begin_create_or_update(gw.RG, "env-busy", body, polling=False)
    with pytest.raises(HttpResponseError) as exc:
        envs.begin_create_or_update(gw.RG, "env-busy", body).result()
    assert exc.value.status_code == 409
    assert _code(exc) == "ManagedEnvironmentOperationInProgress"  # azure-container-apps#1112


def test_durations_without_a_vnet_and_of_apps(shared: tuple[Any, dict[str, Any], Any], cl: dict[str, Any]) -> None:
    gw.environment(cl, "env-plain", subnet=None)
    # Recordings containerapp/test_containerapp_env_e2e.yaml (environment Succeeded at 49-51 s without a VNet) and
    # test_containerapp_e2e.yaml (an app Succeeded at 10-14 s).
    assert 50.0 in gw.nominal_seconds(shared[0], "Microsoft.App/managedEnvironments", "create")
    assert set(gw.nominal_seconds(shared[0], "Microsoft.App/containerApps", "create")) <= {12.0}


def test_app_needs_a_provisioned_environment(cl: dict[str, Any]) -> None:
    customer_id, key = gw.workspace(cl)
    poller = cl["aca"].managed_environments.begin_create_or_update(
        gw.RG, "env-young", gw.environment_body(customer_id, key, subnet=None))
    env_id = gw.rid(gw.RG, "Microsoft.App/managedEnvironments/env-young")
    with pytest.raises(HttpResponseError) as exc:
        cl["aca"].container_apps.begin_create_or_update(gw.RG, "app-early", gw.app_body(env_id)).result()
    assert _code(exc) == "ManagedEnvironmentNotProvisioned"
    assert poller.result().static_ip  # without a VNet known from the PUT on (recording containerapp_e2e)


def test_app_ingress_fqdn_and_write_only_secrets(cl: dict[str, Any], env: Any) -> None:
    body = gw.app_body(env.id, secrets=[{"name": "master-key", "value": "sk-secret"}])
    app = cl["aca"].container_apps.begin_create_or_update(gw.RG, "litellm-a", body).result()
    assert app.configuration.ingress.fqdn == f"litellm-a.{env.default_domain}"
    assert re.fullmatch(r"litellm-a--[a-z0-9]{7}", app.latest_revision_name)
    assert app.latest_revision_fqdn == f"{app.latest_revision_name}.{env.default_domain}"
    assert (app.provisioning_state, app.running_status) == ("Succeeded", "Running")
    assert app.latest_ready_revision_name == app.latest_revision_name
    got = cl["aca"].container_apps.get(gw.RG, "litellm-a")
    assert [(s.name, s.value) for s in got.configuration.secrets] == [("master-key", None)]
    listed = cl["aca"].container_apps.list_secrets(gw.RG, "litellm-a")
    assert [(s.name, s.value) for s in listed.value] == [("master-key", "sk-secret")]


def test_new_revision_on_template_changes_only(cl: dict[str, Any], env: Any) -> None:
    apps = cl["aca"].container_apps
    body = gw.app_body(env.id, secrets=[{"name": "master-key", "value": "sk-secret"}])
    first = apps.begin_create_or_update(gw.RG, "litellm-r", body).result().latest_revision_name
    body["properties"]["configuration"]["ingress"]["targetPort"] = 8080  # application scope
    assert apps.begin_create_or_update(gw.RG, "litellm-r", body).result().latest_revision_name == first
    body["properties"]["template"]["containers"][0]["image"] = "ghcr.io/berriai/litellm-database:v1.80.0"
    second = apps.begin_create_or_update(gw.RG, "litellm-r", body).result().latest_revision_name
    assert second != first and second.startswith("litellm-r--")
    # A PATCH that does not restate the secrets keeps their values.
    apps.begin_update(gw.RG, "litellm-r", {"tags": {"owner": "me"}}).result()
    assert [s.value for s in apps.list_secrets(gw.RG, "litellm-r").value] == ["sk-secret"]


@pytest.mark.parametrize(("change", "code"), [
    ({"containers": [gw.container(cpu=1.0, memory="1Gi")]}, "ContainerAppInvalidResourceTotal"),
    ({"containers": [gw.container(cpu=4.5, memory="9Gi")]}, "ContainerAppInvalidResourceTotal"),
    ({"containers": [gw.container(probes=[{"type": "Startup", "httpGet": {"path": "/health/readiness",
                                                                           "port": 4000}, "failureThreshold": 31}])]},
     "ContainerAppProbeFailureThresholdOutOfRange"),
    ({"containers": [gw.container(env=[{"name": "KEY", "secretRef": "nope"}])]}, "ContainerAppSecretRefNotFound"),
    ({"volumes": [{"name": "secrets", "storageType": "Secret", "secrets": [{"secretRef": "nope", "path": "k"}]}]},
     "ContainerAppSecretRefNotFound"),
    ({"secrets": [{"name": "Master_Key", "value": "x"}]}, "ContainerAppInvalidSecretName"),
    ({"secrets": [{"name": "master-key"}]}, "ContainerAppSecretInvalid"),
    ({"workloadProfileName": "D4"}, "InvalidParameterValueInContainerTemplate"),
])
def test_app_validation(cl: dict[str, Any], env: Any, change: dict[str, Any], code: str) -> None:
    body = gw.app_body(env.id)
    props = body["properties"]
    for key, value in change.items():
        if key == "secrets":
            props["configuration"]["secrets"] = value
        elif key == "workloadProfileName":
            props[key] = value
        else:
            props["template"][key] = value
    with pytest.raises(HttpResponseError) as exc:
        cl["aca"].container_apps.begin_create_or_update(gw.RG, "app-refused", body).result()
    assert _code(exc) == code


def test_litellm_sized_app_with_init_container_and_secret_volume(cl: dict[str, Any], env: Any) -> None:
    # reference-inventory §1.13: 1.0/2Gi plus a 0.25/0.5Gi init container add up to an allowed combination.
    body = gw.app_body(env.id, secrets=[{"name": "master-key", "value": "sk-1"}],
                       initContainers=[gw.container("alpine:latest", 0.25, "0.5Gi") | {"name": "init"}],
                       volumes=[{"name": "secrets", "storageType": "Secret",
                                 "secrets": [{"secretRef": "master-key", "path": "master-key"}]}])
    body["properties"]["template"]["containers"][0]["volumeMounts"] = [{"volumeName": "secrets",
                                                                         "mountPath": "/run/secrets"}]
    assert cl["aca"].container_apps.begin_create_or_update(gw.RG, "app-sized", body).result().provisioning_state \
        == "Succeeded"


def test_key_vault_reference_needs_a_propagated_role(cl: dict[str, Any], env: Any) -> None:
    uami = gw.identity(cl)
    url = gw.vault(cl, "kv-gateway1", "master-key")
    secret = {"name": "master-key", "keyVaultUrl": url, "identity": uami.id}
    body = gw.app_body(env.id, secrets=[secret], identity_id=uami.id)
    create = cl["aca"].container_apps.begin_create_or_update
    with pytest.raises(HttpResponseError) as exc:
        create(gw.RG, "litellm-kv", body).result()
    assert _code(exc) == "InvalidParameterValueInContainerTemplate"
    assert "unable to fetch secret 'master-key'" in str(exc.value)
    vault_id = gw.rid(gw.RG, "Microsoft.KeyVault/vaults/kv-gateway1")
    gw.grant_secrets_user(cl, vault_id, uami.principal_id, "1b2e3c4d-0000-4000-8000-000000000001")
    with pytest.raises(HttpResponseError):  # the new assignment has not propagated yet (§6 item 22)
        create(gw.RG, "litellm-kv", body).result()
    app = wait_until(lambda: _try(lambda: create(gw.RG, "litellm-kv", body).result()), 5)
    assert [(s.name, s.key_vault_url, s.value) for s in app.configuration.secrets] == [("master-key", url, None)]


def _try(action: Any) -> Any:
    try:
        return action()
    except HttpResponseError:
        return None
