"""Builders for the gateway-tier tests: a VNet with the reference's subnets, an ACA environment, apps, gateways.

Bodies are written the way the REST API expects them (strict spec validation is on).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.emulator.helpers import SUB, clients, rid

RG = "rg1"
LOCATION = "eastus"
TENANT = "72f988bf-0000-4000-8000-00000000e4a1"  # the emulator's tenant (world.TENANT_ID)
SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"  # Key Vault Secrets User
LITELLM_IMAGE = "ghcr.io/berriai/litellm-database:main-stable"
# name -> (prefix, delegated to Microsoft.App/environments)
SUBNETS = {"aca": ("10.0.0.0/23", True), "aca2": ("10.0.2.0/23", True), "agw": ("10.0.4.0/24", False),
           "pe": ("10.0.5.0/24", False), "plain": ("10.0.6.0/23", False), "small": ("10.0.8.0/28", True),
           "agw-solo": ("10.0.9.0/24", False)}


def all_clients(sdk: dict[str, Any], credential: Any) -> dict[str, Any]:
    from azure.mgmt.appcontainers import ContainerAppsAPIClient
    from azure.mgmt.authorization import AuthorizationManagementClient
    from azure.mgmt.keyvault import KeyVaultManagementClient

    cl = clients(sdk, credential)
    cl["aca"] = ContainerAppsAPIClient(credential, SUB, **sdk)
    cl["auth"] = AuthorizationManagementClient(credential, SUB, **sdk)
    cl["kv"] = KeyVaultManagementClient(credential, SUB, **sdk)
    return cl


def sdk_kwargs(emu: Any) -> dict[str, Any]:
    return {"base_url": emu.url, "connection_verify": str(emu.ca_cert), "polling_interval": 0.02}


@contextmanager
def shared_world(data_dir: Path, *, time_scale: float = 0.002) -> Iterator[tuple[Any, dict[str, Any]]]:
    """An emulator with the network in place, for the tests of one module to share."""
    from foundry_litellm.emulator import Emulator
    from tests.conftest import FakeCredential

    with Emulator(data_dir, time_scale=time_scale) as emu:
        cl = all_clients(sdk_kwargs(emu), FakeCredential())
        network(cl)
        yield emu, cl


def nominal_seconds(emu: Any, type_: str, kind: str) -> list[float]:
    """Nominal durations of the operations of ``type_`` and ``kind`` (create, update, delete)."""
    scale = emu.config.time_scale
    return [round((op["due"] - op["start"]) / scale, 3) for op in emu.admin.operations()
            if op["type"] == type_ and op["kind"] == kind]


def subnet_id(name: str) -> str:
    return rid(RG, f"Microsoft.Network/virtualNetworks/vnet/subnets/{name}")


def network(cl: dict[str, Any]) -> None:
    """The resource group and a VNet with the subnets of ``SUBNETS``."""
    cl["rm"].resource_groups.create_or_update(RG, {"location": LOCATION})
    subnets = []
    for name, (prefix, delegated) in SUBNETS.items():
        props: dict[str, Any] = {"addressPrefix": prefix}
        if delegated:
            props["delegations"] = [{"name": "aca", "properties": {"serviceName": "Microsoft.App/environments"}}]
        subnets.append({"name": name, "properties": props})
    cl["net"].virtual_networks.begin_create_or_update(RG, "vnet", {
        "location": LOCATION, "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                                             "subnets": subnets}}).result()


def workspace(cl: dict[str, Any], name: str = "logs", **props: Any) -> tuple[str, str]:
    """A Log Analytics workspace: (customer id, primary shared key); an existing one is reused."""
    from azure.core.exceptions import ResourceNotFoundError

    if not props:
        try:
            ws = cl["la"].workspaces.get(RG, name)
            return ws.customer_id, cl["la"].shared_keys.get_shared_keys(RG, name).primary_shared_key
        except ResourceNotFoundError:
            pass
    ws = cl["la"].workspaces.begin_create_or_update(RG, name, {"location": LOCATION, "properties": props}).result()
    return ws.customer_id, cl["la"].shared_keys.get_shared_keys(RG, name).primary_shared_key


def environment_body(customer_id: str, key: str, *, subnet: str | None = "aca", internal: bool = True,
                     workload_profiles: bool = True) -> dict[str, Any]:
    props: dict[str, Any] = {"appLogsConfiguration": {"destination": "log-analytics", "logAnalyticsConfiguration": {
        "customerId": customer_id, "sharedKey": key}}}
    if workload_profiles:
        props["workloadProfiles"] = [{"name": "Consumption", "workloadProfileType": "Consumption"}]
    if subnet is not None:
        props["vnetConfiguration"] = {"internal": internal, "infrastructureSubnetId": subnet_id(subnet)}
    return {"location": LOCATION, "properties": props}


def environment(cl: dict[str, Any], name: str = "env1", **options: Any) -> Any:
    customer_id, key = workspace(cl)
    return cl["aca"].managed_environments.begin_create_or_update(
        RG, name, environment_body(customer_id, key, **options)).result()


def identity(cl: dict[str, Any], name: str = "app-id") -> Any:
    return cl["msi"].user_assigned_identities.create_or_update(RG, name, {"location": LOCATION})


def container(image: str = LITELLM_IMAGE, cpu: float = 1.0, memory: str = "2Gi", **extra: Any) -> dict[str, Any]:
    return {"name": "main", "image": image, "resources": {"cpu": cpu, "memory": memory}, **extra}


def app_body(env_id: str, *, containers: list[dict[str, Any]] | None = None, secrets: list[dict[str, Any]] | None
             = None, identity_id: str | None = None, target_port: int = 4000, **template: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"location": LOCATION, "properties": {
        "environmentId": env_id, "workloadProfileName": "Consumption",
        "configuration": {"activeRevisionsMode": "Single", "secrets": secrets or [],
                          "ingress": {"external": True, "targetPort": target_port, "transport": "auto"}},
        "template": {"containers": containers or [container()], "scale": {"minReplicas": 1, "maxReplicas": 1},
                     **template}}}
    if identity_id:
        body["identity"] = {"type": "UserAssigned", "userAssignedIdentities": {identity_id: {}}}
    return body


def vault(cl: dict[str, Any], name: str, secret: str, **props: Any) -> str:
    """A vault (RBAC authorization) holding one secret; returns the secret's URL."""
    cl["kv"].vaults.begin_create_or_update(RG, name, {"location": LOCATION, "properties": {
        "tenantId": TENANT, "sku": {"family": "A", "name": "standard"}, "accessPolicies": [], **props}}).result()
    cl["kv"].secrets.create_or_update(RG, name, secret, {"properties": {"value": "sk-1234567890"}})
    return f"https://{name}.vault.azure.net/secrets/{secret}"


