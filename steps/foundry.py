"""The Foundry tier's declaration: the account, then per project its identity, project, connections, the
role assignments the capability host needs before and after it, and the capability host itself.

Projects are numbered 1..N; raising N adds projects, lowering it retires the extra ones (their steps are
rebuilt from the state file and destroyed in reverse order).
"""

from __future__ import annotations

from collections.abc import Callable

from foundry_litellm.config import MAX_PROJECTS, Config
from foundry_litellm.context import RunContext
from foundry_litellm.step import Step

from .capability_host import AccountCapabilityHost, ProjectCapabilityHost
from .cosmos_sql_role_assignment import CosmosSqlRoleAssignment
from .foundry_account import FoundryAccount
from .foundry_connection import KINDS, ProjectConnection
from .foundry_project import FoundryProject
from .managed_identity import ManagedIdentity
from .private_endpoint import PrivateDnsZoneGroup, PrivateEndpoint, Target
from .role_assignment import STORAGE_BLOB_DATA_OWNER, RoleAssignment
from .storage_account import StorageAccount

FOUNDRY_ENDPOINT = Target.of("foundry", FoundryAccount(), "account", ("ai_services", "openai", "cognitive_services"))


def blob_owner_condition(index: int) -> Callable[[RunContext], str]:
    """ABAC: blob ownership only on the project's own agent containers (`<workspace guid>*-azureml-agent`),
    as the Foundry standard setup grants it (blob-storage-container-role-assignments.bicep)."""
    def condition(ctx: RunContext) -> str:
        guid = ctx.output_of(FoundryProject(index))["workspace_guid"]
        containers = "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name]"
        actions = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs"
        return (f"((!(ActionMatches{{'{actions}/tags/read'}}) AND !(ActionMatches{{'{actions}/filter/action'}}) "
                f"AND !(ActionMatches{{'{actions}/tags/write'}})) OR ({containers} StringStartsWithIgnoreCase "
                f"'{guid}' AND {containers} StringLikeIgnoreCase '*-azureml-agent'))")
    return condition


def project_steps(index: int) -> list[Step]:
    """Everything one project needs, in order."""
    identity = ManagedIdentity(f"project-{index}")
    host = ProjectCapabilityHost(index)
    return [
        identity,
        FoundryProject(index),
        *(ProjectConnection(index, kind) for kind in KINDS),
        *host.pre_roles,  # before the capability host: the agent service checks them when the host is created
        host,
        RoleAssignment(f"project-{index}-storage-blob-data-owner", scope=StorageAccount().resource_id,
                       principal=identity, role=STORAGE_BLOB_DATA_OWNER, condition=blob_owner_condition(index),
                       depends_on=(StorageAccount(), host, FoundryProject(index))),
        CosmosSqlRoleAssignment(index),
    ]


def foundry_steps(config: Config) -> list[Step]:
    steps: list[Step] = [FoundryAccount(), AccountCapabilityHost()]
    if config.foundry.public_network_access == "Disabled":
        steps += [PrivateEndpoint(FOUNDRY_ENDPOINT), PrivateDnsZoneGroup(FOUNDRY_ENDPOINT)]
    for index in range(1, config.projects + 1):
        steps += [s for s in project_steps(index) if not s.name.startswith("managed_identity:")]
    return steps


def retired_project_steps(config: Config, recorded: set[str]) -> list[Step]:
    """Steps of projects beyond the configured count that the state file still records."""
    return [s for i in range(config.projects + 1, MAX_PROJECTS + 1) for s in project_steps(i) if s.name in recorded]
