"""Cosmos DB (SQL API) for the agent service's threads: local auth off, no public network access, session
consistency, and the configured region — never a silent move to another one (the reference forces eastus2
for some regions, a data-residency surprise)."""

from __future__ import annotations

from foundry_litellm.context import RunContext
from foundry_litellm.step import ArmStep, Json, NamedOutputs, Sdk

from .resource_group import ResourceGroup


class CosmosOutputs(NamedOutputs):
    endpoint: str


class CosmosAccount(ArmStep):
    """See foundry_litellm/step.py."""

    name = "cosmos_account"
    title = "Cosmos DB account"
    depends_on = (ResourceGroup(),)
    sdk = Sdk("cosmosdb", "database_accounts")
    arm_type = "Microsoft.DocumentDB/databaseAccounts"
    immutable = ("kind",)
    create_timeout = 180 * 60  # azurerm cosmosdb_account create default (10-15 min per extra region)
    typical_seconds = 120  # typical create (the emulator's provider cites the source)
    delete_timeout = 180 * 60

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (ctx.names.cosmos,)

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

    def outputs(self, ctx: RunContext, actual: Json) -> CosmosOutputs:
        return {"id": actual["id"], "name": actual["name"],
                "endpoint": str(actual["properties"].get("documentEndpoint", ""))}
