"""Azure Managed Redis (Microsoft.Cache/redisEnterprise) through azure-mgmt-redisenterprise, and a private
endpoint to it with its zone group in privatelink.redis.azure.net.

Azure behaviour cited: redisenterprise.json 2025-07-01 (Create and Databases_Create long-running, 201 then the
resource via the original URI; Delete 202 with Azure-AsyncOperation and Location; Databases_ListKeys; the
clusteringPolicy, clientProtocol and accessKeysAuthentication defaults); Learn "Azure Private Endpoint private DNS
zone values" (redisEnterprise, privatelink.redis.azure.net); only a database named ``default`` (Learn "Create an
Azure Managed Redis instance").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from tests.emulator.helpers import SUB, log_for, rid, vnet_body

ZONE = "privatelink.redis.azure.net"


@pytest.fixture
def redis(sdk: dict[str, Any], credential: Any) -> Any:
    from azure.mgmt.redisenterprise import RedisEnterpriseManagementClient

    return RedisEnterpriseManagementClient(credential, SUB, **sdk)


def _cluster(redis: Any, rg: str, name: str = "redis-one") -> dict[str, Any]:
    from foundry_litellm.azure_ops import raw

    body = {"location": "eastus", "sku": {"name": "Balanced_B0"}, "tags": {"a": "b"},
            "properties": {"minimumTlsVersion": "1.2", "publicNetworkAccess": "Disabled"}}
    result: dict[str, Any] = redis.redis_enterprise.begin_create(rg, name, body, cls=raw).result()
    return result


def _database(redis: Any, rg: str, **props: Any) -> Any:
    return redis.databases.begin_create(rg, "redis-one", "default", {"properties": {
        "clientProtocol": "Encrypted", "port": 10000, "clusteringPolicy": "NoCluster", **props}}).result()


def test_cluster_and_database_create_read_keys_and_delete(redis: Any, rg: str, admin: Any) -> None:
    _cluster(redis, rg)
    cluster = redis.redis_enterprise.get(rg, "redis-one")
    assert (cluster.provisioning_state, cluster.resource_state) == ("Succeeded", "Running")
    assert cluster.host_name == "redis-one.eastus.redis.azure.net"
    assert (cluster.sku.name, cluster.minimum_tls_version, cluster.public_network_access) == \
        ("Balanced_B0", "1.2", "Disabled")
    first = log_for(admin, "PUT", "/redisEnterprise/redis-one")[0]
    assert first["status"] == 201
    db = _database(redis, rg, accessKeysAuthentication="Enabled")
    assert (db.port, db.client_protocol, db.clustering_policy, db.eviction_policy) == \
        (10000, "Encrypted", "NoCluster", "VolatileLRU")
    keys = redis.databases.list_keys(rg, "redis-one", "default")
    assert keys.primary_key and keys.secondary_key and keys.primary_key != keys.secondary_key
    assert redis.databases.list_keys(rg, "redis-one", "default").primary_key == keys.primary_key  # stable
    assert keys.primary_key not in str(redis.databases.get(rg, "redis-one", "default").as_dict())
    seen: list[Any] = []
    redis.redis_enterprise.begin_delete(rg, "redis-one", raw_response_hook=lambda r: seen.append(r.http_response)) \
        .result()
    assert seen[0].status_code == 202 and {"Azure-AsyncOperation", "Location"} <= set(seen[0].headers)
    with pytest.raises(ResourceNotFoundError):
        redis.databases.get(rg, "redis-one", "default")  # the database goes with its cluster


def test_access_keys_are_disabled_unless_enabled(redis: Any, rg: str) -> None:
    _cluster(redis, rg)
    db = _database(redis, rg)
    assert db.access_keys_authentication == "Disabled"  # the 2025-07-01 default
    with pytest.raises(HttpResponseError) as err:
        redis.databases.list_keys(rg, "redis-one", "default")
    assert err.value.status_code == 400


def test_refused_bodies(redis: Any, rg: str) -> None:
    from foundry_litellm.azure_ops import raw

    with pytest.raises(HttpResponseError) as err:
        redis.redis_enterprise.begin_create(rg, "bad--name", {"location": "eastus", "sku": {"name": "Balanced_B0"},
                                                              "properties": {}}, cls=raw).result()
    assert err.value.status_code == 400
    _cluster(redis, rg)
    with pytest.raises(HttpResponseError) as err:
        redis.databases.begin_create(rg, "redis-one", "other", {"properties": {}}).result()
    assert err.value.status_code == 400
    with pytest.raises(HttpResponseError) as err:  # required on create (ClusterCreateProperties)
        redis.redis_enterprise.begin_create(rg, "redis-two", {"location": "eastus", "sku": {"name": "Balanced_B0"},
                                                              "properties": {}}, cls=raw).result()
    assert err.value.status_code == 400
    _database(redis, rg)
    with pytest.raises(HttpResponseError) as err:  # set at create time only
        _database(redis, rg, port=10001)
    assert err.value.status_code == 400
    with pytest.raises(HttpResponseError) as err:  # NoCluster may change; the clustered policies may not
        _database(redis, rg, clusteringPolicy="OSSCluster")
        _database(redis, rg, clusteringPolicy="EnterpriseCluster")
    assert err.value.status_code == 400


def test_private_endpoint_and_zone_group(redis: Any, rg: str, c: dict[str, Any]) -> None:
    net, dns = c["net"], c["dns"]
    net.virtual_networks.begin_create_or_update(rg, "v1", vnet_body(subnets={"pe": "10.0.1.0/24"})).result()
    cluster = _cluster(redis, rg)
    dns.private_zones.begin_create_or_update(rg, ZONE, {"location": "global"}).result()
    subnet = f"{rid(rg, 'Microsoft.Network/virtualNetworks/v1')}/subnets/pe"
    net.private_endpoints.begin_create_or_update(rg, "pe-redis", {"location": "eastus", "properties": {
        "subnet": {"id": subnet}, "privateLinkServiceConnections": [{"name": "c", "properties": {
            "privateLinkServiceId": cluster["id"], "groupIds": ["redisEnterprise"]}}]}}).result()
    net.private_dns_zone_groups.begin_create_or_update(rg, "pe-redis", "default", {"properties": {
        "privateDnsZoneConfigs": [{"name": "redis", "properties": {
            "privateDnsZoneId": rid(rg, f"Microsoft.Network/privateDnsZones/{ZONE}")}}]}}).result()
    record = dns.record_sets.get(rg, ZONE, "A", "redis-one.eastus")
    assert [a.ipv4_address for a in record.a_records] == ["10.0.1.4"]
    connections = redis.redis_enterprise.get(rg, "redis-one").private_endpoint_connections
    assert [x.private_endpoint.id.rsplit("/", 1)[-1] for x in connections] == ["pe-redis"]
    with pytest.raises(HttpResponseError) as err:  # the group id is the type's
        net.private_endpoints.begin_create_or_update(rg, "pe-bad", {"location": "eastus", "properties": {
            "subnet": {"id": subnet}, "privateLinkServiceConnections": [{"name": "c", "properties": {
                "privateLinkServiceId": cluster["id"], "groupIds": ["redisCache"]}}]}}).result()
    assert err.value.status_code == 400


def _ctx() -> Any:
    from types import SimpleNamespace

    return SimpleNamespace(location="eastus")


def test_strict_mode_checks_redis_bodies_against_redisenterprise_json(redis: Any, rg: str) -> None:
    """tests/specs/…/redisenterprise.json (2025-07-01, the api-version azure-mgmt-redisenterprise 3.1.0 sends) is in
    the strict emulator's documents: what the steps send passes, a property Azure would drop is a 400 naming it."""
    from foundry_litellm.azure_ops import body_bytes, raw
    from steps.redis_cache import RedisCluster, RedisDatabase

    cluster = {**RedisCluster().body(_ctx()), "tags": {"owner": "test"}}
    redis.redis_enterprise.begin_create(rg, "redis-one", body_bytes(cluster), cls=raw).result()
    redis.databases.begin_create(rg, "redis-one", "default", body_bytes(RedisDatabase().body(_ctx())),
                                 cls=raw).result()
    assert redis.databases.list_keys(rg, "redis-one", "default").primary_key  # the step enables keys

    bad = {**cluster, "properties": {**cluster["properties"], "minimumTlsVerison": "1.2"}}  # misspelt
    with pytest.raises(HttpResponseError) as err:
        redis.redis_enterprise.begin_create(rg, "redis-two", body_bytes(bad), cls=raw).result()
    assert (err.value.status_code, err.value.error.code) == (400, "InvalidRequestContent")
    assert err.value.error.target == "properties.minimumTlsVerison"
    assert "api-version 2025-07-01" in str(err.value.error.message)
    with pytest.raises(HttpResponseError) as err:  # top level: Cluster and TrackedResource (common-types v2)
        redis.redis_enterprise.begin_create(rg, "redis-two", body_bytes({**cluster, "zone": ["1"]}), cls=raw).result()
    assert (err.value.status_code, err.value.error.target) == (400, "zone")
    with pytest.raises(HttpResponseError) as err:  # ClusterCreateProperties.publicNetworkAccess: required
        redis.redis_enterprise.begin_create(rg, "redis-two", body_bytes({**cluster, "properties": {}}),
                                           cls=raw).result()
    assert err.value.status_code == 400 and "publicNetworkAccess" in str(err.value.error.message)
    db = RedisDatabase().body(_ctx())
    with pytest.raises(HttpResponseError) as err:  # Persistence.aofEnabled is a boolean
        redis.databases.begin_create(rg, "redis-one", "default", body_bytes({"properties": {
            **db["properties"], "persistence": {"aofEnabled": "yes"}}}), cls=raw).result()
    assert (err.value.status_code, err.value.error.code) == (400, "InvalidRequestContent")
    assert err.value.error.target == "properties.persistence.aofEnabled"


