"""Application Insights, workspace-based. Its connection string is a credential: it is read when a later
step needs it and never recorded in the state file or logs."""

from __future__ import annotations

from foundry_litellm.context import RunContext
from foundry_litellm.step import ArmStep, Json, Sdk


class ApplicationInsights(ArmStep):
    """See foundry_litellm/step.py."""

    name = "application_insights"
    title = "Application Insights"
    depends_on = ("log_analytics_workspace",)
    sdk = Sdk("appinsights", "components", put="create_or_update", delete="delete")
    arm_type = "Microsoft.Insights/components"

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (ctx.names.app_insights,)

    def body(self, ctx: RunContext) -> Json:
        workspace = ctx.resource_id("Microsoft.OperationalInsights/workspaces", ctx.names.log_analytics)
        return {"location": ctx.location, "kind": "web",
                "properties": {"Application_Type": "web", "WorkspaceResourceId": workspace}}

    def outputs(self, ctx: RunContext, actual: Json) -> dict[str, str]:
        return {"id": actual["id"], "name": actual["name"]}
