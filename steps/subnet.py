"""Subnets: for the Foundry agent service, private endpoints, Container Apps and Application Gateway.

Writes to the subnets of one VNet are serialized (Azure answers AnotherOperationInProgress otherwise,
azurerm#3780): every subnet step holds the VNet's lock key.
"""

from __future__ import annotations

import time

from foundry_litellm.context import RunContext
from foundry_litellm.errors import Kept, ToolError
from foundry_litellm.names import SUBNETS
from foundry_litellm.step import ArmStep, Json, NamedOutputs, Sdk

from .network_security_group import NetworkSecurityGroup
from .virtual_network import VirtualNetwork

# Foundry's agent network injection and workload-profile Container Apps environments both need a subnet
# delegated to Microsoft.App/environments (reference-inventory §1.3; foundry-samples 15-private-network).
_DELEGATED = {"agent": "Microsoft.App/environments", "container_apps": "Microsoft.App/environments"}


class Subnet(ArmStep):
    """See foundry_litellm/step.py."""

    sdk = Sdk("network", "subnets")
    arm_type = "Microsoft.Network/virtualNetworks/subnets"
    tagged = False  # subnets carry no tags: they are owned through their VNet

    def __init__(self, role: str) -> None:
        self.role = role
        self.name = f"subnet:{role}"
        self.title = f"Subnet {SUBNETS[role]}"
        self.nsg = NetworkSecurityGroup("app_gateway" if role == "app_gateway" else "default")
        self.depends_on = (VirtualNetwork(), self.nsg)

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (ctx.names.vnet, SUBNETS[self.role])

    def lock_holder(self) -> ArmStep:
        return VirtualNetwork()

    def body(self, ctx: RunContext) -> Json:
        props: Json = {
            "addressPrefix": str(getattr(ctx.config.subnets, self.role)),
            "networkSecurityGroup": {"id": self.nsg.resource_id(ctx)},
        }
        if self.role in _DELEGATED:
            service = _DELEGATED[self.role]
            props["delegations"] = [{"name": service.replace("/", "."), "properties": {"serviceName": service}}]
        if self.role == "private_endpoint":
            props["privateEndpointNetworkPolicies"] = "Disabled"
        return {"properties": props}

    def delete(self, ctx: RunContext, actual: Json) -> None:
        self._await_release(ctx, actual)
        super().delete(ctx, actual)

    def _await_release(self, ctx: RunContext, actual: Json) -> None:
        """Wait until Azure releases the subnet's service association links (the Foundry agent service's
        ``legionservicelink``, held 15-60 minutes after its account is purged, or longer: foundry-samples
        TESTING-GUIDE, #153; a Container Apps environment's). Deleting earlier fails with
        InUseSubnetCannotBeDeleted."""
        timeout = ctx.config.foundry.subnet_release_timeout_minutes * 60  # Azure-time seconds
        started = time.monotonic()
        announced = -1
        if _links(actual) and (not ctx.purge or ctx.purge_refused):
            why = "--no-purge" if not ctx.purge else "its purge was refused"
            raise Kept(f"held by {', '.join(_links(actual))} while the Foundry account stays soft-deleted "
                       f"({why}); a purge, or the account's restore by deploy, releases it")
        clock = "Azure" if ctx.time_scale == 1 else "emulated"  # against a time-scaled emulator: not wall time
        while _links(actual):
            waited = (time.monotonic() - started) / ctx.time_scale  # in Azure time, also against the emulator
            if waited > timeout:
                raise ToolError(
                    f"still held by {', '.join(_links(actual))} after {timeout // 60} minutes",  # runner names it
                    hint="Azure releases it on its own, usually within an hour of the account's purge (rarely up to "
                         "two days); run destroy again later: it resumes here")
            if int(waited // 300) != announced:  # a line every five minutes
                announced = int(waited // 300)
                ctx.progress.progress(self, f"waiting for Azure to release {', '.join(_links(actual))} "
                                            f"({int(waited // 60)} {clock} min so far, bound {timeout // 60} min)")
            ctx.sleep(ctx.poll_interval * 6)
            live = self.read(ctx)
            if live is None:
                return
            actual = live

    def parent(self) -> ArmStep:
        return VirtualNetwork()

    def outputs(self, ctx: RunContext, actual: Json) -> NamedOutputs:
        return {"id": actual["id"], "name": actual["name"]}


def _links(subnet: Json) -> list[str]:
    links = (subnet.get("properties") or {}).get("serviceAssociationLinks") or []
    return [str(link.get("name") or (link.get("properties") or {}).get("link")) for link in links]
