"""Microsoft.Cache/redisEnterprise: Azure Managed Redis clusters and their (single, ``default``) database.

Sources: redisenterprise.json 2025-07-01 (Azure/azure-rest-api-specs, commit 15f38e5b; the api-version
azure-mgmt-redisenterprise 3.1.0 sends): RedisEnterprise_Create and Databases_Create are long-running (200/201 with
the resource, final state via the original URI: the SDK polls Azure-AsyncOperation, then GETs the resource);
RedisEnterprise_Delete and Databases_Delete answer 202 with Azure-AsyncOperation and Location (or 200/204);
Databases_ListKeys is a POST answering {primaryKey, secondaryKey}. The cluster's name is 1-60 alphanumerics with
single dashes between them (ClusterNameParameter); the cluster's host is <name>.<region>.redis.azure.net and its
database listens with TLS on port 10000 (clientProtocol Encrypted; microsoft/simplechat PR #1438's migration table:
TLS port 10000, host suffix .<region>.redis.azure.net). A cluster has one database, ``default`` (every example of
the spec; another name is refused here, with a code of the emulator's choice). Defaults per the spec's
descriptions: clusteringPolicy OSSCluster, clientProtocol Encrypted,
evictionPolicy VolatileLRU, accessKeysAuthentication Disabled (keys must be enabled explicitly; listKeys is then
refused); publicNetworkAccess is required on create; minimumTlsVersion 1.0/1.1 "cannot" be
used. provisioningState is Succeeded/Creating/Updating/Deleting/Failed; resourceState Running/Creating/
Updating/Deleting. Durations are estimates: a Balanced_B0 cluster takes minutes, its database seconds to a minute.
The error codes for a refused listKeys and a database not named ``default`` are the emulator's choice.

Recorded traffic: the Azure CLI extension's test_redisenterprise_scenario1.yaml (Azure/azure-cli-extensions, commit
404252ff, api-version 2023-03-01-preview; tests/conformance/recordings/redisenterprise__…): cluster and database PUT
answer 201 Creating with Azure-AsyncOperation and a Location naming the resource itself; the cluster DELETE answers
202 with the resource (Deleting), Azure-AsyncOperation and Location (…/operationresults/{id}); listKeys and
regenerateKey answer 200 {primaryKey, secondaryKey}; an Enterprise_ cluster's host is
<name>.<region>.redisenterprise.cache.azure.net and its GET shows identity {type: None} and privateEndpointConnections
[]; a database's modules carry args and version. That api-version has no publicNetworkAccess (a create without it
succeeds) and no accessKeysAuthentication (its keys are listed without enabling them); the switch of both to the
2025-07-01 rules (required; Disabled by default) is placed at 2025-07-01, the emulator's choice for the versions
between. The extension's notify_keyspace_events and test_connection recordings (commits 37e90e27 and 22f4425f,
api-version 2026-06-01-preview, Balanced_B1): both PUTs answer 201 Creating with Azure-AsyncOperation and a Location
naming the operation (…/operationresults/{id}), applied here from 2025-07-01 on; a cluster shows tags {} when made
without, redundancyMode ZR; a database made from {} shows notifyKeyspaceEvents "" and access keys Disabled; one made
with them Enabled lists them (200); a database DELETE answers 202 with the resource (Deleting) and both headers.
"""

from __future__ import annotations

import copy

from ..armpath import ArmRef
from ..errors import ArmError, bad_request
from ..provider import ArmCalls, Durations, Json, NameRule, Provider, require
from ..wire import Fault, Request, Response, json_body
from ..world import World
from .common import new_key
from .privatelink import connections_to

VERSIONS = frozenset({
    "2020-10-01-preview", "2021-03-01", "2021-08-01", "2022-01-01", "2023-03-01-preview", "2023-07-01",
    "2023-10-01-preview", "2023-11-01", "2024-02-01", "2024-03-01-preview", "2024-06-01-preview", "2024-09-01-preview",
    "2024-10-01", "2025-04-01", "2025-05-01-preview", "2025-07-01",
    "2026-06-01-preview",  # notify_keyspace_events recording
})
CLUSTER_TYPE = "Microsoft.Cache/redisEnterprise"
DATABASE_TYPE = f"{CLUSTER_TYPE}/databases"
PORT = 10000
# redisenterprise.json Sku.name (2025-07-01): the Azure Managed Redis tiers and the retiring Enterprise ones.
SKU_PREFIXES = ("Balanced_", "MemoryOptimized_", "ComputeOptimized_", "FlashOptimized_", "Enterprise_",
                "EnterpriseFlash_")
