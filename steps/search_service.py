"""AI Search for the agent service's vector stores: system-assigned identity, no public network access."""

from __future__ import annotations

from foundry_litellm.context import RunContext
from foundry_litellm.step import ArmStep, Json, NamedOutputs, Sdk

from .resource_group import ResourceGroup


class SearchOutputs(NamedOutputs):
    endpoint: str
    principal_id: str


class SearchService(ArmStep):
    """See foundry_litellm/step.py."""

    name = "search_service"
    title = "AI Search"
    depends_on = (ResourceGroup(),)
    sdk = Sdk("search", "services", delete="delete")
    arm_type = "Microsoft.Search/searchServices"
    immutable = ("sku.name",)
    create_timeout = 60 * 60  # azurerm search_service create default; over an hour has been seen (#1218)
    typical_seconds = 290  # typical create (the emulator's provider cites the source)

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (ctx.names.search,)

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

    def outputs(self, ctx: RunContext, actual: Json) -> SearchOutputs:
        return {"id": actual["id"], "name": actual["name"], "endpoint": f"https://{actual['name']}.search.windows.net",
                "principal_id": str((actual.get("identity") or {}).get("principalId", ""))}
