"""Cosmos DB data-plane role assignments: each project's identity gets the built-in Data Contributor on the
agent service's database ``enterprise_memory`` (reference-inventory §1.10), after the capability host."""

from __future__ import annotations

from typing import Any

from foundry_litellm.context import RunContext, Unknown
from foundry_litellm.naming import deterministic_guid
from foundry_litellm.step import ArmStep, Json, Sdk

from .capability_host import ProjectCapabilityHost
from .cosmos_account import CosmosAccount
from .managed_identity import ManagedIdentity

DATA_CONTRIBUTOR = "00000000-0000-0000-0000-000000000002"  # Cosmos DB Built-in Data Contributor
DATABASE = "enterprise_memory"


class CosmosSqlRoleAssignment(ArmStep):
    """See foundry_litellm/step.py."""

    sdk = Sdk("cosmosdb", "sql_resources", put="begin_create_update_sql_role_assignment",
              delete="begin_delete_sql_role_assignment")
    tagged = False
    replaceable = True

    def __init__(self, index: int) -> None:
        self.index = index
        self.name = f"cosmos_sql_role_assignment:{index}"
        self.title = f"Project {index} Cosmos data role"
        self.identity = ManagedIdentity(f"project-{index}")
        self.depends_on = (ProjectCapabilityHost(index), CosmosAccount(), self.identity)

    def _cosmos(self, ctx: RunContext) -> str:
        return CosmosAccount().resource_id(ctx)

    def lock_holder(self) -> ArmStep:
        # Cosmos DB takes an exclusive lock per account for RBAC writes; concurrent ones get 412
        # PreconditionFailed (terraform-provider-azurerm#15842).
        return CosmosAccount()

    def _principal(self, ctx: RunContext) -> str:
        return ctx.output_of(self.identity)["principal_id"]

    def _assignment(self, ctx: RunContext) -> str:
        return deterministic_guid(self._cosmos(ctx), DATA_CONTRIBUTOR, self._principal(ctx), DATABASE)

    def resource_id(self, ctx: RunContext) -> str:
        try:
            name = self._assignment(ctx)
        except Unknown:  # the principal is not known yet (plan before its identity exists)
            name = "(known after apply)"
        return f"{self._cosmos(ctx)}/sqlRoleAssignments/{name}"

    def read(self, ctx: RunContext) -> Json | None:
        try:
            self._assignment(ctx)
        except Unknown:  # no principal yet: no assignment either
            return None
        return super().read(ctx)

    def body(self, ctx: RunContext) -> Json:
        cosmos = self._cosmos(ctx)
        return {"properties": {"roleDefinitionId": f"{cosmos}/sqlRoleDefinitions/{DATA_CONTRIBUTOR}",
                               "scope": f"{cosmos}/dbs/{DATABASE}", "principalId": self._principal(ctx)}}

    def immutable_changes(self, changes: list[Any]) -> list[Any]:
        return changes

    def owned(self, ctx: RunContext, actual: Json) -> bool:
        return str(actual.get("name", "")).lower() == self._assignment(ctx)
