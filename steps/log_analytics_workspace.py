"""The Log Analytics workspace that Container Apps and Application Insights write to."""

from __future__ import annotations

from foundry_litellm.context import RunContext
from foundry_litellm.step import ArmStep, IdOutputs, Json, Sdk

from .resource_group import ResourceGroup


class WorkspaceOutputs(IdOutputs):
    customer_id: str


class LogAnalyticsWorkspace(ArmStep):
    """See foundry_litellm/step.py."""

    name = "log_analytics_workspace"
    title = "Log Analytics workspace"
    depends_on = (ResourceGroup(),)
    sdk = Sdk("loganalytics", "workspaces")
    arm_type = "Microsoft.OperationalInsights/workspaces"

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (ctx.names.log_analytics,)

    def body(self, ctx: RunContext) -> Json:
        return {"location": ctx.location, "properties": {
            "sku": {"name": "PerGB2018"},
            "retentionInDays": ctx.config.log_retention_days,
            "features": {"enableLogAccessUsingOnlyResourcePermissions": True},
        }}

    def delete(self, ctx: RunContext, actual: Json) -> None:
        # force=true skips the 14-day soft delete, so a destroy leaves nothing behind (Workspaces.json).
        remove = self.operations(ctx).begin_delete
        args = self.args(ctx)
        ctx.run(self, "delete", lambda **kw: remove(*args, force=True, **kw), timeout=self.delete_timeout,
                missing_ok=True)

    def outputs(self, ctx: RunContext, actual: Json) -> WorkspaceOutputs:
        return {"id": actual["id"], "customer_id": actual["properties"]["customerId"]}