CLUSTERING_POLICIES = ("EnterpriseCluster", "OSSCluster", "NoCluster")
# The retiring Enterprise tiers are kind v1 with hosts under redisenterprise.cache.azure.net (scenario1 recording,
# Enterprise_E20); the Azure Managed Redis SKUs are v2 under redis.azure.net (Kind, 2025-07-01).
V1_SKU_PREFIXES = ("Enterprise_", "EnterpriseFlash_")
# The first api-version whose rules this emulator applies for publicNetworkAccess (required on create) and
# accessKeysAuthentication (Disabled by default): 2025-07-01's spec; 2023-03-01-preview has neither (scenario1).
NEW_RULES_VERSION = "2025-07-01"
# The first api-version with DatabaseProperties.notifyKeyspaceEvents (notify_keyspace_events recording).
KEYSPACE_EVENTS_VERSION = "2026-06-01-preview"
# Module versions a database GET shows (scenario1 recording, 2023-05).
MODULE_VERSIONS = {"redisbloom": "2.2.18", "redistimeseries": "1.6.17", "redisearch": "2.4.16", "redisjson": "2.4.7"}
# ClusterProperties.minimumTlsVersion: "TLS 1.0 and TLS 1.1 are now completely obsolete -- you cannot use them".
TLS_VERSIONS = ("1.2",)
# ResourceState per provisioningState (redisenterprise.json ResourceState).
RESOURCE_STATES = {"succeeded": "Running", "creating": "Creating", "updating": "Updating", "deleting": "Deleting",
                   "failed": "CreateFailed"}
NAME_RULE = NameRule(1, 60, r"[A-Za-z0-9]+(-[A-Za-z0-9]+)*", "alphanumerics and single dashes between them")


def _v1(sku: object) -> bool:
    return isinstance(sku, dict) and str(sku.get("name", "")).startswith(V1_SKU_PREFIXES)


def host_name(record_body: Json) -> str:
    region = str(record_body["location"]).replace(" ", "").lower()
    # scenario1 recording: clitest-cache1-000001.eastus.redisenterprise.cache.azure.net (Enterprise_E20)
    suffix = "redisenterprise.cache.azure.net" if _v1(record_body.get("sku")) else "redis.azure.net"
    return f"{record_body['name']}.{region}.{suffix}"


def _new_rules(api_version: str | None) -> bool:
    return (api_version or "") >= NEW_RULES_VERSION


def _put_answer(arm: ArmCalls, ref: ArmRef, response: Response, api_version: str) -> Response:
    """scenario1 recording: a create's 201 carries Location naming the resource itself (final state via the original
    URI) beside Azure-AsyncOperation."""
    if "Azure-AsyncOperation" in response.headers:
        response.headers["Location"] = f"{arm.base_url}{ref.id}?api-version={api_version}"
    return response


def _put(arm: ArmCalls, req: Request, ref: ArmRef, provider: Provider, *, body: Json, fault: Fault) -> Response:
    api_version = req.api_version or ""
    if _new_rules(api_version):
        # notify_keyspace_events recording (2026-06-01-preview): 201 with Azure-AsyncOperation and Location naming
        # the operation (…/operationresults/{id}), not the resource as in scenario1 (2023-03-01-preview).
        return arm.put(ref, provider, body, api_version, fault, style="async+location")
    return _put_answer(arm, ref, arm.put(ref, provider, body, api_version, fault), api_version)


def _with_state(body: Json) -> Json:
    props = body["properties"]
    props["resourceState"] = RESOURCE_STATES.get(str(props.get("provisioningState", "Succeeded")).lower(), "Running")
    return body


