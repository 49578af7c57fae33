"""Foundry projects: ``ai-project-<i>``, each with its own user-assigned identity. Writes under the account
are serialized (Azure answers concurrent ones with a conflict)."""

from __future__ import annotations

from foundry_litellm.context import RunContext
from foundry_litellm.step import ArmStep, Json, NamedOutputs, Sdk

from .foundry_account import FoundryAccount
from .managed_identity import ManagedIdentity


def workspace_guid(internal_id: str) -> str:
    """A project's internalId (32 hex characters) as the GUID the agent service names its containers with."""
    raw = internal_id.replace("-", "")
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:32]}"


class ProjectOutputs(NamedOutputs):
    endpoint: str
    workspace_guid: str  # what the agent service names the project's blob containers with


class FoundryProject(ArmStep):
    """See foundry_litellm/step.py."""

    sdk = Sdk("cognitive", "projects", put="begin_create")
    arm_type = "Microsoft.CognitiveServices/accounts/projects"
    create_timeout = 60 * 60

    def __init__(self, index: int) -> None:
        self.index = index
        self.name = f"foundry_project:{index}"
        self.title = f"Project {index}"
        self.identity = ManagedIdentity(f"project-{index}")
        self.depends_on = (FoundryAccount(), self.identity)

    def project_name(self, ctx: RunContext) -> str:
        return ctx.names.project(self.index)

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (ctx.names.foundry_account, self.project_name(ctx))

    def lock_holder(self) -> ArmStep:
        return FoundryAccount()

    def body(self, ctx: RunContext) -> Json:
        identity = ctx.output_of(self.identity)["id"]
        return {"location": ctx.location,
                "identity": {"type": "UserAssigned", "userAssignedIdentities": {identity: {}}},
                "properties": {"displayName": f"AI Project {self.index}",
                               "description": f"Foundry project {self.index} of {ctx.config.environment}"}}

    def parent(self) -> ArmStep:
        return FoundryAccount()

    def outputs(self, ctx: RunContext, actual: Json) -> ProjectOutputs:
        props = actual["properties"]
        name = self.project_name(ctx)
        endpoint = (props.get("endpoints") or {}).get("AI Foundry API") or \
            f"https://{ctx.names.foundry_account}.services.ai.azure.com/api/projects/{name}"
        return {"id": str(actual["id"]), "name": name, "endpoint": str(endpoint),
                "workspace_guid": workspace_guid(str(props.get("internalId") or "0" * 32))}
