"""The storage account of the Foundry agent service: no shared keys, no public blob access, TLS 1.2, no
public network access (a private endpoint instead)."""

from __future__ import annotations

from foundry_litellm.context import RunContext
from foundry_litellm.step import ArmStep, Json, NamedOutputs, Sdk

from .resource_group import ResourceGroup

# Zone-redundant storage where the region offers it; these regions take GRS in the reference
# (standard-dependent-resources.bicep) because ZRS is not available there.
_GRS_REGIONS = {"southindia", "westus", "northcentralus"}


class StorageOutputs(NamedOutputs):
    blob_endpoint: str


class StorageAccount(ArmStep):
    """See foundry_litellm/step.py."""

    name = "storage_account"
    title = "Storage account"
    depends_on = (ResourceGroup(),)
    sdk = Sdk("storage", "storage_accounts", put="begin_create", delete="delete")
    arm_type = "Microsoft.Storage/storageAccounts"
    immutable = ("kind",)
    create_timeout = 60 * 60  # azurerm storage_account create default
    typical_seconds = 27  # typical create (the emulator's provider cites the source)

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (ctx.names.storage,)

    def body(self, ctx: RunContext) -> Json:
        sku = "Standard_GRS" if ctx.location in _GRS_REGIONS else "Standard_ZRS"
        return {"location": ctx.location, "kind": "StorageV2", "sku": {"name": sku}, "properties": {
            "minimumTlsVersion": "TLS1_2",
            "allowBlobPublicAccess": False,
            "allowSharedKeyAccess": False,
            "supportsHttpsTrafficOnly": True,
            "publicNetworkAccess": "Disabled",
            "networkAcls": {"bypass": "AzureServices", "defaultAction": "Deny", "virtualNetworkRules": [],
                            "ipRules": []},
        }}

    def outputs(self, ctx: RunContext, actual: Json) -> StorageOutputs:
        endpoints = actual["properties"].get("primaryEndpoints") or {}
        return {"id": actual["id"], "name": actual["name"], "blob_endpoint": str(endpoints.get("blob", ""))}
