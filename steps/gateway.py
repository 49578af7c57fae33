"""The gateway tier's declaration: the Container Apps environment and its private endpoint, the LiteLLM app,
the public IP, the TLS certificate, Azure Managed Redis when replicas share state (its private endpoint and
the secret of its key), the Application Gateway and the Foundry ModelGateway connections; and a
private endpoint to each upstream Azure OpenAI account whose id is given (an upstream's ``resource_id``, or
OPENAI_RESOURCE_ID for the implicit one)."""

from __future__ import annotations

from foundry_litellm.config import DEFAULT_UPSTREAM, Config
from foundry_litellm.context import RunContext
from foundry_litellm.step import Json, Step

from .app_gateway_certificate import AppGatewayCertificate
from .application_gateway import ApplicationGateway
from .container_apps_environment import ENDPOINT as CONTAINER_APPS_ENDPOINT
from .container_apps_environment import ContainerAppsEnvironment
from .key_vault_secret import upstream_keys
from .litellm_app import LiteLLMApp
from .model_gateway_connection import ModelGatewayConnection
from .private_endpoint import EndpointOutputs, PrivateDnsZoneGroup, PrivateEndpoint, Target
from .public_ip import PublicIp
from .redis_cache import REDIS_ENDPOINT, RedisCluster, RedisDatabase, RedisPassword, redis_on

# Stands for an upstream account no longer configured: enough to rebuild (and delete) its endpoint's steps.
UNKNOWN_ACCOUNT = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/unknown/providers/"
                   "Microsoft.CognitiveServices/accounts/unknown")
UPSTREAM_ZONES = ("ai_services", "openai", "cognitive_services")
UPSTREAM_KEY = "openai"  # the endpoint key of the implicit upstream, the prefix of named ones'


def upstream_target(upstream: str, resource_id: str) -> Target:
    """An upstream Azure OpenAI account: outside the deployment, so no step creates it."""
    key = UPSTREAM_KEY if upstream == DEFAULT_UPSTREAM else f"{UPSTREAM_KEY}-{upstream}"
    return Target(key, None, lambda ctx: resource_id, "account", UPSTREAM_ZONES)


class UpstreamPrivateEndpoint(PrivateEndpoint):
    """The endpoint to the external Azure OpenAI account. In another subscription the owner must approve it:
    the endpoint is created with a manual connection and the run says so instead of waiting (reference-inventory
    §6 item 19; Learn "Manage a private endpoint connection")."""

    def _foreign(self, ctx: RunContext) -> bool:
        return self.target.resource_id(ctx).split("/")[2].lower() != ctx.subscription_id.lower()

    def body(self, ctx: RunContext) -> Json:
        body = super().body(ctx)
        if self._foreign(ctx):
            props = body["properties"]
            connections = props.pop("privateLinkServiceConnections")
            for connection in connections:
                connection["properties"]["requestMessage"] = (
                    f"foundry-litellm environment {ctx.config.environment} ({ctx.resource_group}) asks for access")
            props["manualPrivateLinkServiceConnections"] = connections
        return body

    def outputs(self, ctx: RunContext, actual: Json) -> EndpointOutputs:
        props = actual["properties"]
        connections = props.get("privateLinkServiceConnections") or props.get("manualPrivateLinkServiceConnections") \
            or [{}]
        state = (connections[0].get("properties") or {}).get("privateLinkServiceConnectionState") or {}
        status = str(state.get("status", ""))
        if status.lower() == "pending":
            ctx.progress.progress(self, f"waiting for approval by the owner of {self.target.resource_id(ctx)}: "
                                        "approve the private endpoint connection on that account (portal, or az "
                                        "network private-endpoint-connection approve); LiteLLM reaches it once "
                                        "approved")
        return {"id": actual["id"], "connection_state": status}


def gateway_steps(config: Config) -> list[Step]:
    steps: list[Step] = [
        ContainerAppsEnvironment(),
        PrivateEndpoint(CONTAINER_APPS_ENDPOINT),
        PrivateDnsZoneGroup(CONTAINER_APPS_ENDPOINT),
        PublicIp(),
    ]
    if not config.gateway.http_only:
        steps.append(AppGatewayCertificate())
    if redis_on(config):
        steps += [RedisCluster(), RedisDatabase(), RedisPassword(), PrivateEndpoint(REDIS_ENDPOINT),
                  PrivateDnsZoneGroup(REDIS_ENDPOINT)]
    steps += [
        LiteLLMApp(redis=redis_on(config), upstream_keys=tuple(upstream_keys(config))),
        ApplicationGateway(with_certificate=not config.gateway.http_only),
        ModelGatewayConnection(discovery=True),
        ModelGatewayConnection(discovery=False),
    ]
    for upstream, resource_id in config.upstream_resource_ids.items():
        target = upstream_target(upstream, resource_id)
        steps += [UpstreamPrivateEndpoint(target), PrivateDnsZoneGroup(target)]
    return steps


def retired_upstream_steps(recorded: set[str], current: set[str]) -> list[Step]:
    """The endpoints (and zone groups) of named upstreams the state records but the configuration no longer
    reaches privately. Deleting them needs only their names, not the account they pointed at."""
    steps: list[Step] = []
    for name in sorted(recorded - current):
        kind, _, key = name.partition(":")
        if kind == "private_endpoint" and (key == UPSTREAM_KEY or key.startswith(f"{UPSTREAM_KEY}-")):
            upstream = key.removeprefix(UPSTREAM_KEY).removeprefix("-") or DEFAULT_UPSTREAM
            target = upstream_target(upstream, UNKNOWN_ACCOUNT)
            steps += [UpstreamPrivateEndpoint(target), PrivateDnsZoneGroup(target)]
    return [s for s in steps if s.name in recorded]