class Cluster(Provider):
    type = CLUSTER_TYPE
    api_versions = VERSIONS
    put_style = "async"  # 201 + Azure-AsyncOperation with the resource (provisioningState Creating)
    delete_style = "async+location"  # 202 with Azure-AsyncOperation and Location
    durations = Durations(create=420, update=120, delete=300)  # estimates
    name_rule = NAME_RULE
    top_level = ("tags", "sku", "zones", "identity")

    def handle(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
        if req.method != "PUT" or ref.action is not None or ref.is_collection:
            return None
        body = json_body(req)
        props = body.get("properties")
        access = props.get("publicNetworkAccess") if isinstance(props, dict) else None
        # ClusterCreateProperties requires publicNetworkAccess (2025-07-01); an update may leave it out; the
        # scenario1 recording (2023-03-01-preview) creates without it.
        require(access is not None or arm.world.get(ref.key) is not None
                or not _new_rules(req.api_version), "MissingRequiredProperty",
                "publicNetworkAccess is required when a cluster is created.", target="publicNetworkAccess")
        return _put(arm, req, ref, self, body=body, fault=fault)

    def validate(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        sku = body.get("sku")
        name = str(sku.get("name", "")) if isinstance(sku, dict) else ""
        require(name.startswith(SKU_PREFIXES), "InvalidSku" if name else "MissingSku",
                f"sku.name '{name}' is not a Redis Enterprise SKU.", target="sku.name")
        props = body.get("properties") or {}
        tls = props.get("minimumTlsVersion")
        require(tls is None or tls in TLS_VERSIONS, "InvalidParameterValue",
                f"minimumTlsVersion '{tls}' is not one of {', '.join(TLS_VERSIONS)}.", target="minimumTlsVersion")
        access = props.get("publicNetworkAccess")
        require(access is None or access in ("Enabled", "Disabled"), "InvalidParameterValue",
                f"publicNetworkAccess '{access}' is not Enabled or Disabled.", target="publicNetworkAccess")

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body.setdefault("properties", {})
        props["hostName"] = host_name({"name": ref.name, "location": body["location"], "sku": body.get("sku")})
        props.setdefault("minimumTlsVersion", "1.2")
        props.setdefault("highAvailability", "Enabled")
        props.setdefault("encryption", {})
        props["redisVersion"] = "7.4"
        body["kind"] = "v1" if _v1(body.get("sku")) else "v2"  # Kind (2025-07-01): v1 is the retiring Enterprise tier
        body.setdefault("identity", {"type": "None"})  # scenario1 recording: GET shows identity {type: None}
        body.setdefault("tags", {})  # notify_keyspace_events recording: a cluster made without tags shows tags {}
        if not _v1(body.get("sku")):  # notify_keyspace_events recording (Balanced_B1): redundancyMode ZR
            props["redundancyMode"] = "ZR" if props["highAvailability"] == "Enabled" else "None"

    def render(self, world: World, record: Json) -> Json:
        body = _with_state(copy.deepcopy(record["body"]))
        body["properties"]["privateEndpointConnections"] = connections_to(world, record)
        return body

    def deleted(self, world: World, record: Json) -> None:
        world.release_links(record["id"])


class Database(Provider):
    type = DATABASE_TYPE
    api_versions = VERSIONS
    put_style = "async"
    delete_style = "async+location"
    durations = Durations(create=60, update=30, delete=30)  # estimates
    location = "none"
    lock_parent = True  # a database is written while its cluster is busy with it
    name_rule = NAME_RULE
    top_level = ()
    actions = {"listkeys": "list_keys", "regeneratekey": "regenerate_key"}

    def handle(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
        if req.method != "PUT" or ref.action is not None or ref.is_collection:
            return None
        body = json_body(req)
        props = body.setdefault("properties", {}) if isinstance(body.get("properties", {}), dict) else None
        if props is not None and not _new_rules(req.api_version):
            # scenario1 recording (2023-03-01-preview, no accessKeysAuthentication): listKeys answers 200.
            existing = arm.world.get(ref.key)
            kept = existing["body"]["properties"].get("accessKeysAuthentication") if existing else None
            props.setdefault("accessKeysAuthentication", kept or "Enabled")
        if props is not None and (req.api_version or "") >= KEYSPACE_EVENTS_VERSION:
            # notify_keyspace_events recording (2026-06-01-preview): a database made without it shows "".
            existing = arm.world.get(ref.key)
            kept = existing["body"]["properties"].get("notifyKeyspaceEvents") if existing else None
            props.setdefault("notifyKeyspaceEvents", kept or "")
        return _put(arm, req, ref, self, body=body, fault=fault)

    def validate(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        require(ref.name == "default", "InvalidDatabaseName",
                f"Database name '{ref.name}' is not supported: only 'default' is.", target="name")
        props = body.get("properties") or {}
        policy = props.get("clusteringPolicy")
        require(policy is None or policy in CLUSTERING_POLICIES, "InvalidParameterValue",
                f"clusteringPolicy '{policy}' is not one of {', '.join(CLUSTERING_POLICIES)}.",
                target="clusteringPolicy")
        protocol = props.get("clientProtocol")
        require(protocol in (None, "Encrypted", "Plaintext"), "InvalidParameterValue",
                f"clientProtocol '{protocol}' is not Encrypted or Plaintext.", target="clientProtocol")
        if existing is not None:
            old = existing["body"]["properties"]
            # The spec: clusteringPolicy "can be updated only if the current value is NoCluster"; port is
            # x-ms-mutability read/create ("Specified at create time").
            port = props.get("port")
            if port is not None and port != old.get("port"):
                raise bad_request("InvalidParameterValue", "port cannot be changed after the database is created.",
                                  target="port")
            if policy is not None and policy != old.get("clusteringPolicy") and old.get("clusteringPolicy") != \
                    "NoCluster":
                raise bad_request("InvalidParameterValue", "clusteringPolicy cannot be changed on this database.",
                                  target="clusteringPolicy")

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body.setdefault("properties", {})
        props.setdefault("clientProtocol", "Encrypted")
        props.setdefault("port", PORT)
        props.setdefault("clusteringPolicy", "OSSCluster")
        props.setdefault("evictionPolicy", "VolatileLRU")
        props.setdefault("accessKeysAuthentication", "Disabled")
        props.setdefault("persistence", {"aofEnabled": False, "rdbEnabled": False})
        props.setdefault("modules", [])
        for module in props["modules"]:  # scenario1 recording: each module shows args ("" unset) and version
            if isinstance(module, dict):
                module.setdefault("args", "")
                module["version"] = MODULE_VERSIONS.get(str(module.get("name", "")).lower(), "1.0.0")
        props.setdefault("deferUpgrade", "NotDeferred")
        props["redisVersion"] = "7.4"

    def committed(self, world: World, ref: ArmRef, record: Json, existing: Json | None) -> None:
        record["internal"].setdefault("keys", {"primaryKey": new_key(32), "secondaryKey": new_key(32)})

    def render(self, world: World, record: Json) -> Json:
        return _with_state(copy.deepcopy(record["body"]))

    def list_keys(self, world: World, ref: ArmRef, body: Json, record: Json) -> tuple[int, Json]:
        _keys_enabled(record)
        return 200, dict(record["internal"]["keys"])

    def regenerate_key(self, world: World, ref: ArmRef, body: Json, record: Json) -> tuple[int, Json]:
        """scenario1 recording: 200 with both keys, the named one new (RegenerateKeyParameters.keyType)."""
        _keys_enabled(record)
        kind = body.get("keyType")
        require(kind in ("Primary", "Secondary"), "InvalidParameterValue",
                f"keyType '{kind}' is not Primary or Secondary.", target="keyType")
        record["internal"]["keys"][f"{str(kind).lower()}Key"] = new_key(32)
        world.store_record(record)
        return 200, dict(record["internal"]["keys"])


def _keys_enabled(record: Json) -> None:
    if record["body"]["properties"].get("accessKeysAuthentication") != "Enabled":
        raise ArmError(400, "AccessKeysAuthenticationDisabled",
                       "Access keys authentication is disabled for this database.")


PROVIDERS: list[Provider] = [Cluster(), Database()]
