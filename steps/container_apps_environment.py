"""The Container Apps environment of the gateway: workload profiles (Consumption), its infrastructure in the
delegated subnet, public network access disabled and reached through a private endpoint (the reference's
pattern, kept: Learn "Use a private endpoint with an Azure Container Apps environment" — workload-profile
environments only), app logs to Log Analytics and the managed OpenTelemetry agent sending traces and logs to
Application Insights.

The workspace's shared key and the Application Insights connection string are credentials: read from Azure
when the environment is written, never kept.
"""

from __future__ import annotations

from foundry_litellm import azure_ops
from foundry_litellm.context import RunContext
from foundry_litellm.step import ArmStep, IdOutputs, Json, Sdk

from .application_insights import ApplicationInsights, app_insights_component
from .log_analytics_workspace import LogAnalyticsWorkspace
from .private_endpoint import Target
from .subnet import Subnet

WORKLOAD_PROFILE = "Consumption"


class EnvironmentOutputs(IdOutputs):
    default_domain: str
    static_ip: str


class ContainerAppsEnvironment(ArmStep):
    """See foundry_litellm/step.py."""

    name = "container_apps_environment"
    title = "Container Apps environment"
    depends_on = (Subnet("container_apps"), LogAnalyticsWorkspace(), ApplicationInsights())
    sdk = Sdk("containerapps", "managed_environments")
    arm_type = "Microsoft.App/managedEnvironments"
    create_timeout = 120 * 60  # VNet environments have been seen to take 30 min to 2 h (azure-container-apps#465)
    typical_seconds = 270  # typical create (the emulator's provider cites the source)
    delete_timeout = 60 * 60
    immutable = ("properties.vnetConfiguration",)
    ignore = ("properties.appLogsConfiguration.logAnalyticsConfiguration.sharedKey",
              "properties.appInsightsConfiguration.connectionString")

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (ctx.names.container_apps_environment,)

    def body(self, ctx: RunContext) -> Json:
        subnet = Subnet("container_apps").resource_id(ctx)
        return {"location": ctx.location, "properties": {
            "workloadProfiles": [{"name": WORKLOAD_PROFILE, "workloadProfileType": WORKLOAD_PROFILE}],
            "vnetConfiguration": {"infrastructureSubnetId": subnet, "internal": False},
            "publicNetworkAccess": "Disabled",
            "zoneRedundant": False,
            "appLogsConfiguration": {"destination": "log-analytics", "logAnalyticsConfiguration": {
                "customerId": ctx.output_of(LogAnalyticsWorkspace())["customer_id"]}},
            "appInsightsConfiguration": {},
            "openTelemetryConfiguration": {"tracesConfiguration": {"destinations": ["appInsights"]},
                                           "logsConfiguration": {"destinations": ["appInsights"]}},
        }}

    def apply(self, ctx: RunContext, desired: Json, actual: Json | None) -> Json | None:
        workspace = LogAnalyticsWorkspace()
        keys = azure_ops.send_by_id(  # a POST that only reads
            ctx.clients, "POST", f"{workspace.resource_id(ctx)}/sharedKeys", workspace.sdk.api_version,
            **azure_ops.RETRY_REPEATABLE) or {}
        shared_key = str(keys.get("primarySharedKey") or "")
        ctx.secrets.put("log-analytics-shared-key", shared_key)
        insights = app_insights_component(ctx)
        connection = str(insights.get("properties", {}).get("ConnectionString", ""))
        ctx.secrets.put("app-insights-connection-string", connection)
        props = desired["properties"]
        body = {**desired, "properties": {
            **props,
            "appLogsConfiguration": {"destination": "log-analytics", "logAnalyticsConfiguration": {
                **props["appLogsConfiguration"]["logAnalyticsConfiguration"], "sharedKey": shared_key}},
            "appInsightsConfiguration": {"connectionString": connection},
        }}
        return super().apply(ctx, body, actual)

    def outputs(self, ctx: RunContext, actual: Json) -> EnvironmentOutputs:
        props = actual["properties"]
        return {"id": str(actual["id"]), "default_domain": str(props.get("defaultDomain", "")),
                "static_ip": str(props.get("staticIp", ""))}


# Reached only through its private endpoint (public network access disabled).
ENDPOINT = Target.of("container_apps", ContainerAppsEnvironment(), "managedEnvironments", ("container_apps",))
