"""Azure Managed Redis for the gateway's replicas: the cluster, its ``default`` database, and its access key as the
Key Vault secret ``redis-password``.

LiteLLM keeps rpm/tpm counts, cooldowns and usage-based routing per replica unless they share Redis, so Redis is on
whenever ``gateway.max_replicas`` > 1 (or ``gateway.redis`` is set). Azure Managed Redis (Microsoft.Cache/
redisEnterprise) is the offering for new deployments: Azure Cache for Redis announced the retirement of all its SKUs
(October 2025: Enterprise and Enterprise Flash on 31 March 2027, Basic, Standard and Premium on 30 September 2028)
and recommends Azure Managed Redis, generally available since May 2025 (Learn azure-cache-for-redis/retirement-faq
and cache-whats-new; the banner on Learn's Azure Cache for Redis pages: "We recommend moving your existing Azure
Cache for Redis instances to Azure Managed Redis").

- Cluster: Balanced_B0, the smallest Azure Managed Redis SKU; public network access Disabled (reached through its
  private endpoint and privatelink.redis.azure.net); minimum TLS 1.2 (redisenterprise.json 2025-07-01).
- Database: port 10000, TLS (clientProtocol Encrypted). clusteringPolicy NoCluster: LiteLLM builds a plain
  ``redis.Redis`` client from REDIS_HOST/REDIS_PORT/REDIS_PASSWORD (no cluster client unless
  ``redis_startup_nodes`` is configured), and its usage-based routing reads several deployments' counters in one
  MGET; a non-clustered database serves any multi-key command to a non-cluster client, which OSSCluster (a cluster
  client is needed) does not, and EnterpriseCluster only within one hash slot. NoCluster is offered for SKUs up to
  25 GB, B0 included (redisenterprise.json 2025-07-01 example RedisEnterpriseDatabasesNoClusterCacheCreate; the
  spec's clusteringPolicy: "NoCluster ... can be updated" later, the other policies cannot). Access keys are
  enabled (accessKeysAuthentication, Disabled by default) because LiteLLM authenticates with a password.
- Secret: the database's primary key, read with listKeys when written and never kept: its SHA-256 in the secret's
  tags shows a regenerated key, and only then is the secret rewritten (as ``openai-api-key``).
"""

from __future__ import annotations

from foundry_litellm import azure_ops, secrets
from foundry_litellm.config import Config
from foundry_litellm.context import RunContext
from foundry_litellm.step import ArmStep, IdOutputs, Json, Sdk

from .key_vault import KeyVault
from .private_endpoint import Target
from .resource_group import ResourceGroup
from .secret_writes import VAULT_SECRETS, SecretOutputs, write_secret

SKU = "Balanced_B0"
PORT = 10000
DATABASE = "default"  # the only database name Azure Managed Redis accepts
PASSWORD = "redis-password"  # noqa: S105 - the secret's name, not a value


def redis_on(config: Config) -> bool:
    """Redis is deployed when the gateway's replicas share state (``GatewaySection.shared_state``)."""
    return config.gateway.shared_state


class ClusterOutputs(IdOutputs):
    host_name: str  # <name>.<region>.redis.azure.net: what the app connects to


class RedisCluster(ArmStep):
    """See foundry_litellm/step.py."""

    name = "redis_cluster"
    title = "Azure Managed Redis"
    depends_on = (ResourceGroup(),)
    sdk = Sdk("redisenterprise", "redis_enterprise", put="begin_create")
    arm_type = "Microsoft.Cache/redisEnterprise"
    create_timeout = 60 * 60  # azurerm_managed_redis create default: 45 min (a cluster takes minutes)
    typical_seconds = 420  # typical create (the emulator's provider cites the source)

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (ctx.names.redis,)

    def body(self, ctx: RunContext) -> Json:
        return {"location": ctx.location, "sku": {"name": SKU},
                "properties": {"minimumTlsVersion": "1.2", "publicNetworkAccess": "Disabled"}}

    def outputs(self, ctx: RunContext, actual: Json) -> ClusterOutputs:
        return {"id": str(actual["id"]), "host_name": str(actual["properties"].get("hostName", ""))}


