"""Private DNS zones for every private-link service the deployment reaches, each linked to the VNet."""

from __future__ import annotations

from typing import Any

from foundry_litellm.context import RunContext
from foundry_litellm.step import ArmStep, Json, Sdk


class PrivateDnsZone(ArmStep):
    """See foundry_litellm/step.py."""

    sdk = Sdk("privatedns", "private_zones")
    create_timeout = 30 * 60  # azurerm private_dns_zone default

    def __init__(self, key: str) -> None:
        self.key = key
        self.name = f"private_dns_zone:{key}"
        self.title = f"DNS zone {key.replace('_', ' ')}"
        self.depends_on = ("resource_group",)

    def zone(self, ctx: RunContext) -> str:
        return ctx.names.dns_zone(self.key)

    def resource_id(self, ctx: RunContext) -> str:
        return ctx.resource_id("Microsoft.Network/privateDnsZones", self.zone(ctx))

    def args(self, ctx: RunContext) -> tuple[Any, ...]:
        return (ctx.resource_group, self.zone(ctx))

    def body(self, ctx: RunContext) -> Json:
        return {"location": "global"}

    def outputs(self, ctx: RunContext, actual: Json) -> dict[str, str]:
        return {"id": actual["id"], "name": actual["name"]}


class PrivateDnsZoneLink(ArmStep):
    """See foundry_litellm/step.py."""

    sdk = Sdk("privatedns", "virtual_network_links")

    def __init__(self, key: str) -> None:
        self.key = key
        self.name = f"private_dns_zone_link:{key}"
        self.title = f"DNS link {key.replace('_', ' ')}"
        self.depends_on = (f"private_dns_zone:{key}", "virtual_network")

    def resource_id(self, ctx: RunContext) -> str:
        return ctx.resource_id("Microsoft.Network/privateDnsZones/virtualNetworkLinks",
                               ctx.names.dns_zone(self.key), ctx.names.dns_link(self.key))

    def args(self, ctx: RunContext) -> tuple[Any, ...]:
        return (ctx.resource_group, ctx.names.dns_zone(self.key), ctx.names.dns_link(self.key))

    def body(self, ctx: RunContext) -> Json:
        vnet = ctx.resource_id("Microsoft.Network/virtualNetworks", ctx.names.vnet)
        return {"location": "global",
                "properties": {"virtualNetwork": {"id": vnet}, "registrationEnabled": False}}
