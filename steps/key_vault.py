"""The Key Vault of the gateway's secrets: RBAC, soft delete, no public access.

A soft-deleted vault of the same name is recovered (createMode recover) instead of failing on the name, and
the run says so (terraform's recover_soft_deleted_key_vaults). Destroy deletes it and purges it, unless
--no-purge keeps it recoverable.
"""

from __future__ import annotations

from foundry_litellm import access, azure_ops
from foundry_litellm.context import RunContext
from foundry_litellm.diff import Change
from foundry_litellm.step import ArmStep, Json, NamedOutputs, Sdk

from .managed_identity import ManagedIdentity
from .resource_group import ResourceGroup
from .role_assignment import KEY_VAULT_SECRETS_USER, RoleAssignment


class VaultOutputs(NamedOutputs):
    uri: str


class KeyVault(ArmStep):
    """See foundry_litellm/step.py."""

    name = "key_vault"
    title = "Key Vault"
    depends_on = (ResourceGroup(), ManagedIdentity("gateway"))
    sdk = Sdk("keyvault", "vaults", delete="delete")
    arm_type = "Microsoft.KeyVault/vaults"
    typical_seconds = 24  # typical create (the emulator's provider cites the source)
    # Purge protection cannot be turned off once on (Azure refuses); a change is a replace we refuse. Nor can the
    # soft-delete retention change once set (Learn "Azure Key Vault soft-delete overview").
    immutable = ("properties.enablePurgeProtection", "properties.softDeleteRetentionInDays")

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (ctx.names.key_vault,)

    def body(self, ctx: RunContext) -> Json:
        settings = ctx.config.key_vault
        props: Json = {
            # The vault's tenant is the subscription's: the one a user-assigned identity reports.
            "tenantId": ctx.output_of(ManagedIdentity("gateway"))["tenant_id"],
            "sku": {"family": "A", "name": settings.sku},
            "enableRbacAuthorization": True,
            "accessPolicies": [],  # required on create even with RBAC ("The parameter accessPolicies is not specified")
            "enableSoftDelete": True,
            "softDeleteRetentionInDays": settings.soft_delete_retention_days,
            "publicNetworkAccess": "Disabled",
            "networkAcls": {"bypass": "AzureServices", "defaultAction": "Deny", "ipRules": [],
                            "virtualNetworkRules": []},
            "enabledForDeployment": False,
            "enabledForTemplateDeployment": False,
            "enabledForDiskEncryption": False,
        }
        if settings.purge_protection:
            props["enablePurgeProtection"] = True
        return {"location": ctx.location, "properties": props}

    def changes(self, ctx: RunContext, desired: Json, actual: Json) -> list[Change]:
        changes = super().changes(ctx, desired, actual)
        if "enablePurgeProtection" not in desired["properties"] and actual["properties"].get("enablePurgeProtection"):
            changes.append(Change("properties.enablePurgeProtection", True, None))
        return changes

    def apply(self, ctx: RunContext, desired: Json, actual: Json | None) -> Json | None:
        if actual is None and self._soft_deleted(ctx):
            ctx.progress.progress(self, f"recovering the soft-deleted vault {ctx.names.key_vault}")
            recovered = {"location": desired["location"], "properties": {
                "tenantId": desired["properties"]["tenantId"], "sku": desired["properties"]["sku"],
                "createMode": "recover"}}
            super().apply(ctx, recovered, None)
            actual = self.read(ctx)
            if actual is None or not self.changes(ctx, desired, actual):
                return actual
        return super().apply(ctx, desired, actual)

    def _soft_deleted(self, ctx: RunContext) -> bool:
        try:
            deleted = azure_ops.read_by_id(ctx.clients, f"/subscriptions/{ctx.subscription_id}/providers/"
                                           f"Microsoft.KeyVault/locations/{ctx.location}/deletedVaults/"
                                           f"{ctx.names.key_vault}", self.sdk.api_version)
        except Exception as exc:
            if azure_ops.is_forbidden(exc):  # cannot know: try the create, as azurerm does
                ctx.warn("deleted-vault-read", _need(ctx, "read").refused(
                    f"a soft-deleted vault named {ctx.names.key_vault} could not be looked for; if there is one, "
                    "the create is refused until it is recovered or purged"))
                return False
            raise
        return deleted is not None

    def delete(self, ctx: RunContext, actual: Json) -> None:
        try:
            self.operations(ctx).delete(*self.args(ctx))
        except Exception as exc:
            if not azure_ops.is_not_found(exc):
                raise
        if not ctx.purge:
            ctx.progress.progress(self, "kept soft-deleted (--no-purge): deploy recovers it")
            return
        if actual["properties"].get("enablePurgeProtection"):
            ctx.progress.progress(self, "soft-deleted; purge protection forbids a purge until retention ends")
            return
        self._purge(ctx)

    def finish_delete(self, ctx: RunContext) -> None:
        if not ctx.purge:
            return
        try:
            deleted = self.operations(ctx).get_deleted(ctx.names.key_vault, ctx.location, cls=azure_ops.raw)
        except Exception as exc:
            if azure_ops.is_not_found(exc):
                return
            if azure_ops.is_forbidden(exc):
                ctx.warn("deleted-vault-read", _need(ctx, "read").refused(
                    f"whether the vault {ctx.names.key_vault} stays soft-deleted could not be checked"))
                return
            raise
        if not ((deleted or {}).get("properties") or {}).get("purgeProtectionEnabled"):
            self._purge(ctx)

    def _purge(self, ctx: RunContext) -> None:
        purge = self.operations(ctx).begin_purge_deleted
        try:
            ctx.run(self, "purge", lambda **kw: purge(ctx.names.key_vault, ctx.location, **kw),
                    timeout=self.delete_timeout, missing_ok=True)
        except Exception as exc:
            if not azure_ops.is_forbidden(exc):
                raise
            days = ctx.config.key_vault.soft_delete_retention_days
            ctx.warn("deleted-vault-purge", _need(ctx, "purge/action").refused(
                f"the vault {ctx.names.key_vault} stays soft-deleted for {days} days; the next deploy recovers it"))


def _need(ctx: RunContext, action: str) -> access.Need:
    """Deleted vaults live at subscription scope (Microsoft.KeyVault/locations/deletedVaults)."""
    roles = access.READERS if action == "read" else access.WRITERS
    return access.Need(f"Microsoft.KeyVault/locations/deletedVaults/{action}",
                       access.subscription_scope(ctx.subscription_id), roles)

    def outputs(self, ctx: RunContext, actual: Json) -> VaultOutputs:
        return {"id": actual["id"], "name": actual["name"], "uri": str(actual["properties"].get("vaultUri", ""))}


def gateway_secrets_user() -> RoleAssignment:
    """The gateway identity's read access to the vault's secrets (Container Apps and Application Gateway resolve
    their Key Vault references as that identity)."""
    return RoleAssignment("gateway-key-vault-secrets-user", scope=KeyVault().resource_id, principal=ManagedIdentity(
        "gateway"), role=KEY_VAULT_SECRETS_USER, depends_on=(KeyVault(),))
