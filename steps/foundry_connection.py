"""Connections of each Foundry project to its standard-agent resources: Cosmos DB, Storage and AI Search with
Entra (AAD) auth, and Application Insights with its connection string — a credential, read from Azure when
the connection is written and never kept in state or logs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from foundry_litellm.context import RunContext
from foundry_litellm.step import ArmStep, Json, Sdk

from .application_insights import ApplicationInsights, app_insights_component
from .cosmos_account import CosmosAccount
from .foundry_account import FoundryAccount
from .foundry_project import FoundryProject
from .search_service import SearchService
from .storage_account import StorageAccount


@dataclass(frozen=True)
class Kind:
    key: str
    category: str
    step: ArmStep  # the step of the connected resource
    target: Callable[[RunContext], str]  # the connection's target, from that step's outputs


KINDS = {
    "cosmos": Kind("cosmos", "CosmosDB", CosmosAccount(), lambda ctx: ctx.output_of(CosmosAccount())["endpoint"]),
    "storage": Kind("storage", "AzureStorageAccount", StorageAccount(),
                    lambda ctx: ctx.output_of(StorageAccount())["blob_endpoint"]),
    "search": Kind("search", "CognitiveSearch", SearchService(),
                   lambda ctx: ctx.output_of(SearchService())["endpoint"]),
    "app_insights": Kind("app_insights", "AppInsights", ApplicationInsights(),
                         lambda ctx: ctx.output_of(ApplicationInsights())["id"]),
}


def connection_name(ctx: RunContext, kind: str, index: int) -> str:
    return f"{kind.replace('_', '-')}-{ctx.config.token}-for-{ctx.names.project(index)}"


class ProjectConnection(ArmStep):
    """See foundry_litellm/step.py."""

    sdk = Sdk("cognitive", "project_connections", put="create", delete="delete")
    arm_type = "Microsoft.CognitiveServices/accounts/projects/connections"
    tagged = False
    ignore = ("properties.credentials",)  # write-only

    def __init__(self, index: int, kind: str) -> None:
        self.index = index
        self.kind = KINDS[kind]
        self.name = f"foundry_connection:{index}:{kind}"
        self.title = f"Project {index} connection {kind.replace('_', ' ')}"
        self.depends_on = (FoundryProject(index), self.kind.step)

    def connection(self, ctx: RunContext) -> str:
        return connection_name(ctx, self.kind.key, self.index)

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (ctx.names.foundry_account, ctx.names.project(self.index), self.connection(ctx))

    def lock_holder(self) -> ArmStep:
        return FoundryAccount()

    def body(self, ctx: RunContext) -> Json:
        resource_id = str(ctx.output_of(self.kind.step)["id"])
        metadata = {"ApiType": "Azure", "ResourceId": resource_id}
        if self.kind.key != "app_insights":
            metadata["location"] = ctx.location
        props: Json = {"category": self.kind.category, "target": self.kind.target(ctx),
                       "authType": "ApiKey" if self.kind.key == "app_insights" else "AAD",
                       "isSharedToAll": False, "metadata": metadata}
        return {"properties": props}

    def apply(self, ctx: RunContext, desired: Json, actual: Json | None) -> Json | None:
        body = desired
        if self.kind.key == "app_insights":
            component = app_insights_component(ctx)
            secret = str(component.get("properties", {}).get("ConnectionString", ""))
            ctx.secrets.put("app-insights-connection-string", secret)  # registered: redacted from now on
            body = {"properties": {**desired["properties"], "credentials": {"key": secret}}}
        return super().apply(ctx, body, actual)

    def parent(self) -> ArmStep:
        return FoundryProject(self.index)
