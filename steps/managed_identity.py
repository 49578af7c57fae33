"""User-assigned managed identities: the gateway's, the Foundry account's, and one per project."""

from __future__ import annotations

from foundry_litellm.context import RunContext
from foundry_litellm.step import ArmStep, IdOutputs, Json, Sdk

from .resource_group import ResourceGroup


class IdentityOutputs(IdOutputs):
    principal_id: str
    client_id: str
    tenant_id: str


class ManagedIdentity(ArmStep):
    """See foundry_litellm/step.py."""

    sdk = Sdk("msi", "user_assigned_identities", put="create_or_update", delete="delete")
    arm_type = "Microsoft.ManagedIdentity/userAssignedIdentities"

    def __init__(self, role: str) -> None:
        self.role = role  # "gateway", "foundry" or "project-<i>"
        self.name = f"managed_identity:{role}"
        self.title = f"Identity {role}"
        self.depends_on = (ResourceGroup(),)

    def identity_name(self, ctx: RunContext) -> str:
        if self.role.startswith("project-"):
            return ctx.names.identity_project(int(self.role.removeprefix("project-")))
        return ctx.names.identity_gateway if self.role == "gateway" else ctx.names.identity_foundry

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (self.identity_name(ctx),)

    def body(self, ctx: RunContext) -> Json:
        return {"location": ctx.location}

    def outputs(self, ctx: RunContext, actual: Json) -> IdentityOutputs:
        props = actual["properties"]
        return {"id": actual["id"], "principal_id": props["principalId"], "client_id": props["clientId"],
                "tenant_id": props["tenantId"]}
