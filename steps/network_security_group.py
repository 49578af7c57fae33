"""Network security groups: one for the workload subnets, one for the Application Gateway subnet."""

from __future__ import annotations

import copy

from foundry_litellm.context import RunContext
from foundry_litellm.step import ArmStep, Json, Sdk

from .resource_group import ResourceGroup


def _rule(name: str, priority: int, source: str, protocol: str, ports: str) -> Json:
    return {"name": name, "properties": {
        "priority": priority, "direction": "Inbound", "access": "Allow", "protocol": protocol,
        "sourceAddressPrefix": source, "sourcePortRange": "*",
        "destinationAddressPrefix": "*", "destinationPortRange": ports,
    }}


# Application Gateway v2 needs GatewayManager on 65200-65535 and the Azure load balancer's probes (Learn
# "Application Gateway infrastructure configuration"); clients reach it on 443, and on 80 for the redirect.
APP_GATEWAY_RULES = [
    _rule("AllowGatewayManagerInbound", 100, "GatewayManager", "Tcp", "65200-65535"),
    _rule("AllowAzureLoadBalancerInbound", 110, "AzureLoadBalancer", "*", "*"),
    _rule("AllowHttpsInbound", 200, "Internet", "Tcp", "443"),
    _rule("AllowHttpInbound", 210, "Internet", "Tcp", "80"),
]


class NetworkSecurityGroup(ArmStep):
    """See foundry_litellm/step.py."""

    sdk = Sdk("network", "network_security_groups")
    arm_type = "Microsoft.Network/networkSecurityGroups"

    def __init__(self, role: str) -> None:
        self.role = role  # "default" or "app_gateway"
        self.name = f"network_security_group:{role}"
        self.title = f"NSG ({role.replace('_', ' ')})"
        self.depends_on = (ResourceGroup(),)

    def _nsg_name(self, ctx: RunContext) -> str:
        return ctx.names.nsg_app_gateway if self.role == "app_gateway" else ctx.names.nsg_default

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (self._nsg_name(ctx),)

    def body(self, ctx: RunContext) -> Json:
        rules = [copy.deepcopy(r) for r in (APP_GATEWAY_RULES if self.role == "app_gateway" else [])]
        allowed = ctx.config.gateway.allowed_source_ips
        for rule in rules:
            if allowed and rule["name"] in ("AllowHttpsInbound", "AllowHttpInbound"):
                # The IP allow-list: only these sources reach the gateway's listeners.
                props = rule["properties"]
                del props["sourceAddressPrefix"]
                props["sourceAddressPrefixes"] = list(allowed)
        return {"location": ctx.location, "properties": {"securityRules": rules}}
