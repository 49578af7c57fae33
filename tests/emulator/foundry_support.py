"""What the Foundry-tier emulator tests share: clients, request bodies (exact JSON, as the REST API expects them)
and the network, identity and account set-up most of them start from."""

from __future__ import annotations

import json
from typing import Any

from tests.emulator.helpers import SUB, rid, vnet_body

APP_ENV = "Microsoft.App/environments"
LOCATION = "eastus"


def raw(body: dict[str, Any]) -> bytes:
    """msrest-style clients (cognitiveservices 14.1.0) take exact JSON as bytes."""
    return json.dumps(body).encode()


def foundry_clients(sdk: dict[str, Any], credential: Any, **extra: Any) -> dict[str, Any]:
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
    from azure.mgmt.cosmosdb import CosmosDBManagementClient
    from azure.mgmt.msi import ManagedServiceIdentityClient
    from azure.mgmt.network import NetworkManagementClient
    from azure.mgmt.resource.resources import ResourceManagementClient

    kw = {**sdk, **extra}
    return {
        "rm": ResourceManagementClient(credential, SUB, **kw),
        "net": NetworkManagementClient(credential, SUB, **kw),
        "msi": ManagedServiceIdentityClient(credential, SUB, **kw),
        "cs": CognitiveServicesManagementClient(credential, SUB, **kw),
        "cosmos": CosmosDBManagementClient(credential, SUB, **kw),
    }


def agent_network(c: dict[str, Any], rg: str, *, delegation: str | None = APP_ENV, vnet: str = "vnet1") -> str:
    """A VNet whose ``agent`` subnet is delegated to ``delegation`` (or to nothing); the subnet's id."""
    body = vnet_body("192.168.0.0/16", {"agent": "192.168.0.0/24", "pe": "192.168.1.0/24"})
    if delegation:
        body["properties"]["subnets"][0]["properties"]["delegations"] = [
            {"name": "aca", "properties": {"serviceName": delegation}}]
    c["net"].virtual_networks.begin_create_or_update(rg, vnet, body).result()
    return rid(rg, f"Microsoft.Network/virtualNetworks/{vnet}/subnets/agent")


def identity(c: dict[str, Any], rg: str, name: str = "id-foundry") -> Any:
    return c["msi"].user_assigned_identities.create_or_update(rg, name, {"location": LOCATION})


def account_body(identity_id: str, subdomain: str, *, subnet_id: str | None = None,
                 project_management: bool = True, **props: Any) -> dict[str, Any]:
    """A Foundry account as the reference declares it (reference-inventory §1.9, R70)."""
    properties: dict[str, Any] = {
        "allowProjectManagement": project_management, "customSubDomainName": subdomain,
        "publicNetworkAccess": "Enabled", "disableLocalAuth": True,
        "networkAcls": {"bypass": "AzureServices", "defaultAction": "Allow", "ipRules": [], "virtualNetworkRules": []},
        **props,
    }
    if subnet_id is not None:
        properties["networkInjections"] = [
            {"scenario": "agent", "subnetArmId": subnet_id, "useMicrosoftManagedNetwork": False}]
    return {"location": LOCATION, "kind": "AIServices", "sku": {"name": "S0"},
            "identity": {"type": "UserAssigned", "userAssignedIdentities": {identity_id: {}}},
            "properties": properties}


def create_account(c: dict[str, Any], rg: str, name: str, *, subnet_id: str | None = None, **props: Any) -> Any:
    ident = identity(c, rg, f"id-{name}")
    body = account_body(ident.id, name, subnet_id=subnet_id, **props)
    return c["cs"].accounts.begin_create(rg, name, raw(body)).result()


def project_body(identity_id: str | None = None, i: int = 1) -> dict[str, Any]:
    body: dict[str, Any] = {"location": LOCATION, "properties": {"displayName": f"AI Project {i}",
                                                                  "description": f"AI Project {i}"}}
    body["identity"] = ({"type": "UserAssigned", "userAssignedIdentities": {identity_id: {}}} if identity_id
                        else {"type": "SystemAssigned"})
    return body


def connection_body(category: str, target: str, *, key: str | None = None, **metadata: str) -> dict[str, Any]:
    props: dict[str, Any] = {"category": category, "target": target, "authType": "ApiKey" if key else "AAD",
                             "isSharedToAll": False, "metadata": {"ApiType": "Azure", **metadata}}
    if key:
        props["credentials"] = {"key": key}
    return {"properties": props}


def byo_connections(c: dict[str, Any], rg: str, account: str, project: str) -> dict[str, str]:
    """The three standard-setup connections of a project (reference-inventory §1.9); their names by role."""
    names = {"thread": f"cosmos-for-{project}", "storage": f"storage-for-{project}", "vector": f"search-for-{project}"}
    targets = {"thread": ("CosmosDb", "https://cosmos.documents.azure.com:443/"),
               "storage": ("AzureStorageAccount", "https://st.blob.core.windows.net/"),
               "vector": ("CognitiveSearch", "https://search.search.windows.net")}
    for role, name in names.items():
        category, target = targets[role]
        c["cs"].project_connections.create(rg, account, project, name, raw(connection_body(category, target)))
    return names


def caphost_body(connections: dict[str, str] | None = None, **props: Any) -> dict[str, Any]:
    """An account host names its kind; a project host lists its connections (in 2025-09-01 the project host's
    schema has no capabilityHostKind, so strict validation refuses one there)."""
    properties: dict[str, Any] = dict(props) if connections else {"capabilityHostKind": "Agents", **props}
    if connections:
        properties.update(threadStorageConnections=[connections["thread"]],
                          storageConnections=[connections["storage"]],
                          vectorStoreConnections=[connections["vector"]])
    return {"properties": properties}


def error_code(err: Any) -> str:
    return str(err.error.code if getattr(err, "error", None) is not None else "")
