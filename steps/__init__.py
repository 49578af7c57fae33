"""The pipeline: every provisioning step, declared once, in deploy order. Destroy runs it in reverse."""

from __future__ import annotations

import copy
import dataclasses
from concurrent.futures import Executor, Future
from typing import Any

from foundry_litellm.config import Config
from foundry_litellm.context import RunContext
from foundry_litellm.names import DNS_ZONES, OPTIONAL_DNS_ZONES
from foundry_litellm.runner import Outcome
from foundry_litellm.step import Step

from .application_gateway import ApplicationGateway
from .application_insights import ApplicationInsights
from .cosmos_account import CosmosAccount
from .foundry import foundry_steps, retired_project_steps
from .foundry_account import FoundryAccount
from .foundry_project import FoundryProject
from .gateway import gateway_steps, retired_upstream_steps
from .key_vault import KeyVault, gateway_secrets_user
from .key_vault_secret import KeyVaultSecret, RetiredUpstreamKey, from_environment, vault_secrets
from .litellm_app import LiteLLMApp
from .log_analytics_workspace import LogAnalyticsWorkspace
from .managed_identity import ManagedIdentity
from .network_security_group import NetworkSecurityGroup
from .postgres_credentials import PostgresCredentials
from .postgres_parameter import TLS_PARAMETERS, PostgresParameter
from .postgres_server import PostgresDatabase, PostgresServer
from .postgres_threat_protection import PostgresThreatProtection
from .private_dns_zone import PrivateDnsZone, PrivateDnsZoneLink
from .private_endpoint import DATA_ENDPOINTS, PrivateDnsZoneGroup, PrivateEndpoint
from .public_ip import PublicIp
from .redis_cache import redis_on
from .resource_group import ResourceGroup
from .resource_provider import CLIENT_NAMESPACES, ResourceProvider
from .search_service import SearchService
from .storage_account import StorageAccount
from .subnet import Subnet
from .virtual_network import VirtualNetwork


def _zones(config: Config) -> list[str]:
    """The zone keys this configuration needs: optional ones only with the resource behind them."""
    wanted = {"redis": redis_on(config)}
    return [key for key in DNS_ZONES if key not in OPTIONAL_DNS_ZONES or wanted[key]]


def _network(config: Config) -> list[Step]:
    zones = _zones(config)
    return [
        NetworkSecurityGroup("default"),
        NetworkSecurityGroup("app_gateway"),
        VirtualNetwork(),
        Subnet("agent"),
        Subnet("private_endpoint"),
        Subnet("container_apps"),
        Subnet("app_gateway"),
        *(PrivateDnsZone(key) for key in zones if key not in config.existing_dns_zones),
        *(PrivateDnsZoneLink(key, existing_zone=key in config.existing_dns_zones) for key in zones
          if key not in config.existing_dns_zones or config.link_existing_dns_zones),
    ]


def _data(config: Config) -> list[Step]:
    return [
        KeyVault(),
        *(KeyVaultSecret(s) for s in vault_secrets(config)),
        PostgresCredentials(),
        gateway_secrets_user(),
        StorageAccount(),
        CosmosAccount(),
        SearchService(),
        PostgresServer(),
        PostgresDatabase(),
        *(PostgresParameter(p) for p in TLS_PARAMETERS),
        *([PostgresThreatProtection()] if config.postgres.threat_protection else []),
        *(PrivateEndpoint(t) for t in DATA_ENDPOINTS.values()),
        *(PrivateDnsZoneGroup(t) for t in DATA_ENDPOINTS.values()),
    ]


def pipeline(config: Config) -> list[Step]:
    """The ordered declaration of every step this configuration deploys."""
    return with_registrations([
        ResourceGroup(),
        ManagedIdentity("gateway"),
        ManagedIdentity("foundry"),
        *(ManagedIdentity(f"project-{i}") for i in range(1, config.projects + 1)),
        *_network(config),
        LogAnalyticsWorkspace(),
        ApplicationInsights(),
        *_data(config),
        *foundry_steps(config),
        *gateway_steps(config),
    ])


