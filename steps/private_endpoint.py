"""Private endpoints: one step shape for every target (target, group id, DNS zones), plus the DNS zone group
that writes the endpoint's A records into the private DNS zones.

Endpoints and their zone groups are written inside one VNet, so they hold the VNet's lock key: Azure answers
AnotherOperationInProgress to concurrent writes there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from foundry_litellm.context import RunContext
from foundry_litellm.step import ArmStep, IdOutputs, Json, Sdk, Step

from .cosmos_account import CosmosAccount
from .key_vault import KeyVault
from .postgres_server import PostgresServer
from .private_dns_zone import PrivateDnsZoneLink, zone_id
from .search_service import SearchService
from .storage_account import StorageAccount
from .subnet import Subnet
from .virtual_network import VirtualNetwork


@dataclass(frozen=True)
class Target:
    key: str  # e.g. "key_vault"; names the steps
    step: Step | None  # the step that creates the target; None for a resource outside the deployment
    resource_id: Callable[[RunContext], str]
    group_id: str
    zones: tuple[str, ...]  # keys of foundry_litellm.names.DNS_ZONES

    @classmethod
    def of(cls, key: str, step: ArmStep, group_id: str, zones: tuple[str, ...]) -> Target:
        """The target one of the deployment's steps creates."""
        return cls(key, step, step.resource_id, group_id, zones)


class EndpointOutputs(IdOutputs):
    connection_state: str  # of its private link connection: Approved, Pending, ...


class PrivateEndpoint(ArmStep):
    """See foundry_litellm/step.py."""

    sdk = Sdk("network", "private_endpoints")
    arm_type = "Microsoft.Network/privateEndpoints"
    typical_seconds = 27  # typical create (the emulator's provider cites the source)
    immutable = ("properties.subnet.id", "properties.privateLinkServiceConnections")

    def __init__(self, target: Target) -> None:
        self.target = target
        self.name = f"private_endpoint:{target.key}"
        self.title = f"Private endpoint {target.key.replace('_', ' ')}"
        self.depends_on = (*((target.step,) if target.step is not None else ()), Subnet("private_endpoint"))
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

    def outputs(self, ctx: RunContext, actual: Json) -> EndpointOutputs:
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
        self.depends_on = (PrivateEndpoint(target), *(PrivateDnsZoneLink(zone) for zone in target.zones))

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


# The data tier's private endpoints: one shape for all.
DATA_ENDPOINTS = {target.key: target for target in (
    Target.of("key_vault", KeyVault(), "vault", ("key_vault",)),
    Target.of("storage", StorageAccount(), "blob", ("blob",)),
    Target.of("cosmos", CosmosAccount(), "Sql", ("cosmos",)),
    Target.of("search", SearchService(), "searchService", ("search",)),
    Target.of("postgres", PostgresServer(), "postgresqlServer", ("postgres",)),
)}
