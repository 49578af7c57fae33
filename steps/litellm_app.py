"""The LiteLLM container app: a pinned image, one worker per replica, Key Vault references for every secret,
the rendered config.yaml on a Secret volume (no init container, nothing installed at boot), and probes that
give the first boot — which runs the database migrations — more than ten minutes.

A changed config.yaml is visible without reading the app's secrets back: its SHA-256 is part of the template,
so it also starts a new revision, and only that.
"""

from __future__ import annotations

import hashlib
import time

from foundry_litellm import azure_ops, litellm_config
from foundry_litellm.context import RunContext
from foundry_litellm.step import ArmStep, IdOutputs, Json, Sdk

from .container_apps_environment import WORKLOAD_PROFILE, ContainerAppsEnvironment
from .key_vault import gateway_secrets_user
from .key_vault_secret import GENERATORS, KeyVaultSecret
from .managed_identity import ManagedIdentity
from .postgres_credentials import DATABASE_URL, PASSWORD, PostgresCredentials
from .postgres_server import PostgresDatabase
from .private_endpoint import DATA_ENDPOINTS, PrivateDnsZoneGroup
from .public_ip import PublicIp
from .redis_cache import PASSWORD as REDIS_PASSWORD
from .redis_cache import PORT as REDIS_PORT
from .redis_cache import REDIS_ENDPOINT, RedisCluster, RedisPassword, redis_on
from .secret_writes import MASTER_KEY

# Key Vault role assignments take minutes to reach Container Apps; until then the revision cannot fetch its
# secrets and the write is refused (azure-container-apps#1159, #930).
RBAC_WAIT = 15 * 60
CONFIG_HASH_ENV = "FOUNDRY_LITELLM_CONFIG_SHA256"
# The versions of the upstreams' keys: a changed key starts a new revision (the running one keeps the value it
# resolved at start).
KEY_VERSIONS_ENV = "FOUNDRY_LITELLM_UPSTREAM_KEY_VERSIONS"


def public_url(ctx: RunContext) -> str:
    scheme = "http" if ctx.config.gateway.http_only else "https"
    return f"{scheme}://{ctx.output_of(PublicIp())['fqdn']}"


def _probe(kind: str, path: str, **timing: int) -> Json:
    return {"type": kind, "httpGet": {"path": path, "port": litellm_config.PORT, "scheme": "HTTP"},
            "timeoutSeconds": 5, **timing}


def _redis_environment(ctx: RunContext) -> list[Json]:
    """Where LiteLLM's router_settings find the shared Redis (litellm_config renders them from these variables):
    the cluster's host, the database's TLS port and the access key as a Key Vault reference. A regenerated key
    starts a new revision (the running one keeps the value it resolved)."""
    if not redis_on(ctx.config):
        return []
    return [{"name": "REDIS_HOST", "value": ctx.output_of(RedisCluster())["host_name"]},
            {"name": "REDIS_PORT", "value": str(REDIS_PORT)},
            {"name": "REDIS_PASSWORD", "secretRef": REDIS_PASSWORD},
            {"name": "FOUNDRY_LITELLM_REDIS_KEY_VERSION", "value": ctx.output_of(RedisPassword())["version"]}]


class AppOutputs(IdOutputs):
    fqdn: str
    revision: str