def with_registrations(steps: list[Step]) -> list[Step]:
    """The steps, preceded by the registration of every namespace they use; each step (a copy: the declared one
    is left as it is) waits only for its own."""
    needed: set[str] = set()
    waiting: list[Step] = []
    for step in steps:
        sdk = getattr(step, "sdk", None)
        own = CLIENT_NAMESPACES.get(sdk.client) if sdk is not None else None
        namespaces = ((own,) if own else ()) + step.registrations
        needed.update(namespaces)
        registered = copy.copy(step)
        registered.depends_on = (*step.depends_on, *(ResourceProvider(n) for n in namespaces))
        waiting.append(registered)
    return [*(ResourceProvider(n) for n in sorted(needed)), *waiting]


def retired(config: Config, recorded: set[str]) -> list[Step]:
    """Steps the state file records but the configuration no longer wants: projects beyond the count, and
    optional resources since switched off (an account private endpoint, the upstream endpoint, the generated
    certificate, the PostgreSQL threat protection, Redis). They are rebuilt from a configuration with every option
    on, and removed by deploy."""
    everything = dataclasses.replace(
        config,
        foundry=config.foundry.model_copy(update={"public_network_access": "Disabled"}),
        gateway=config.gateway.model_copy(update={"http_only": False, "redis": True}),
        postgres=config.postgres.model_copy(update={"threat_protection": True}),
    )
    current = {s.name for s in pipeline(config)}
    optional = [s for s in pipeline(everything) if s.name in recorded and s.name not in current]
    return optional + _retired_upstreams(recorded, current) + retired_project_steps(config, recorded)


def _retired_upstreams(recorded: set[str], current: set[str]) -> list[Step]:
    """The keys and private endpoints of upstreams no longer configured (a key's secret stays in Key Vault)."""
    keys = [RetiredUpstreamKey(name.split(":", 1)[1]) for name in sorted(recorded - current)
            if name.startswith("key_vault_secret:") and from_environment(name.split(":", 1)[1])]
    return [*keys, *retired_upstream_steps(recorded, current)]


def deployment_outputs(ctx: RunContext) -> dict[str, object]:
    """What the deployment produced, for `outputs` and the end of `deploy`. Never a secret."""
    projects = [ctx.outputs_if_known(FoundryProject(i)) for i in range(1, ctx.config.projects + 1)]
    account = ctx.outputs_if_known(FoundryAccount())
    return {
        "config_validation_result": ctx.config.config_validation_result,
        "resource_group": ctx.resource_group,
        "location": ctx.location,
        "resource_token": ctx.config.token,
        "foundry_project_names": [p["name"] if p else "" for p in projects],
        "foundry_project_endpoints": [p["endpoint"] if p else "" for p in projects],
        "foundry_endpoint": account["endpoint"] if account else "",
        **_gateway_outputs(ctx),
    }


def gateway_health(ctx: RunContext, results: list[Any], early: Future[object] | None = None) -> object:
    """What Application Gateway's probe says of the LiteLLM backends (for `status`); None when not deployed.
    ``early``: the same report asked for as the run started (``start_gateway_health``)."""
    deployed = any(r.step == ApplicationGateway.name and r.outcome in (Outcome.IN_SYNC, Outcome.DRIFTED)
                   for r in results)
    if not deployed:
        return None
    if early is not None:
        return early.result()
    return ApplicationGateway(with_certificate=not ctx.config.gateway.http_only).health(ctx)


def start_gateway_health(ctx: RunContext, pool: Executor) -> Future[object] | None:
    """Ask for the backend health in ``pool`` now when the state records the gateway: a long-running POST that
    reads, whose round trips then overlap `status`'s reads instead of following them (``gateway_health`` drops
    the answer when the gateway turns out not to be there)."""
    if ctx.state.step(ApplicationGateway.name).get("status") != "succeeded":
        return None
    gateway = ApplicationGateway(with_certificate=not ctx.config.gateway.http_only)
    return pool.submit(gateway.health, ctx)


def _gateway_outputs(ctx: RunContext) -> dict[str, object]:
    public_ip, app_outputs = ctx.outputs_if_known(PublicIp()), ctx.outputs_if_known(LiteLLMApp())
    fqdn = public_ip["fqdn"] if public_ip else ""
    scheme = "http" if ctx.config.gateway.http_only else "https"
    app = app_outputs["fqdn"] if app_outputs else ""
    return {
        "litellm_url": f"{scheme}://{fqdn}/" if fqdn else "",
        "litellm_ui_url": f"{scheme}://{fqdn}/ui/" if fqdn else "",
        "litellm_internal_url": f"https://{app}/" if app else "",
        "litellm_models": [m.name for m in ctx.config.gateway.models],
    }
