"""Cosmos DB (SQL API) for the agent service's threads: local auth off, no public network access, session
consistency, and the configured region — never a silent move to another one (the reference forces eastus2
for some regions, a data-residency surprise)."""

from __future__ import annotations

from typing import Any

from foundry_litellm.context import RunContext
from foundry_litellm.step import ArmStep, Json, Sdk


class CosmosAccount(ArmStep):
    """See foundry_litellm/step.py."""

    name = "cosmos_account"
    title = "Cosmos DB account"
    depends_on = ("resource_group",)
    sdk = Sdk("cosmosdb", "database_accounts")
    immutable = ("kind",)
    create_timeout = 180 * 60  # azurerm cosmosdb_account create default (10-15 min per extra region)
    delete_timeout = 180 * 60

    def resource_id(self, ctx: RunContext) -> str:
        return ctx.resource_id("Microsoft.DocumentDB/databaseAccounts", ctx.names.cosmos)

    def args(self, ctx: RunContext) -> tuple[Any, ...]:
        return (ctx.resource_group, ctx.names.cosmos)

    def body(self, ctx: RunContext) -> Json:
        return {"location": ctx.location, "kind": "GlobalDocumentDB", "properties": {
            "databaseAccountOfferType": "Standard",
            "consistencyPolicy": {"defaultConsistencyLevel": "Session"},
            "locations": [{"locationName": ctx.location, "failoverPriority": 0, "isZoneRedundant": False}],
            "disableLocalAuth": True,
            "disableKeyBasedMetadataWriteAccess": True,
            "publicNetworkAccess": "Disabled",
            "enableAutomaticFailover": False,
            "enableMultipleWriteLocations": False,
            "enableFreeTier": False,
        }}

    def outputs(self, ctx: RunContext, actual: Json) -> dict[str, str]:
        return {"id": actual["id"], "name": actual["name"],
                "endpoint": str(actual["properties"].get("documentEndpoint", ""))}
