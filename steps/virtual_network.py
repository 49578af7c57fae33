"""The virtual network. Its subnets are separate steps; an update keeps them (a VNet PUT without its subnets
would delete them)."""

from __future__ import annotations

from foundry_litellm.context import RunContext
from foundry_litellm.step import ArmStep, Json, NamedOutputs, Sdk

from .resource_group import ResourceGroup


class VirtualNetwork(ArmStep):
    """See foundry_litellm/step.py."""

    name = "virtual_network"
    title = "Virtual network"
    depends_on = (ResourceGroup(),)
    sdk = Sdk("network", "virtual_networks")
    arm_type = "Microsoft.Network/virtualNetworks"
    preserve = ("properties.subnets",)

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (ctx.names.vnet,)

    def lock_holder(self) -> ArmStep:
        return self  # its subnets and private endpoints wait for each other and for it

    def body(self, ctx: RunContext) -> Json:
        return {"location": ctx.location,
                "properties": {"addressSpace": {"addressPrefixes": [str(ctx.config.address_space)]}}}

    def outputs(self, ctx: RunContext, actual: Json) -> NamedOutputs:
        return {"id": actual["id"], "name": actual["name"]}
