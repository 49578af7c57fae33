"""The resource group. A group this tool did not create is used as it is and never deleted."""

from __future__ import annotations

from foundry_litellm import access, azure_ops
from foundry_litellm.context import RunContext
from foundry_litellm.diff import Change
from foundry_litellm.errors import ToolError
from foundry_litellm.ownership import OWNER_TAG, OWNER_VALUE
from foundry_litellm.step import ArmStep, IdOutputs, Json, Sdk


class ResourceGroupOutputs(IdOutputs):
    owned: str  # "true" when this tool created the group


class ResourceGroup(ArmStep):
    """See foundry_litellm/step.py."""

    name = "resource_group"
    title = "Resource group"
    sdk = Sdk("resource", "resource_groups", put="create_or_update")

    def group(self, ctx: RunContext) -> str:
        """The group's name (the state's group names its own)."""
        return ctx.resource_group

    def resource_id(self, ctx: RunContext) -> str:
        return f"/subscriptions/{ctx.subscription_id}/resourceGroups/{self.group(ctx)}"

    def body(self, ctx: RunContext) -> Json:
        return {"location": ctx.location}

    def changes(self, ctx: RunContext, desired: Json, actual: Json) -> list[Change]:
        if not _created_by_us(actual):
            return []  # an existing group is adopted as it is: its tags are its owner's business
        return super().changes(ctx, desired, actual)

    def apply(self, ctx: RunContext, desired: Json, actual: Json | None) -> Json | None:
        try:
            return super().apply(ctx, desired, actual)
        except Exception as exc:
            if actual is not None or not azure_ops.is_forbidden(exc):
                raise
            # A group is created in its subscription: a role on the group itself cannot exist before it does.
            need = access.Need("Microsoft.Resources/subscriptions/resourceGroups/write",
                               access.subscription_scope(ctx.subscription_id), f"{access.WRITERS} there")
            raise ToolError(need.refused(f"the resource group {self.group(ctx)} cannot be created"),
                            hint="have it created (az group create) and a role given to you on it, or use a "
                                 "group that exists") from exc

    def outputs(self, ctx: RunContext, actual: Json) -> ResourceGroupOutputs:
        return {"id": actual["id"], "owned": str(self.owned(ctx, actual)).lower()}


def _created_by_us(actual: Json) -> bool:
    return (actual.get("tags") or {}).get(OWNER_TAG) == OWNER_VALUE
