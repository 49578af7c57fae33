"""The Application Gateway's public IP: Standard, static, with a DNS label (the name the TLS certificate is
issued for)."""

from __future__ import annotations

from foundry_litellm.context import RunContext
from foundry_litellm.step import ArmStep, IdOutputs, Json, Sdk

from .resource_group import ResourceGroup


class PublicIpOutputs(IdOutputs):
    ip_address: str
    fqdn: str


class PublicIp(ArmStep):
    """See foundry_litellm/step.py."""

    name = "public_ip"
    title = "Public IP"
    depends_on = (ResourceGroup(),)
    sdk = Sdk("network", "public_ip_addresses")
    arm_type = "Microsoft.Network/publicIPAddresses"
    immutable = ("sku.name", "properties.publicIPAllocationMethod")

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (ctx.names.public_ip,)

    def body(self, ctx: RunContext) -> Json:
        return {"location": ctx.location, "sku": {"name": "Standard", "tier": "Regional"}, "properties": {
            "publicIPAllocationMethod": "Static", "publicIPAddressVersion": "IPv4", "idleTimeoutInMinutes": 4,
            "dnsSettings": {"domainNameLabel": ctx.names.dns_label}}}

    def outputs(self, ctx: RunContext, actual: Json) -> PublicIpOutputs:
        props = actual["properties"]
        return {"id": actual["id"], "ip_address": str(props.get("ipAddress", "")),
                "fqdn": str((props.get("dnsSettings") or {}).get("fqdn", ""))}
