"""Application Gateway v2 in front of LiteLLM: an HTTPS listener with the certificate from Key Vault, plain
HTTP only redirecting to HTTPS (unless ``gateway.http_only``, the reference's setup), the LiteLLM app's FQDN
as backend with the host name taken from it, a custom probe on ``/health/liveliness`` (the reference probed
``/``), a request timeout long enough for LLM calls (the reference's 30 s cut reasoning models off), optional
WAF_v2 with the OWASP managed rules. An IP allow-list is enforced by the subnet's NSG.
"""

from __future__ import annotations

from foundry_litellm import azure_ops
from foundry_litellm.context import RunContext
from foundry_litellm.step import ArmStep, Json, NamedOutputs, Sdk

from .app_gateway_certificate import AppGatewayCertificate
from .container_apps_environment import ENDPOINT as CONTAINER_APPS_ENDPOINT
from .key_vault import gateway_secrets_user
from .litellm_app import LiteLLMApp
from .managed_identity import ManagedIdentity
from .private_dns_zone import PrivateDnsZoneLink
from .private_endpoint import PrivateDnsZoneGroup
from .public_ip import PublicIp
from .subnet import Subnet

PROBE_PATH = "/health/liveliness"  # answered without auth, checks nothing upstream (litellm-notes §3)


