"""The gateway tier's declaration: the Container Apps environment and its private endpoint, the LiteLLM app,
the public IP, the TLS certificate, Azure Managed Redis when replicas share state (its private endpoint and
the secret of its key), the Application Gateway and the Foundry ModelGateway connections; and a
private endpoint to the upstream Azure OpenAI account when OPENAI_RESOURCE_ID names it."""

from __future__ import annotations

from foundry_litellm.config import Config
from foundry_litellm.context import RunContext
from foundry_litellm.step import Json, Step

from .app_gateway_certificate import AppGatewayCertificate
from .application_gateway import ApplicationGateway
from .container_apps_environment import ENDPOINT as CONTAINER_APPS_ENDPOINT
from .container_apps_environment import ContainerAppsEnvironment
from .litellm_app import LiteLLMApp
from .model_gateway_connection import ModelGatewayConnection
from .private_endpoint import EndpointOutputs, PrivateDnsZoneGroup, PrivateEndpoint, Target
from .public_ip import PublicIp
from .redis_cache import REDIS_ENDPOINT, RedisCluster, RedisDatabase, RedisPassword, redis_on

# The upstream Azure OpenAI account: outside the deployment, so no step creates it.
OPENAI_ENDPOINT = Target("openai", None, lambda ctx: str(ctx.config.openai_resource_id), "account",
                         ("ai_services", "openai", "cognitive_services"))


class UpstreamPrivateEndpoint(PrivateEndpoint):
    """The endpoint to the external Azure OpenAI account. In another subscription the owner must approve it:
    the endpoint is created with a manual connection and the run says so instead of waiting (reference-inventory
    §6 item 19; Learn "Manage a private endpoint connection")."""

    def _foreign(self, ctx: RunContext) -> bool:
        target = str(ctx.config.openai_resource_id)
        return target.split("/")[2].lower() != ctx.subscription_id.lower()

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
            ctx.progress.progress(self, f"waiting for approval by the owner of {ctx.config.openai_resource_id}: "
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
        LiteLLMApp(redis=redis_on(config)),
        ApplicationGateway(with_certificate=not config.gateway.http_only),
        ModelGatewayConnection(discovery=True),
        ModelGatewayConnection(discovery=False),
    ]
    if config.openai_resource_id:
        steps += [UpstreamPrivateEndpoint(OPENAI_ENDPOINT), PrivateDnsZoneGroup(OPENAI_ENDPOINT)]
    return steps