def grant_secrets_user(cl: dict[str, Any], scope: str, principal_id: str, name: str) -> None:
    cl["auth"].role_assignments.create(scope, name, {"properties": {
        "roleDefinitionId": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{SECRETS_USER}",
        "principalId": principal_id, "principalType": "ServicePrincipal"}})


def public_ip(cl: dict[str, Any], name: str = "agw-ip", sku: str = "Standard") -> str:
    method = "Static"
    cl["net"].public_ip_addresses.begin_create_or_update(RG, name, {
        "location": LOCATION, "sku": {"name": sku}, "properties": {"publicIPAllocationMethod": method}}).result()
    return rid(RG, f"Microsoft.Network/publicIPAddresses/{name}")


def agw_id(name: str = "agw") -> str:
    return rid(RG, f"Microsoft.Network/applicationGateways/{name}")


def sub(collection: str, name: str, gateway: str = "agw") -> dict[str, str]:
    return {"id": f"{agw_id(gateway)}/{collection}/{name}"}


def gateway_body(pip_id: str, backends: dict[str, str], *, probes: dict[str, dict[str, Any]] | None = None,
                 settings: dict[str, dict[str, Any]] | None = None, rules: list[tuple[str, str, str]] | None = None,
                 subnet: str = "agw", sku: str = "Standard_v2", name: str = "agw") -> dict[str, Any]:
    """A v2 gateway with one HTTP listener per rule (ports 80, 8080, 8081, ...).

    ``backends``: pool -> FQDN; ``settings``: name -> properties (default: HTTPS 443, host from the backend);
    ``rules``: (pool, settings, name) triples, one listener each; ``name`` is the gateway's.
    """

    def sub_(collection: str, item: str) -> dict[str, str]:
        return sub(collection, item, name)

    settings = settings or {"https": {"port": 443, "protocol": "Https", "pickHostNameFromBackendAddress": True,
                                      "requestTimeout": 30, "cookieBasedAffinity": "Disabled"}}
    rules = rules or [(next(iter(backends)), next(iter(settings)), "rule1")]
    ports = [80] + [8080 + i for i in range(len(rules) - 1)]
    return {"location": LOCATION, "properties": {
        "sku": {"name": sku, "tier": sku, "capacity": 1},
        "gatewayIPConfigurations": [{"name": "ipconfig", "properties": {"subnet": {"id": subnet_id(subnet)}}}],
        "frontendIPConfigurations": [{"name": "public", "properties": {"publicIPAddress": {"id": pip_id}}}],
        "frontendPorts": [{"name": f"port{p}", "properties": {"port": p}} for p in ports],
        "backendAddressPools": [{"name": n, "properties": {"backendAddresses": [{"fqdn": f}]}}
                                for n, f in backends.items()],
        "backendHttpSettingsCollection": [{"name": n, "properties": p} for n, p in settings.items()],
        "probes": [{"name": n, "properties": p} for n, p in (probes or {}).items()],
        "httpListeners": [{"name": f"listener-{rule}", "properties": {
            "frontendIPConfiguration": sub_("frontendIPConfigurations", "public"),
            "frontendPort": sub_("frontendPorts", f"port{port}"), "protocol": "Http"}}
            for (_, _, rule), port in zip(rules, ports, strict=True)],
        "requestRoutingRules": [{"name": rule, "properties": {
            "ruleType": "Basic", "priority": 100 + i, "httpListener": sub_("httpListeners", f"listener-{rule}"),
            "backendAddressPool": sub_("backendAddressPools", pool),
            "backendHttpSettings": sub_("backendHttpSettingsCollection", setting)}}
            for i, (pool, setting, rule) in enumerate(rules)],
    }}


def probe(path: str = "/health/liveliness", **extra: Any) -> dict[str, Any]:
    return {"protocol": "Https", "path": path, "interval": 30, "timeout": 30, "unhealthyThreshold": 3,
            "pickHostNameFromBackendHttpSettings": True, **extra}