class RedisDatabase(ArmStep):
    """See foundry_litellm/step.py."""

    name = "redis_database"
    title = "Redis database"
    depends_on = (RedisCluster(),)
    sdk = Sdk("redisenterprise", "databases", put="begin_create")
    arm_type = "Microsoft.Cache/redisEnterprise/databases"
    typical_seconds = 60  # typical create (the emulator's provider cites the source)
    tagged = False
    # redisenterprise.json 2025-07-01: port is x-ms-mutability read/create. clusteringPolicy NoCluster may change
    # later (the policies it could change to may not), so it is not declared.
    immutable = ("properties.port",)

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (ctx.names.redis, DATABASE)

    def parent(self) -> ArmStep:
        return RedisCluster()

    def lock_holder(self) -> ArmStep:
        return RedisCluster()

    def body(self, ctx: RunContext) -> Json:
        return {"properties": {"clientProtocol": "Encrypted", "port": PORT, "clusteringPolicy": "NoCluster",
                               "evictionPolicy": "VolatileLRU", "accessKeysAuthentication": "Enabled"}}


def primary_key(ctx: RunContext) -> str:
    """The database's primary access key (Databases_ListKeys, a POST that only reads), registered for redaction."""
    database = RedisDatabase()
    keys = azure_ops.send_by_id(ctx.clients, "POST", f"{database.resource_id(ctx)}/listKeys", database.sdk.api_version,
                                **azure_ops.RETRY_REPEATABLE) or {}
    value = str(keys.get("primaryKey") or "")
    if not value:
        raise ValueError("the Redis database returned no access key")
    ctx.secrets.put(PASSWORD, value)
    return value


# Its private endpoint: group id redisEnterprise, zone privatelink.redis.azure.net (Learn "Azure Private Endpoint
# private DNS zone values", Databases: Azure Managed Redis).
REDIS_ENDPOINT = Target.of("redis", RedisCluster(), "redisEnterprise", ("redis",))


class PasswordOutputs(SecretOutputs):
    version: str


class RedisPassword(ArmStep):
    """See foundry_litellm/step.py."""

    name = "redis_password"
    title = f"Secret {PASSWORD}"
    depends_on = (KeyVault(), RedisDatabase())
    sdk = VAULT_SECRETS
    arm_type = "Microsoft.KeyVault/vaults/secrets"

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (ctx.names.key_vault, PASSWORD)

    def _key(self, ctx: RunContext) -> str | None:
        """The key, or None while the database does not exist (a plan before it is created, or of a
        configuration whose names changed: recorded outputs are no proof that it exists)."""
        if ctx.secrets.get(PASSWORD):
            return ctx.secrets.get(PASSWORD)
        if ctx.outputs_if_known(RedisDatabase()) is None:
            return None
        try:
            return primary_key(ctx)
        except Exception as exc:
            if azure_ops.is_not_found(exc):
                return None
            raise

    def body(self, ctx: RunContext) -> Json:
        key = self._key(ctx)
        tags = {secrets.FINGERPRINT_TAG: secrets.fingerprint(key)} if key else {}
        return {"tags": tags, "properties": {"attributes": {"enabled": True}}}

    def apply(self, ctx: RunContext, desired: Json, actual: Json | None) -> Json | None:
        value = ctx.secrets.get(PASSWORD) or primary_key(ctx)
        tags = {**(desired.get("tags") or {}), secrets.FINGERPRINT_TAG: secrets.fingerprint(value)}
        return write_secret(ctx, self, PASSWORD, value, tags)

    def outputs(self, ctx: RunContext, actual: Json) -> PasswordOutputs:
        versioned = str(actual["properties"].get("secretUriWithVersion", ""))
        return {"id": str(actual["id"]), "uri": str(actual["properties"].get("secretUri", "")),
                "version": versioned.rsplit("/", 1)[-1] if versioned else ""}

    def delete(self, ctx: RunContext, actual: Json) -> None:
        """Secrets go with their vault (the management plane has no DELETE of a secret). Once Redis is switched
        off the app no longer refers to it, and the key it holds is of a cluster that is gone."""
