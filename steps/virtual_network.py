"""The virtual network. Its subnets are separate steps; an update keeps them (a VNet PUT without its subnets
would delete them)."""

from __future__ import annotations

from typing import Any

from foundry_litellm.context import RunContext
from foundry_litellm.step import ArmStep, Json, Sdk


class VirtualNetwork(ArmStep):
    """See foundry_litellm/step.py."""

    name = "virtual_network"
    title = "Virtual network"
    depends_on = ("resource_group",)
    sdk = Sdk("network", "virtual_networks")
    preserve = ("properties.subnets",)

    def resource_id(self, ctx: RunContext) -> str:
        return ctx.resource_id("Microsoft.Network/virtualNetworks", ctx.names.vnet)

    def lock_keys(self, ctx: RunContext) -> frozenset[str]:
        return frozenset({self.resource_id(ctx).lower()})

    def args(self, ctx: RunContext) -> tuple[Any, ...]:
        return (ctx.resource_group, ctx.names.vnet)

    def body(self, ctx: RunContext) -> Json:
        return {"location": ctx.location,
                "properties": {"addressSpace": {"addressPrefixes": [str(ctx.config.address_space)]}}}

    def outputs(self, ctx: RunContext, actual: Json) -> dict[str, str]:
        return {"id": actual["id"], "name": actual["name"]}
