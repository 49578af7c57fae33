"""Private DNS zones for every private-link service the deployment reaches, each linked to the VNet.

A zone that already exists elsewhere (``network.existing_dns_zones``, typically a hub's) is used instead of a new
one: a VNet cannot be linked to two zones of the same name (foundry-samples PR #214), and a hub's resolvers
answer from its own zones. The link to our VNet is then created in the hub zone, owned and removed by us.
"""

from __future__ import annotations

from foundry_litellm.context import RunContext
from foundry_litellm.step import ArmStep, Json, NamedOutputs, Sdk

from .resource_group import ResourceGroup
from .virtual_network import VirtualNetwork


def zone_parts(ctx: RunContext, key: str) -> tuple[str, str, str]:
    """(subscription, resource group, zone name) of the zone private endpoints of ``key`` register in."""
    existing = ctx.config.existing_dns_zones.get(key)
    if existing is None:
        return ctx.subscription_id, ctx.resource_group, ctx.names.dns_zone(key)
    parts = existing.split("/")
    return parts[2], parts[4], parts[-1]


def zone_id(ctx: RunContext, key: str) -> str:
    subscription, group, zone = zone_parts(ctx, key)
    return f"/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.Network/privateDnsZones/{zone}"


class PrivateDnsZone(ArmStep):
    """See foundry_litellm/step.py."""

    sdk = Sdk("privatedns", "private_zones")
    arm_type = "Microsoft.Network/privateDnsZones"
    create_timeout = 30 * 60  # azurerm private_dns_zone default
    typical_seconds = 35  # typical create (the emulator's provider cites the source)

    def __init__(self, key: str) -> None:
        self.key = key
        self.name = f"private_dns_zone:{key}"
        self.title = f"DNS zone {key.replace('_', ' ')}"
        self.depends_on = (ResourceGroup(),)

    def zone(self, ctx: RunContext) -> str:
        return ctx.names.dns_zone(self.key)

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (self.zone(ctx),)

    def body(self, ctx: RunContext) -> Json:
        return {"location": "global"}

    def outputs(self, ctx: RunContext, actual: Json) -> NamedOutputs:
        return {"id": actual["id"], "name": actual["name"]}


class PrivateDnsZoneLink(ArmStep):
    """See foundry_litellm/step.py."""

    sdk = Sdk("privatedns", "virtual_network_links")
    typical_seconds = 35  # typical create (the emulator's provider cites the source)

    def __init__(self, key: str, *, existing_zone: bool = False) -> None:
        self.key = key
        self.name = f"private_dns_zone_link:{key}"
        self.title = f"DNS link {key.replace('_', ' ')}"
        self.depends_on = (VirtualNetwork(),) if existing_zone else (PrivateDnsZone(key), VirtualNetwork())

    def resource_id(self, ctx: RunContext) -> str:
        return f"{zone_id(ctx, self.key)}/virtualNetworkLinks/{ctx.names.dns_link(self.key)}"


    def body(self, ctx: RunContext) -> Json:
        vnet = VirtualNetwork().resource_id(ctx)
        return {"location": "global",
                "properties": {"virtualNetwork": {"id": vnet}, "registrationEnabled": False}}