class ApplicationGateway(ArmStep):
    """See foundry_litellm/step.py."""

    name = "application_gateway"
    title = "Application Gateway"
    sdk = Sdk("network", "application_gateways")
    arm_type = "Microsoft.Network/applicationGateways"
    create_timeout = 90 * 60  # azurerm application_gateway create default
    typical_seconds = 450  # typical create (the emulator's provider cites the source)
    delete_timeout = 90 * 60

    def __init__(self, *, with_certificate: bool) -> None:
        certificate = (AppGatewayCertificate(),) if with_certificate else ()
        self.depends_on = (Subnet("app_gateway"), PublicIp(), LiteLLMApp(), *certificate, ManagedIdentity("gateway"),
                           gateway_secrets_user(), PrivateDnsZoneGroup(CONTAINER_APPS_ENDPOINT),
                           PrivateDnsZoneLink("container_apps"))

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (ctx.names.app_gateway,)

    def _sub(self, ctx: RunContext, kind: str, name: str) -> Json:
        return {"id": f"{self.resource_id(ctx)}/{kind}/{name}"}

    def body(self, ctx: RunContext) -> Json:
        gateway = ctx.config.gateway
        sub = self._sub
        subnet = Subnet("app_gateway").resource_id(ctx)
        identity = ctx.output_of(ManagedIdentity("gateway"))["id"]
        sku = "WAF_v2" if gateway.waf else "Standard_v2"
        props: Json = {
            "sku": {"name": sku, "tier": sku},
            "autoscaleConfiguration": {"minCapacity": 1, "maxCapacity": 3},
            "gatewayIPConfigurations": [{"name": "gateway", "properties": {"subnet": {"id": subnet}}}],
            "frontendIPConfigurations": [{"name": "public", "properties": {
                "publicIPAddress": {"id": ctx.output_of(PublicIp())["id"]}}}],
            "frontendPorts": [{"name": "http", "properties": {"port": 80}}],
            "backendAddressPools": [{"name": "litellm", "properties": {
                "backendAddresses": [{"fqdn": ctx.output_of(LiteLLMApp())["fqdn"]}]}}],
            "probes": [{"name": "litellm-liveliness", "properties": {
                "protocol": "Https", "path": PROBE_PATH, "pickHostNameFromBackendHttpSettings": True,
                "interval": 30, "timeout": 30, "unhealthyThreshold": 3, "match": {"statusCodes": ["200-399"]}}}],
            "backendHttpSettingsCollection": [{"name": "litellm-https", "properties": {
                "port": 443, "protocol": "Https", "cookieBasedAffinity": "Disabled",
                "pickHostNameFromBackendAddress": True, "requestTimeout": gateway.request_timeout_seconds,
                "probe": sub(ctx, "probes", "litellm-liveliness")}}],
            "httpListeners": [{"name": "http", "properties": {
                "frontendIPConfiguration": sub(ctx, "frontendIPConfigurations", "public"),
                "frontendPort": sub(ctx, "frontendPorts", "http"), "protocol": "Http"}}],
            "requestRoutingRules": [],
            "enableHttp2": True,
        }
        forward = {"backendAddressPool": sub(ctx, "backendAddressPools", "litellm"),
                   "backendHttpSettings": sub(ctx, "backendHttpSettingsCollection", "litellm-https")}
        if gateway.http_only:
            props["requestRoutingRules"] = [{"name": "http", "properties": {
                "ruleType": "Basic", "priority": 100, "httpListener": sub(ctx, "httpListeners", "http"), **forward}}]
        else:
            props["frontendPorts"].append({"name": "https", "properties": {"port": 443}})
            props["sslCertificates"] = [{"name": "gateway", "properties": {
                "keyVaultSecretId": ctx.output_of(AppGatewayCertificate())["uri"]}}]
            props["sslPolicy"] = {"policyType": "Predefined", "policyName": "AppGwSslPolicy20220101"}
            props["httpListeners"].append({"name": "https", "properties": {
                "frontendIPConfiguration": sub(ctx, "frontendIPConfigurations", "public"),
                "frontendPort": sub(ctx, "frontendPorts", "https"), "protocol": "Https",
                "sslCertificate": sub(ctx, "sslCertificates", "gateway")}})
            props["redirectConfigurations"] = [{"name": "http-to-https", "properties": {
                "redirectType": "Permanent", "targetListener": sub(ctx, "httpListeners", "https"),
                "includePath": True, "includeQueryString": True}}]
            props["requestRoutingRules"] = [
                {"name": "https", "properties": {"ruleType": "Basic", "priority": 100,
                                                 "httpListener": sub(ctx, "httpListeners", "https"), **forward}},
                {"name": "http-redirect", "properties": {
                    "ruleType": "Basic", "priority": 200, "httpListener": sub(ctx, "httpListeners", "http"),
                    "redirectConfiguration": sub(ctx, "redirectConfigurations", "http-to-https")}},
            ]
        if gateway.waf:
            props["webApplicationFirewallConfiguration"] = {
                "enabled": True, "firewallMode": "Prevention", "ruleSetType": "OWASP", "ruleSetVersion": "3.2",
                "requestBodyCheck": True, "maxRequestBodySizeInKb": 128, "fileUploadLimitInMb": 100}
        return {"location": ctx.location,
                "identity": {"type": "UserAssigned", "userAssignedIdentities": {identity: {}}},
                "properties": props}

    def outputs(self, ctx: RunContext, actual: Json) -> NamedOutputs:
        return {"id": actual["id"], "name": actual["name"]}

    def health(self, ctx: RunContext) -> list[dict[str, str]]:
        """The backend health Application Gateway reports for LiteLLM: its probe's outcome per server."""
        # A long-running POST that reads: nothing to record in the state file, so no ctx.run here.
        poller = azure_ops.begin_by_id(ctx.clients, "POST", f"{self.resource_id(ctx)}/backendhealth",
                                       self.sdk.api_version, final_state_via="location", **azure_ops.RETRY_REPEATABLE)
        report = azure_ops.wait_for(poller, timeout=10 * 60, what="backend health") or {}
        servers = []
        for pool in report.get("backendAddressPools") or []:
            for settings in pool.get("backendHttpSettingsCollection") or []:
                for server in settings.get("servers") or []:
                    servers.append({"address": str(server.get("address", "")),
                                    "health": str(server.get("health", "")),
                                    "log": str(server.get("healthProbeLog", ""))})
        return servers
