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
from .private_endpoint import PrivateDnsZoneGroup, PrivateEndpoint, Target, id_of
from .role_assignment import (
    COSMOS_DB_OPERATOR,
    SEARCH_INDEX_DATA_CONTRIBUTOR,
    SEARCH_SERVICE_CONTRIBUTOR,
    STORAGE_BLOB_DATA_CONTRIBUTOR,
    STORAGE_BLOB_DATA_OWNER,
    RoleAssignment,
)

FOUNDRY_ENDPOINT = Target("foundry", "foundry_account",
                          id_of("Microsoft.CognitiveServices/accounts", "foundry_account"), "account",
                          ("ai_services", "openai", "cognitive_services"))


def blob_owner_condition(index: int) -> Callable[[RunContext], str]:
    """ABAC: blob ownership only on the project's own agent containers (`<workspace guid>*-azureml-agent`),
    as the Foundry standard setup grants it (blob-storage-container-role-assignments.bicep)."""
    def condition(ctx: RunContext) -> str:
        guid = ctx.output(f"foundry_project:{index}", "workspace_guid")
        containers = "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name]"
        actions = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs"
        return (f"((!(ActionMatches{{'{actions}/tags/read'}}) AND !(ActionMatches{{'{actions}/filter/action'}}) "
                f"AND !(ActionMatches{{'{actions}/tags/write'}})) OR ({containers} StringStartsWithIgnoreCase "
                f"'{guid}' AND {containers} StringLikeIgnoreCase '*-azureml-agent'))")
    return condition


def project_steps(index: int) -> list[Step]:
    """Everything one project needs, in order."""
    principal = (f"managed_identity:project-{index}", "principal_id")
    storage = id_of("Microsoft.Storage/storageAccounts", "storage")
    search = id_of("Microsoft.Search/searchServices", "search")
    cosmos = id_of("Microsoft.DocumentDB/databaseAccounts", "cosmos")
    # Before the capability host: the agent service checks these when the host is created.
    pre = [
        RoleAssignment(f"project-{index}-storage-blob-data-contributor", scope=storage, principal=principal,
                       role=STORAGE_BLOB_DATA_CONTRIBUTOR, depends_on=("storage_account",)),
        RoleAssignment(f"project-{index}-cosmos-db-operator", scope=cosmos, principal=principal,
                       role=COSMOS_DB_OPERATOR, depends_on=("cosmos_account",)),
        RoleAssignment(f"project-{index}-search-index-data-contributor", scope=search, principal=principal,
                       role=SEARCH_INDEX_DATA_CONTRIBUTOR, depends_on=("search_service",)),
        RoleAssignment(f"project-{index}-search-service-contributor", scope=search, principal=principal,
                       role=SEARCH_SERVICE_CONTRIBUTOR, depends_on=("search_service",)),
    ]
    return [
        ManagedIdentity(f"project-{index}"),
        FoundryProject(index),
        *(ProjectConnection(index, kind) for kind in KINDS),
        *pre,
        ProjectCapabilityHost(index, tuple(r.name for r in pre)),
        RoleAssignment(f"project-{index}-storage-blob-data-owner", scope=storage, principal=principal,
                       role=STORAGE_BLOB_DATA_OWNER, condition=blob_owner_condition(index),
                       depends_on=("storage_account", f"capability_host:project-{index}",
                                   f"foundry_project:{index}")),
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