class LiteLLMApp(ArmStep):
    """See foundry_litellm/step.py."""

    name = "litellm_app"
    title = "LiteLLM container app"
    depends_on = (ContainerAppsEnvironment(), ManagedIdentity("gateway"), PublicIp(), gateway_secrets_user(),
                  PostgresDatabase(), PostgresCredentials(), *(KeyVaultSecret(s) for s in GENERATORS),
                  PrivateDnsZoneGroup(DATA_ENDPOINTS["key_vault"]), PrivateDnsZoneGroup(DATA_ENDPOINTS["postgres"]))
    sdk = Sdk("containerapps", "container_apps")
    arm_type = "Microsoft.App/containerApps"
    create_timeout = 60 * 60

    def __init__(self, *, redis: bool = False, upstream_keys: tuple[str, ...] = ()) -> None:
        # The app waits for the secrets of its upstreams' keys; with Redis on, for the secret of its key and for
        # its private DNS records.
        redis_steps = (RedisPassword(), PrivateDnsZoneGroup(REDIS_ENDPOINT)) if redis else ()
        self.depends_on = (*type(self).depends_on, *(KeyVaultSecret(s) for s in upstream_keys), *redis_steps)

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (ctx.names.litellm_app,)

    def _secret_uri(self, ctx: RunContext, secret: str) -> str:
        if secret == DATABASE_URL:
            return ctx.output_of(PostgresCredentials())["database_url_uri"]
        if secret == PASSWORD:
            return ctx.output_of(PostgresCredentials())["password_uri"]
        return ctx.output_of(KeyVaultSecret(secret))["uri"]

    def body(self, ctx: RunContext) -> Json:
        gateway = ctx.config.gateway
        identity = ctx.output_of(ManagedIdentity("gateway"))["id"]
        image = f"{gateway.image}@{gateway.digest}" if gateway.digest else gateway.image
        rendered = litellm_config.render(gateway)
        secrets: list[Json] = [{"name": name, "keyVaultUrl": self._secret_uri(ctx, name), "identity": identity}
                               for name in sorted(set(litellm_config.secret_env(gateway).values()))]
        if redis_on(ctx.config):
            secrets.append({"name": REDIS_PASSWORD, "keyVaultUrl": ctx.output_of(RedisPassword())["uri"],
                            "identity": identity})
        secrets.append({"name": litellm_config.CONFIG_SECRET})  # its value is sent on write, never returned
        env = litellm_config.environment(gateway, api_base=ctx.config.openai_api_base or "",
                                         public_url=public_url(ctx))
        env.append({"name": CONFIG_HASH_ENV, "value": hashlib.sha256(rendered.encode()).hexdigest()})
        # A rotated master key must start a new revision: the running one keeps the value it resolved.
        env.append({"name": "FOUNDRY_LITELLM_MASTER_KEY_VERSION",
                    "value": ctx.output_of(KeyVaultSecret(MASTER_KEY))["version"]})
        env.append({"name": KEY_VERSIONS_ENV, "value": ",".join(
            f"{name}={ctx.output_of(KeyVaultSecret(litellm_config.upstream_secret(name)))['version']}"
            for name in gateway.upstream_names)})
        env += _redis_environment(ctx)
        return {"location": ctx.location,
                "identity": {"type": "UserAssigned", "userAssignedIdentities": {identity: {}}},
                "properties": {
                    "environmentId": ctx.output_of(ContainerAppsEnvironment())["id"],
                    "workloadProfileName": WORKLOAD_PROFILE,
                    "configuration": {
                        "activeRevisionsMode": "Single",
                        "ingress": {"external": True, "targetPort": litellm_config.PORT, "transport": "auto",
                                    "allowInsecure": False},
                        "secrets": secrets,
                    },
                    "template": {
                        "containers": [{
                            "name": "litellm", "image": image, "args": litellm_config.args(), "env": env,
                            "resources": {"cpu": gateway.cpu, "memory": f"{gateway.cpu * 2:g}Gi"},
                            "probes": [
                                # 10 s + 30 x 20 s: the first boot replays LiteLLM's migrations (up to 600 s).
                                _probe("Startup", "/health/readiness", initialDelaySeconds=10, periodSeconds=20,
                                       failureThreshold=30),
                                _probe("Readiness", "/health/readiness", periodSeconds=10, failureThreshold=3),
                                _probe("Liveness", "/health/liveliness", periodSeconds=30, failureThreshold=3),
                            ],
                            "volumeMounts": [{"volumeName": "config", "mountPath": litellm_config.CONFIG_DIR}],
                        }],
                        "volumes": [{"name": "config", "storageType": "Secret", "secrets": [
                            {"secretRef": litellm_config.CONFIG_SECRET, "path": litellm_config.CONFIG_FILE}]}],
                        "scale": {"minReplicas": gateway.min_replicas, "maxReplicas": gateway.max_replicas},
                    },
                }}

    def apply(self, ctx: RunContext, desired: Json, actual: Json | None) -> Json | None:
        rendered = litellm_config.render(ctx.config.gateway)
        config = desired["properties"]["configuration"]
        secrets = [s if s["name"] != litellm_config.CONFIG_SECRET else {**s, "value": rendered}
                   for s in config["secrets"]]
        body = {**desired, "properties": {**desired["properties"], "configuration": {**config, "secrets": secrets}}}
        deadline = time.monotonic() + RBAC_WAIT * ctx.time_scale
        delay = 15.0
        while True:
            try:
                return super().apply(ctx, body, actual)
            except Exception as exc:
                if azure_ops.error_code(exc) != "InvalidParameterValueInContainerTemplate" or \
                        time.monotonic() > deadline:
                    raise
                ctx.progress.progress(self, "Key Vault access not effective yet (role assignments propagate in "
                                            f"minutes); retrying in {delay:.0f}s")
                ctx.backoff(delay)
                delay = min(delay * 2, 120.0)

    def outputs(self, ctx: RunContext, actual: Json) -> AppOutputs:
        ingress = actual["properties"].get("configuration", {}).get("ingress") or {}
        return {"id": str(actual["id"]), "fqdn": str(ingress.get("fqdn", "")),
                "revision": str(actual["properties"].get("latestRevisionName", ""))}
