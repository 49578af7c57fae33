"""The Foundry account (Cognitive Services, kind AIServices): its own identity, project management, local auth
off, and the Agent service injected into the agent subnet.

A soft-deleted account of the same name is restored (``restore: true``) instead of failing with
FlagMustBeSetForRestore (azure-cli#18146). Destroy deletes it and purges it (by its original location) unless
--no-purge; only the purge makes Azure release the agent subnet (foundry-samples PR #276, TESTING-GUIDE).
"""

from __future__ import annotations

from foundry_litellm import access, azure_ops
from foundry_litellm.context import RunContext
from foundry_litellm.step import ArmStep, Json, NamedOutputs, Sdk

from .managed_identity import ManagedIdentity
from .resource_group import ResourceGroup
from .resource_provider import AGENT_SERVICE_NAMESPACES
from .subnet import Subnet

ACCOUNT_TYPE = "Microsoft.CognitiveServices/accounts"


class AccountOutputs(NamedOutputs):
    endpoint: str


class FoundryAccount(ArmStep):
    """See foundry_litellm/step.py."""

    name = "foundry_account"
    title = "Foundry account"
    depends_on = (ResourceGroup(), ManagedIdentity("foundry"), Subnet("agent"))
    registrations = AGENT_SERVICE_NAMESPACES  # the injected Agent service runs on them (foundry-samples#853)
    sdk = Sdk("cognitive", "accounts", put="begin_create")
    arm_type = ACCOUNT_TYPE
    create_timeout = 180 * 60  # azurerm ai_foundry create default
    typical_seconds = 54  # typical create (the emulator's provider cites the source)
    delete_timeout = 60 * 60
    immutable = ("kind", "properties.customSubDomainName", "properties.networkInjections")

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (ctx.names.foundry_account,)

    def lock_holder(self) -> ArmStep:
        return self  # writes under one account conflict in Azure (azure-dev#6960): it and its children share it

    def body(self, ctx: RunContext) -> Json:
        public = ctx.config.foundry.public_network_access
        agent_subnet = Subnet("agent").resource_id(ctx)
        identity = ctx.output_of(ManagedIdentity("foundry"))["id"]
        return {"location": ctx.location, "kind": "AIServices", "sku": {"name": "S0"},
                "identity": {"type": "UserAssigned", "userAssignedIdentities": {identity: {}}},
                "properties": {
                    "allowProjectManagement": True,
                    "customSubDomainName": ctx.names.foundry_account,
                    "disableLocalAuth": True,
                    "publicNetworkAccess": public,
                    "networkAcls": {"bypass": "AzureServices",
                                    "defaultAction": "Allow" if public == "Enabled" else "Deny",
                                    "ipRules": [], "virtualNetworkRules": []},
                    "networkInjections": [{"scenario": "agent", "subnetArmId": agent_subnet,
                                           "useMicrosoftManagedNetwork": False}],
                }}

    def apply(self, ctx: RunContext, desired: Json, actual: Json | None) -> Json | None:
        if actual is None and self._soft_deleted(ctx):
            ctx.progress.progress(self, f"restoring the soft-deleted account {ctx.names.foundry_account}")
            desired = {**desired, "properties": {**desired["properties"], "restore": True}}
        return super().apply(ctx, desired, actual)

    def _soft_deleted(self, ctx: RunContext) -> bool:
        try:
            return azure_ops.read_by_id(
                ctx.clients, f"/subscriptions/{ctx.subscription_id}/providers/Microsoft.CognitiveServices/locations/"
                f"{ctx.location}/resourceGroups/{ctx.resource_group}/deletedAccounts/{ctx.names.foundry_account}",
                self.sdk.api_version) is not None
        except Exception as exc:
            if not azure_ops.is_forbidden(exc):
                raise
            # Cannot know: try the create, as azurerm does.
            ctx.warn("deleted-account-read", self._need(ctx, "read").refused(
                f"a soft-deleted account named {ctx.names.foundry_account} could not be looked for; if there is "
                "one, the create is refused until it is restored or purged"))
            return False

    def _need(self, ctx: RunContext, verb: str) -> access.Need:
        """Deleted accounts live at subscription scope, under the location and the group's name."""
        scope = (f"/subscriptions/{ctx.subscription_id}/providers/Microsoft.CognitiveServices/locations/"
                 f"{ctx.location}/resourceGroups/{ctx.resource_group}/deletedAccounts/{ctx.names.foundry_account}")
        return access.Need(f"Microsoft.CognitiveServices/locations/resourceGroups/deletedAccounts/{verb}", scope,
                           access.READERS if verb == "read" else f"{access.WRITERS} on the subscription")

    def delete(self, ctx: RunContext, actual: Json) -> None:
        super().delete(ctx, actual)
        if not ctx.purge:
            ctx.progress.progress(self, "kept soft-deleted (--no-purge): the agent subnet stays held until a purge")
            return
        self._purge(ctx, str(actual.get("location") or ctx.location))

    def finish_delete(self, ctx: RunContext) -> None:
        if ctx.purge and self._soft_deleted(ctx):
            self._purge(ctx, ctx.location)

    def _purge(self, ctx: RunContext, location: str) -> None:
        """A purge must name the account's original location."""
        purge = ctx.clients.get("cognitive").deleted_accounts.begin_purge
        try:
            ctx.run(self, "purge", lambda **kw: purge(location, ctx.resource_group, ctx.names.foundry_account, **kw),
                    timeout=self.delete_timeout, missing_ok=True)
        except Exception as exc:
            if not azure_ops.is_forbidden(exc):
                raise
            ctx.purge_refused = True
            ctx.warn("deleted-account-purge", self._need(ctx, "delete").refused(
                f"the account {ctx.names.foundry_account} stays soft-deleted for 48 hours and holds the agent "
                "subnet until then; the next deploy restores it"))

    def outputs(self, ctx: RunContext, actual: Json) -> AccountOutputs:
        endpoints = actual["properties"].get("endpoints") or {}
        return {"id": actual["id"], "name": actual["name"],
                "endpoint": str(endpoints.get("AI Foundry API") or f"https://{actual['name']}.services.ai.azure.com/")}