def _recorded_client(make_emulator: Any, credential: Any, location: str,
                     api_version: str) -> tuple[Any, list[Any], Callable[[Any], None]]:
    """A non-strict emulator with resource group rg1, the Redis client at a recording's api-version, and the HTTP
    responses its calls see (through ``hook``)."""
    from azure.mgmt.redisenterprise import RedisEnterpriseManagementClient

    from tests.emulator.helpers import clients

    emu = make_emulator(time_scale=0.002, strict=False)
    sdk = {"base_url": emu.url, "connection_verify": str(emu.ca_cert), "polling_interval": 0.02}
    clients(sdk, credential)["rm"].resource_groups.create_or_update("rg1", {"location": location})
    seen: list[Any] = []

    def hook(response: Any) -> None:
        seen.append(response.http_response)

    return RedisEnterpriseManagementClient(credential, SUB, api_version=api_version, **sdk), seen, hook


def test_recorded_2023_api_cluster_lifecycle(make_emulator: Any, credential: Any) -> None:
    """The Azure CLI extension's scenario1 recording (api-version 2023-03-01-preview; tests/conformance/recordings/
    redisenterprise__test_redisenterprise_scenario1.yaml): a create without publicNetworkAccess is accepted; both
    PUTs answer 201 Creating with Azure-AsyncOperation and a Location naming the resource; an Enterprise_ cluster is
    kind v1 under redisenterprise.cache.azure.net with identity None; the keys of a database are listed without
    enabling them; regenerateKey renews only the named key; DELETE answers 202 with the resource, Deleting."""
    from foundry_litellm.azure_ops import raw

    # not strict: strict checks bodies against the 2025-07-01 document
    redis, seen, hook = _recorded_client(make_emulator, credential, "eastus", "2023-03-01-preview")

    body = {"location": "eastus", "properties": {"minimumTlsVersion": "1.2"},
            "sku": {"capacity": 4, "name": "Enterprise_E20"}, "tags": {"tag1": "value1"}, "zones": ["1", "2", "3"]}
    cluster = redis.redis_enterprise.begin_create("rg1", "cache1", body, cls=raw, raw_response_hook=hook).result()
    first = seen[0]
    assert first.status_code == 201 and first.json()["properties"]["provisioningState"] == "Creating"
    assert first.headers["Location"].split("?")[0].endswith(rid("rg1", "Microsoft.Cache/redisEnterprise/cache1"))
    assert "Azure-AsyncOperation" in first.headers
    assert cluster["properties"]["hostName"] == "cache1.eastus.redisenterprise.cache.azure.net"
    assert (cluster["kind"], cluster["identity"], cluster["properties"]["privateEndpointConnections"]) == \
        ("v1", {"type": "None"}, [])
    seen.clear()
    db = redis.databases.begin_create("rg1", "cache1", "default", {"properties": {
        "clientProtocol": "Encrypted", "clusteringPolicy": "EnterpriseCluster", "evictionPolicy": "NoEviction",
        "modules": [{"name": "RedisBloom"}], "port": 10000}}, cls=raw, raw_response_hook=hook).result()
    assert seen[0].status_code == 201 and "Location" in seen[0].headers
    assert db["properties"]["modules"] == [{"name": "RedisBloom", "args": "", "version": "2.2.18"}]
    keys = redis.databases.list_keys("rg1", "cache1", "default")
    renewed = redis.databases.begin_regenerate_key("rg1", "cache1", "default", {"keyType": "Primary"}).result()
    assert renewed.primary_key != keys.primary_key and renewed.secondary_key == keys.secondary_key
    assert redis.databases.list_keys("rg1", "cache1", "default").primary_key == renewed.primary_key
    seen.clear()
    redis.redis_enterprise.begin_delete("rg1", "cache1", raw_response_hook=hook).result()
    assert seen[0].status_code == 202 and seen[0].json()["properties"]["provisioningState"] == "Deleting"
    assert {"Azure-AsyncOperation", "Location"} <= set(seen[0].headers)


