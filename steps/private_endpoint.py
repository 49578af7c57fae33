"""Private endpoints: one step shape for every target (target, group id, DNS zones), plus the DNS zone group
that writes the endpoint's A records into the private DNS zones.

Endpoints and their zone groups are written inside one VNet, so they hold the VNet's lock key: Azure answers
AnotherOperationInProgress to concurrent writes there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from foundry_litellm.context import RunContext
from foundry_litellm.step import ArmStep, Json, Sdk

from .private_dns_zone import zone_id
from .subnet import Subnet
from .virtual_network import VirtualNetwork


@dataclass(frozen=True)
class Target:
    key: str  # e.g. "key_vault"; names the steps
    step: str  # the step that creates the target
    resource_id: Callable[[RunContext], str]
    group_id: str
    zones: tuple[str, ...]  # keys of foundry_litellm.names.DNS_ZONES


def id_of(provider_type: str, name_of: str) -> Callable[[RunContext], str]:
    """The id of one of the deployment's resources, from its type and the ``Names`` attribute of its name."""
    return lambda ctx: ctx.resource_id(provider_type, getattr(ctx.names, name_of))


class PrivateEndpoint(ArmStep):
    """See foundry_litellm/step.py."""

    sdk = Sdk("network", "private_endpoints")
    arm_type = "Microsoft.Network/privateEndpoints"
    immutable = ("properties.subnet.id", "properties.privateLinkServiceConnections")

    def __init__(self, target: Target) -> None:
        self.target = target
        self.name = f"private_endpoint:{target.key}"
        self.title = f"Private endpoint {target.key.replace('_', ' ')}"
        self.depends_on = (target.step, "subnet:private_endpoint")
        self.replaceable = True  # its subnet or target cannot change in place: delete and create

    def endpoint_name(self, ctx: RunContext) -> str:
        return ctx.names.private_endpoint(self.target.key)

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (self.endpoint_name(ctx),)

    def lock_holder(self) -> ArmStep:
        return VirtualNetwork()

    def body(self, ctx: RunContext) -> Json:
        subnet = Subnet("private_endpoint").resource_id(ctx)
        return {"location": ctx.location, "properties": {
            "subnet": {"id": subnet},
            "privateLinkServiceConnections": [{"name": self.endpoint_name(ctx), "properties": {
                "privateLinkServiceId": self.target.resource_id(ctx), "groupIds": [self.target.group_id]}}],
        }}

    def outputs(self, ctx: RunContext, actual: Json) -> dict[str, str]:
        connections = actual["properties"].get("privateLinkServiceConnections") or [{}]
        state = (connections[0].get("properties") or {}).get("privateLinkServiceConnectionState") or {}
        return {"id": actual["id"], "connection_state": str(state.get("status", ""))}


class PrivateDnsZoneGroup(ArmStep):
    """See foundry_litellm/step.py."""

    sdk = Sdk("network", "private_dns_zone_groups")
    arm_type = "Microsoft.Network/privateEndpoints/privateDnsZoneGroups"
    tagged = False

    def __init__(self, target: Target) -> None:
        self.target = target
        self.name = f"private_dns_zone_group:{target.key}"
        self.title = f"DNS zone group {target.key.replace('_', ' ')}"
        self.depends_on = (f"private_endpoint:{target.key}",
                           *(f"private_dns_zone_link:{zone}" for zone in target.zones))

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (ctx.names.private_endpoint(self.target.key), "default")

    def lock_holder(self) -> ArmStep:
        return VirtualNetwork()

    def body(self, ctx: RunContext) -> Json:
        return {"properties": {"privateDnsZoneConfigs": [{
            "name": zone.replace("_", "-"),
            "properties": {"privateDnsZoneId": zone_id(ctx, zone)},
        } for zone in self.target.zones]}}

    def parent(self) -> ArmStep:
        return PrivateEndpoint(self.target)
