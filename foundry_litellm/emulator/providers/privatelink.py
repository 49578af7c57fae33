"""What a private endpoint can connect to: valid group ids per target type, and the host names they serve.

Group ids and private DNS zones: Learn "Azure Private Endpoint private DNS zone values" and "What is a private
endpoint? / Private-link resource" (vault, blob/file/queue/table/web/dfs, Sql, searchService, postgresqlServer,
account, managedEnvironments, redisEnterprise: privatelink.redis.azure.net). A record of a zone group is named
after the host's first label(s) in the privatelink zone (kv1.vault.azure.net -> kv1 in
privatelink.vaultcore.azure.net).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..provider import Json
from ..world import World

PE_TYPE = "Microsoft.Network/privateEndpoints"
CONNECTION_KINDS = ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections")
STORAGE_SERVICES = ("blob", "file", "queue", "table", "dfs")


@dataclass(frozen=True)
class Endpoint:
    fqdn: str  # the public host name the endpoint answers for
    zone: str  # the privatelink zone its A record belongs in
    record: str  # the record set name in that zone


Hosts = Callable[[Json], list[Endpoint]]


def _vault(record: Json) -> list[Endpoint]:
    name = record["body"]["name"]
    return [Endpoint(f"{name}.vault.azure.net", "privatelink.vaultcore.azure.net", name)]


def _storage(service: str, secondary: bool = False) -> Hosts:
    def hosts(record: Json) -> list[Endpoint]:
        label = record["body"]["name"] + ("-secondary" if secondary else "")
        if service == "web":  # the static website host carries a zone label (z13 here)
            return [Endpoint(f"{label}.z13.web.core.windows.net", "privatelink.web.core.windows.net",
                             f"{label}.z13")]
        return [Endpoint(f"{label}.{service}.core.windows.net", f"privatelink.{service}.core.windows.net", label)]
    return hosts


def _cosmos_sql(record: Json) -> list[Endpoint]:
    """The global host and one per region (Learn: Cosmos DB private endpoints get an IP per region)."""
    name = record["body"]["name"]
    zone = "privatelink.documents.azure.com"
    hosts = [Endpoint(f"{name}.documents.azure.com", zone, name)]
    for location in record["body"]["properties"].get("locations") or []:
        region = location["locationName"].replace(" ", "").lower()
        hosts.append(Endpoint(f"{name}-{region}.documents.azure.com", zone, f"{name}-{region}"))
    return hosts


def _search(record: Json) -> list[Endpoint]:
    name = record["body"]["name"]
    return [Endpoint(f"{name}.search.windows.net", "privatelink.search.windows.net", name)]


def _postgres(record: Json) -> list[Endpoint]:
    name = record["body"]["name"]
    return [Endpoint(f"{name}.postgres.database.azure.com", "privatelink.postgres.database.azure.com", name)]


def _redis(record: Json) -> list[Endpoint]:
    """Azure Managed Redis: <name>.<region>.redis.azure.net (Learn "Azure Private Endpoint private DNS zone
    values": Microsoft.Cache/redisEnterprise, redisEnterprise, privatelink.redis.azure.net)."""
    body = record["body"]
    label = f"{body['name']}.{str(body.get('location', '')).replace(' ', '').lower()}"
    return [Endpoint(f"{label}.redis.azure.net", "privatelink.redis.azure.net", label)]


def _cognitive(record: Json) -> list[Endpoint]:
    body = record["body"]
    label = body.get("properties", {}).get("customSubDomainName") or body["name"]
    by_kind = {"aiservices": ("cognitiveservices.azure.com", "openai.azure.com", "services.ai.azure.com"),
               "openai": ("openai.azure.com",)}
    suffixes = by_kind.get(str(body.get("kind", "")).lower(), ("cognitiveservices.azure.com",))
    return [Endpoint(f"{label}.{s}", f"privatelink.{s}", label) for s in suffixes]


def _environment(record: Json) -> list[Endpoint]:
    body = record["body"]
    region = str(body.get("location", ""))
    domain = body.get("properties", {}).get("defaultDomain") or f"{body['name']}.{region}.azurecontainerapps.io"
    label = domain.split(".")[0]
    zone = f"privatelink.{region}.azurecontainerapps.io"
    return [Endpoint(domain, zone, label), Endpoint(f"*.{domain}", zone, f"*.{label}")]


_STORAGE: dict[str, Hosts] = {s: _storage(s) for s in (*STORAGE_SERVICES, "web")}
_STORAGE.update({f"{s}_secondary": _storage(s, secondary=True) for s in (*STORAGE_SERVICES, "web")})

# Lower-cased target type -> group id (exact case, as the resource providers compare it) -> hosts.
GROUPS: dict[str, dict[str, Hosts]] = {
    "microsoft.keyvault/vaults": {"vault": _vault},
    "microsoft.storage/storageaccounts": _STORAGE,
    "microsoft.documentdb/databaseaccounts": {"Sql": _cosmos_sql},
    "microsoft.search/searchservices": {"searchService": _search},
    "microsoft.dbforpostgresql/flexibleservers": {"postgresqlServer": _postgres},
    "microsoft.cognitiveservices/accounts": {"account": _cognitive},
    "microsoft.app/managedenvironments": {"managedEnvironments": _environment},
    "microsoft.cache/redisenterprise": {"redisEnterprise": _redis},
}

PERMITTED_TYPES = ("Microsoft.KeyVault/vaults", "Microsoft.Storage/storageAccounts",
                   "Microsoft.DocumentDB/databaseAccounts", "Microsoft.Search/searchServices",
                   "Microsoft.DBforPostgreSQL/flexibleServers", "Microsoft.CognitiveServices/accounts",
                   "Microsoft.App/managedEnvironments",
                   "Microsoft.Cache/redisEnterprise")


def hosts_for(target: Json, group_id: str) -> list[Endpoint] | None:
    """The endpoints a connection to ``target`` with ``group_id`` serves, or None for an unknown group id."""
    hosts = GROUPS.get(target["type"].lower(), {}).get(group_id)
    return None if hosts is None else hosts(target)


# Storage's side names the field in the singular (storage.json PrivateLinkServiceConnectionState; Azure CLI recording
# network/test_network_private_endpoint_private_dns_zone_group.yaml), Network's and the others' in the plural.
_SINGULAR_ACTION = frozenset({"microsoft.storage/storageaccounts"})


def _target_state(target: Json, state: Json | None) -> Json | None:
    if state is None or target["type"].lower() not in _SINGULAR_ACTION:
        return state
    return {("actionRequired" if k == "actionsRequired" else k): v for k, v in state.items()}


def connections_to(world: World, target: Json) -> list[Json]:
    """The target's side of the private endpoints that point at it (properties.privateEndpointConnections)."""
    result: list[Json] = []
    for pe in world.of_type(PE_TYPE):
        props = pe["body"]["properties"]
        for kind in CONNECTION_KINDS:
            for connection in props.get(kind) or []:
                link = connection.get("properties") or {}
                if str(link.get("privateLinkServiceId", "")).lower() != target["id"].lower():
                    continue
                name = f"{pe['body']['name']}.{props.get('resourceGuid', '')}"
                result.append({
                    "id": f"{target['id']}/privateEndpointConnections/{name}", "name": name,
                    "type": f"{target['type']}/privateEndpointConnections",
                    "properties": {"privateEndpoint": {"id": pe["id"]}, "groupIds": link.get("groupIds") or [],
                                   "privateLinkServiceConnectionState": _target_state(
                                       target, link.get("privateLinkServiceConnectionState")),
                                   "provisioningState": "Succeeded"},
                })
    return result


def endpoints_of(world: World, pe: Json) -> list[Endpoint]:
    """The hosts a private endpoint serves, from its (single) connection's target."""
    for kind in CONNECTION_KINDS:
        for connection in pe["body"]["properties"].get(kind) or []:
            link = connection.get("properties") or {}
            target = world.get(str(link.get("privateLinkServiceId", "")))
            if target is not None:
                return hosts_for(target, (link.get("groupIds") or [""])[0]) or []
    return []
