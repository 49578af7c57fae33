"""Capability hosts of the standard agent setup: the account's, then one per project.

The account capability host must exist before a project's. For a network-injected account the platform may
create it itself (as ``<account>@aml_aiagentservice``): the step finds and adopts it rather than creating a
second one, which Azure refuses (the AVM pattern module failed here, avm-ptn-aiml-ai-foundry#112). Capability
hosts cannot be updated in place (foundry-samples PR #261): a change is a replace — delete, wait, create —
which ``--plan`` shows as such.

A project capability host needs its identity's roles on Cosmos DB and Storage in effect when it is created: the Bicep
sample creates it after them ("The Comos DB Operator role must be assigned before the caphost is created", foundry-
samples infrastructure-setup-bicep/15-private-network-standard-agent-setup/main.bicep), the Terraform sample also
waits 60 s for them to propagate (``time_sleep.wait_rbac``, infrastructure-setup-terraform/15a-private-network-
standard-agent-setup/code/main.tf). Nothing on the management plane shows whether they have (role_assignment.py), so
before creating the host the step waits until the newest of them is TYPICAL_PROPAGATION old (what propagation usually
takes), and a host that then ends Failed while they are younger than PROPAGATION_WAIT (Learn's bound) is deleted and
created again once they are that old. Waiting out the bound up front would put 10 minutes on the critical path of every
first deploy; the second try costs a failed create and a delete (minutes each) only when Azure is that slow. The
Search roles are created before the host too, but not waited for: "This role can be assigned before or after the
caphost is created" (the same main.bicep).
"""

from __future__ import annotations

import time

from foundry_litellm import azure_ops
from foundry_litellm.context import RunContext
from foundry_litellm.diff import Change
from foundry_litellm.errors import StateLockLost, ToolError
from foundry_litellm.step import ArmStep, Json, NamedOutputs, Sdk

from .cosmos_account import CosmosAccount
from .foundry_account import FoundryAccount
from .foundry_connection import ProjectConnection, connection_name
from .foundry_project import FoundryProject
from .managed_identity import ManagedIdentity
from .private_endpoint import DATA_ENDPOINTS, PrivateDnsZoneGroup
from .role_assignment import (
    COSMOS_DB_OPERATOR,
    PROPAGATION_WAIT,
    SEARCH_INDEX_DATA_CONTRIBUTOR,
    SEARCH_SERVICE_CONTRIBUTOR,
    STORAGE_BLOB_DATA_CONTRIBUTOR,
    TYPICAL_PROPAGATION,
    RoleAssignment,
    propagation_remaining,
)
from .search_service import SearchService
from .storage_account import StorageAccount

ACCOUNT_HOST = "caphost-account"
PROJECT_HOST = "caphost-project"
# The recovery the docs give for a faulted capability host (Azure-Samples/microsoft-foundry-baseline#58).
# A capability host cannot be updated in place, only deleted (foundry-samples PR #261): the next deploy does that and
# creates it again, so the first advice is a plain re-run.
RECOVERY = ("run deploy again: a failed capability host is deleted and created again; if it fails the same way, "
            "destroy and deploy (a faulted account capability host needs the account deleted and purged)")


STORES = ("cosmos", "storage", "search")  # what a project's agents keep their threads, files and vectors in


def agent_roles(index: int) -> tuple[RoleAssignment, ...]:
    """The project identity's roles the agent service checks when the project's capability host is created."""
    principal = ManagedIdentity(f"project-{index}")

    def role(name: str, store: ArmStep, role: str) -> RoleAssignment:
        return RoleAssignment(f"project-{index}-{name}", scope=store.resource_id, principal=principal, role=role,
                              depends_on=(store,))

    return (role("storage-blob-data-contributor", StorageAccount(), STORAGE_BLOB_DATA_CONTRIBUTOR),
            role("cosmos-db-operator", CosmosAccount(), COSMOS_DB_OPERATOR),
            role("search-index-data-contributor", SearchService(), SEARCH_INDEX_DATA_CONTRIBUTOR),
            role("search-service-contributor", SearchService(), SEARCH_SERVICE_CONTRIBUTOR))


