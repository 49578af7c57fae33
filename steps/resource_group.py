"""The resource group. A group this tool did not create is used as it is and never deleted."""

from __future__ import annotations

from typing import Any

from foundry_litellm.context import RunContext
from foundry_litellm.diff import Change
from foundry_litellm.step import ArmStep, Json, Sdk


class ResourceGroup(ArmStep):
    """See foundry_litellm/step.py."""

    name = "resource_group"
    title = "Resource group"
    sdk = Sdk("resource", "resource_groups", put="create_or_update")

    def resource_id(self, ctx: RunContext) -> str:
        return ctx.group_id

    def args(self, ctx: RunContext) -> tuple[Any, ...]:
        return (ctx.resource_group,)

    def body(self, ctx: RunContext) -> Json:
        return {"location": ctx.location}

    def changes(self, ctx: RunContext, desired: Json, actual: Json) -> list[Change]:
        if not _created_by_us(actual):
            return []  # an existing group is adopted as it is: its tags are its owner's business
        return super().changes(ctx, desired, actual)

    def outputs(self, ctx: RunContext, actual: Json) -> dict[str, str]:
        return {"id": actual["id"], "owned": str(self.owned(ctx, actual)).lower()}


def _created_by_us(actual: Json) -> bool:
    return (actual.get("tags") or {}).get("managed-by") == "foundry-litellm"