def test_recorded_2026_api_database_lifecycle(make_emulator: Any, credential: Any) -> None:
    """The Azure CLI extension's notify_keyspace_events recording (api-version 2026-06-01-preview; tests/conformance/
    recordings/redisenterprise__test_redisenterprise_notify_keyspace_events.yaml): a Balanced_ cluster PUT answers
    201 Creating with Azure-AsyncOperation and a Location naming the operation (not the resource); the cluster is
    kind v2 with tags {} and redundancyMode ZR; a database made from {} shows notifyKeyspaceEvents "", keys
    disabled; a database DELETE answers 202 with the resource, Deleting, and both headers; and (…test_connection
    recording) a database made with access keys Enabled lists them."""
    from foundry_litellm.azure_ops import raw

    # not strict: notifyKeyspaceEvents is not in the 2025-07-01 document
    redis, seen, hook = _recorded_client(make_emulator, credential, "centralindia", "2026-06-01-preview")

    body = {"location": "centralindia", "properties": {"publicNetworkAccess": "Enabled"},
            "sku": {"name": "Balanced_B1"}}
    cluster = redis.redis_enterprise.begin_create("rg1", "ke1", body, cls=raw, raw_response_hook=hook).result()
    first = seen[0]
    assert first.status_code == 201 and first.json()["properties"]["provisioningState"] == "Creating"
    assert "Azure-AsyncOperation" in first.headers
    assert not first.headers["Location"].split("?")[0].endswith(rid("rg1", "Microsoft.Cache/redisEnterprise/ke1"))
    assert cluster["properties"]["hostName"] == "ke1.centralindia.redis.azure.net"
    assert (cluster["kind"], cluster["tags"], cluster["properties"]["redundancyMode"]) == ("v2", {}, "ZR")
    db = redis.databases.begin_create("rg1", "ke1", "default", {}, cls=raw).result()
    assert db["properties"]["notifyKeyspaceEvents"] == ""
    assert db["properties"]["accessKeysAuthentication"] == "Disabled"
    seen.clear()
    redis.databases.begin_delete("rg1", "ke1", "default", raw_response_hook=hook).result()
    assert seen[0].status_code == 202 and seen[0].json()["properties"]["provisioningState"] == "Deleting"
    assert {"Azure-AsyncOperation", "Location"} <= set(seen[0].headers)
    # test_connection recording (2026-06-01-preview): a database made with access keys Enabled lists them (200).
    redis.databases.begin_create("rg1", "ke1", "default", {"properties": {
        "accessKeysAuthentication": "Enabled", "clusteringPolicy": "EnterpriseCluster"}}).result()
    keys = redis.databases.list_keys("rg1", "ke1", "default")
    assert keys.primary_key and keys.secondary_key