class _CapabilityHost(ArmStep):
    """What both kinds share: immutable, and a failure reported with the recovery the docs give."""

    tagged = False
    replaceable = True
    create_timeout = 180 * 60  # the platform's own timeout is about 2.5 h (foundry-samples#810)
    typical_seconds = 300  # typical create (the emulator's provider cites the source)
    delete_timeout = 60 * 60

    def immutable_changes(self, changes: list[Change]) -> list[Change]:
        return changes  # nothing about a capability host can be updated in place

    def apply(self, ctx: RunContext, desired: Json, actual: Json | None) -> Json | None:
        try:
            return super().apply(ctx, desired, actual)
        except (azure_ops.OperationTimeout, StateLockLost):
            raise  # still running in Azure: the next run re-attaches, its own hint says so; or the lock is lost
        except Exception as exc:
            error = azure_ops.as_tool_error(exc)
            raise ToolError(error.message, hint=RECOVERY) from exc  # the runner names the step


class AccountCapabilityHost(_CapabilityHost):
    """See foundry_litellm/step.py."""

    name = "capability_host:account"
    title = "Account capability host"
    depends_on = (FoundryAccount(),)
    sdk = Sdk("cognitive", "account_capability_hosts")
    arm_type = "Microsoft.CognitiveServices/accounts/capabilityHosts"

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (ctx.names.foundry_account, self._name(ctx))

    def lock_holder(self) -> ArmStep:
        return FoundryAccount()

    def _name(self, ctx: RunContext) -> str:
        return ctx.state.step(self.name).get("outputs", {}).get("name") or ACCOUNT_HOST

    def body(self, ctx: RunContext) -> Json:
        return {"properties": {"capabilityHostKind": "Agents"}}

    def read(self, ctx: RunContext) -> Json | None:
        """Ours, or the one the platform made for the network-injected account (foundry-samples PR #753)."""
        for name in (f"{ctx.names.foundry_account}@aml_aiagentservice", ACCOUNT_HOST):
            found = azure_ops.read_by_id(ctx.clients, ctx.resource_id(self.arm_type, ctx.names.foundry_account, name),
                                         self.sdk.api_version)
            if found is not None:
                return found
        return None

    def changes(self, ctx: RunContext, desired: Json, actual: Json) -> list[Change]:
        state = azure_ops.provisioning_state(actual)
        if state in ("Failed", "Canceled"):
            return [Change("properties.provisioningState", state, "Succeeded")]
        kind = (actual.get("properties") or {}).get("capabilityHostKind")
        return [] if str(kind).lower() == "agents" else [Change("properties.capabilityHostKind", kind, "Agents")]

    def parent(self) -> ArmStep:
        return FoundryAccount()

    def delete(self, ctx: RunContext, actual: Json) -> None:
        remove = self.operations(ctx).begin_delete
        args = (ctx.resource_group, ctx.names.foundry_account, actual["name"].rsplit("/", 1)[-1])
        ctx.run(self, "delete", lambda **kw: remove(*args, **kw), timeout=self.delete_timeout, missing_ok=True)

    def outputs(self, ctx: RunContext, actual: Json) -> NamedOutputs:
        return {"id": str(actual["id"]), "name": str(actual["name"]).rsplit("/", 1)[-1]}


