"""Subnets: for the Foundry agent service, private endpoints, Container Apps and Application Gateway.

Writes to the subnets of one VNet are serialized (Azure answers AnotherOperationInProgress otherwise,
azurerm#3780): every subnet step holds the VNet's lock key.
"""

from __future__ import annotations

from typing import Any

from foundry_litellm.context import RunContext
from foundry_litellm.names import SUBNETS
from foundry_litellm.step import ArmStep, Json, Sdk

from .virtual_network import VirtualNetwork

# Foundry's agent network injection and workload-profile Container Apps environments both need a subnet
# delegated to Microsoft.App/environments (reference-inventory §1.3; foundry-samples 15-private-network).
_DELEGATED = {"agent": "Microsoft.App/environments", "container_apps": "Microsoft.App/environments"}


class Subnet(ArmStep):
    """See foundry_litellm/step.py."""

    sdk = Sdk("network", "subnets")
    tagged = False  # subnets carry no tags: they are owned through their VNet

    def __init__(self, role: str) -> None:
        self.role = role
        self.name = f"subnet:{role}"
        self.title = f"Subnet {SUBNETS[role]}"
        nsg = "network_security_group:app_gateway" if role == "app_gateway" else "network_security_group:default"
        self.depends_on = ("virtual_network", nsg)

    def resource_id(self, ctx: RunContext) -> str:
        return ctx.resource_id("Microsoft.Network/virtualNetworks/subnets", ctx.names.vnet, SUBNETS[self.role])

    def lock_keys(self, ctx: RunContext) -> frozenset[str]:
        return frozenset({ctx.resource_id("Microsoft.Network/virtualNetworks", ctx.names.vnet).lower()})

    def args(self, ctx: RunContext) -> tuple[Any, ...]:
        return (ctx.resource_group, ctx.names.vnet, SUBNETS[self.role])

    def body(self, ctx: RunContext) -> Json:
        nsg_name = ctx.names.nsg_app_gateway if self.role == "app_gateway" else ctx.names.nsg_default
        props: Json = {
            "addressPrefix": str(getattr(ctx.config.subnets, self.role)),
            "networkSecurityGroup": {"id": ctx.resource_id("Microsoft.Network/networkSecurityGroups", nsg_name)},
        }
        if self.role in _DELEGATED:
            service = _DELEGATED[self.role]
            props["delegations"] = [{"name": service.replace("/", "."), "properties": {"serviceName": service}}]
        if self.role == "private_endpoint":
            props["privateEndpointNetworkPolicies"] = "Disabled"
        return {"properties": props}

    def owned(self, ctx: RunContext, actual: Json) -> bool:
        vnet = VirtualNetwork()
        live = vnet.read(ctx)
        return live is not None and vnet.owned(ctx, live)

    def outputs(self, ctx: RunContext, actual: Json) -> dict[str, str]:
        return {"id": actual["id"], "name": actual["name"]}
