"""Application Insights, workspace-based. Its connection string is a credential: it is read when a later
step needs it and never recorded in the state file or logs."""

from __future__ import annotations

from foundry_litellm.context import RunContext
from foundry_litellm.step import ArmStep, Json, NamedOutputs, Sdk

from .log_analytics_workspace import LogAnalyticsWorkspace


class ApplicationInsights(ArmStep):
    """See foundry_litellm/step.py."""

    name = "application_insights"
    title = "Application Insights"
    depends_on = (LogAnalyticsWorkspace(),)
    sdk = Sdk("appinsights", "components", put="create_or_update", delete="delete")
    arm_type = "Microsoft.Insights/components"

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (ctx.names.app_insights,)

    def body(self, ctx: RunContext) -> Json:
        workspace = LogAnalyticsWorkspace().resource_id(ctx)
        return {"location": ctx.location, "kind": "web",
                "properties": {"Application_Type": "web", "WorkspaceResourceId": workspace}}

    def outputs(self, ctx: RunContext, actual: Json) -> NamedOutputs:
        return {"id": actual["id"], "name": actual["name"]}


def app_insights_component(ctx: RunContext) -> Json:
    """The component as it is live (its connection string is a credential: register it before it goes anywhere)."""
    return ApplicationInsights().read(ctx) or {}
