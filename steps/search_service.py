"""AI Search for the agent service's vector stores: system-assigned identity, no public network access."""

from __future__ import annotations

from typing import Any

from foundry_litellm.context import RunContext
from foundry_litellm.step import ArmStep, Json, Sdk


class SearchService(ArmStep):
    """See foundry_litellm/step.py."""

    name = "search_service"
    title = "AI Search"
    depends_on = ("resource_group",)
    sdk = Sdk("search", "services", delete="delete")
    immutable = ("sku.name",)
    create_timeout = 60 * 60  # azurerm search_service create default; over an hour has been seen (#1218)

    def resource_id(self, ctx: RunContext) -> str:
        return ctx.resource_id("Microsoft.Search/searchServices", ctx.names.search)

    def args(self, ctx: RunContext) -> tuple[Any, ...]:
        return (ctx.resource_group, ctx.names.search)

    def body(self, ctx: RunContext) -> Json:
        return {"location": ctx.location, "sku": {"name": ctx.config.search.sku},
                "identity": {"type": "SystemAssigned"}, "properties": {
                    "replicaCount": 1, "partitionCount": 1, "hostingMode": "default",
                    "publicNetworkAccess": "disabled",
                    "networkRuleSet": {"ipRules": [], "bypass": "None"},
                    "disableLocalAuth": False,
                    "authOptions": {"aadOrApiKey": {"aadAuthFailureMode": "http401WithBearerChallenge"}},
                    "semanticSearch": "disabled",
                }}

    def outputs(self, ctx: RunContext, actual: Json) -> dict[str, str]:
        return {"id": actual["id"], "name": actual["name"], "endpoint": f"https://{actual['name']}.search.windows.net",
                "principal_id": str((actual.get("identity") or {}).get("principalId", ""))}
