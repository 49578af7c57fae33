"""The pipeline: every provisioning step, declared once, in deploy order. Destroy runs it in reverse."""

from __future__ import annotations

from foundry_litellm.config import Config
from foundry_litellm.context import RunContext
from foundry_litellm.names import DNS_ZONES
from foundry_litellm.step import Step

from .application_insights import ApplicationInsights
from .log_analytics_workspace import LogAnalyticsWorkspace
from .managed_identity import ManagedIdentity
from .network_security_group import NetworkSecurityGroup
from .private_dns_zone import PrivateDnsZone, PrivateDnsZoneLink
from .resource_group import ResourceGroup
from .subnet import Subnet
from .virtual_network import VirtualNetwork


def pipeline(config: Config) -> list[Step]:
    """The ordered declaration of every step this configuration deploys."""
    steps: list[Step] = [
        ResourceGroup(),
        ManagedIdentity("gateway"),
        ManagedIdentity("foundry"),
        *(ManagedIdentity(f"project-{i}") for i in range(1, config.projects + 1)),
        NetworkSecurityGroup("default"),
        NetworkSecurityGroup("app_gateway"),
        VirtualNetwork(),
        Subnet("agent"),
        Subnet("private_endpoint"),
        Subnet("container_apps"),
        Subnet("app_gateway"),
        *(PrivateDnsZone(key) for key in DNS_ZONES),
        *(PrivateDnsZoneLink(key) for key in DNS_ZONES),
        LogAnalyticsWorkspace(),
        ApplicationInsights(),
    ]
    return steps


def deployment_outputs(ctx: RunContext) -> dict[str, object]:
    """What the deployment produced, for `outputs` and the end of `deploy`."""
    return {
        "config_validation_result": ctx.config.config_validation_result,
        "resource_group": ctx.resource_group,
        "location": ctx.location,
        "resource_token": ctx.config.token,
    }