class ProjectCapabilityHost(_CapabilityHost):
    """See foundry_litellm/step.py."""

    sdk = Sdk("cognitive", "project_capability_hosts")
    arm_type = "Microsoft.CognitiveServices/accounts/projects/capabilityHosts"

    def __init__(self, index: int) -> None:
        self.index = index
        self.pre_roles = agent_roles(index)
        # the roles the agent service checks when the host is created (module docstring): only these are waited for
        self.checked_roles = tuple(r for r in self.pre_roles if r.role in (COSMOS_DB_OPERATOR,
                                                                             STORAGE_BLOB_DATA_CONTRIBUTOR))
        self.name = f"capability_host:project-{index}"
        self.title = f"Project {index} capability host"
        self.depends_on = (AccountCapabilityHost(), FoundryProject(index),
                           *(ProjectConnection(index, k) for k in STORES),
                           *self.pre_roles,
                           *(PrivateDnsZoneGroup(DATA_ENDPOINTS[k]) for k in STORES))

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (ctx.names.foundry_account, ctx.names.project(self.index), PROJECT_HOST)

    def lock_holder(self) -> ArmStep:
        return FoundryAccount()

    def body(self, ctx: RunContext) -> Json:
        def name(kind: str) -> list[str]:
            return [connection_name(ctx, kind, self.index)]

        # The 2025-09-01 project capability host has no capabilityHostKind: the connections make it "Agents".
        return {"properties": {"threadStorageConnections": name("cosmos"), "storageConnections": name("storage"),
                               "vectorStoreConnections": name("search")}}

    def start_lags(self) -> dict[str, float]:
        return {role.name: TYPICAL_PROPAGATION for role in self.checked_roles}

    def not_before(self, ctx: RunContext) -> tuple[float, str]:
        """A host to create: not before the roles it needs have usually taken effect; meanwhile the runner lets the
        account's other children write (a sleep in ``apply`` would hold the account's lock key). A host the state
        records is not held back: it is most likely there, and ``apply`` still waits if it must be created."""
        if ctx.state.step(self.name).get("status") == "succeeded":
            return 0.0, ""
        remaining = propagation_remaining(ctx, self.checked_roles, TYPICAL_PROPAGATION)
        return time.time() + remaining, self._waiting(ctx, remaining, TYPICAL_PROPAGATION)

    def apply(self, ctx: RunContext, desired: Json, actual: Json | None) -> Json | None:
        """Called only to create (or re-create) the host: once the roles it needs have usually taken effect (the
        runner has deferred the step until then: this wait is for a caller that does not). A host that ends Failed
        while they may still have been propagating is deleted and created once more when they surely have: a first
        deploy does not pay the documented bound unless Azure takes it (module docstring)."""
        self._wait(ctx, TYPICAL_PROPAGATION)
        unsure = propagation_remaining(ctx, self.checked_roles) > 0
        try:
            return super().apply(ctx, desired, actual)
        except (azure_ops.OperationTimeout, StateLockLost):
            raise  # still running in Azure; or the state is no longer ours to act on
        except ToolError:
            failed = self.read(ctx) if unsure else None
            if failed is None or azure_ops.provisioning_state(failed) != "Failed":
                raise
        ctx.progress.progress(self, "ended Failed while its roles may not have taken effect yet: deleting it, to "
                                    "create it again once they surely have")
        self.delete(ctx, failed)
        if self.read(ctx) is not None:
            raise ToolError(f"{self.title} still exists after its deletion", hint=RECOVERY)
        self._wait(ctx, PROPAGATION_WAIT)
        return super().apply(ctx, desired, None)

    def _wait(self, ctx: RunContext, wait: float) -> None:
        remaining = propagation_remaining(ctx, self.checked_roles, wait)
        if remaining > 0:
            ctx.progress.progress(self, self._waiting(ctx, remaining, wait))
            ctx.sleep(remaining)

    @staticmethod
    def _waiting(ctx: RunContext, remaining: float, wait: float) -> str:
        within = "usually take effect within" if wait < PROPAGATION_WAIT else "take effect within"
        return (f"waiting for role propagation: {remaining / ctx.time_scale:.0f}s more "
                f"(role assignments {within} {wait / 60:.0f} minutes)")
