"""Writing a Key Vault secret through the management plane: what every step that stores a secret shares (the
vault's secrets step, the PostgreSQL credentials, the App Gateway's certificate)."""

from __future__ import annotations

from foundry_litellm.azure_ops import send_by_id
from foundry_litellm.context import RunContext
from foundry_litellm.step import ArmStep, IdOutputs, Json, Sdk


def write_secret(ctx: RunContext, step: ArmStep, name: str, value: str, tags: dict[str, str], *,
                 content_type: str | None = None) -> Json | None:
    """PUT one secret (synchronous on the management plane); the value goes only to Azure."""
    props: Json = {"value": value, "attributes": {"enabled": True}}
    if content_type:
        props["contentType"] = content_type
    body = {"tags": tags, "properties": props}
    secret_id = ctx.resource_id("Microsoft.KeyVault/vaults/secrets", ctx.names.key_vault, name)
    result: Json | None = ctx.run(step, "write", lambda: send_by_id(ctx.clients, "PUT", secret_id,
                                                                     VAULT_SECRETS.api_version, body=body),
                                  timeout=step.create_timeout)
    return result


# Key Vault secrets on the management plane (synchronous PUT; no DELETE: secrets go with their vault).
class SecretOutputs(IdOutputs):
    uri: str  # without a version: Container Apps and Application Gateway resolve the latest through it


VAULT_SECRETS = Sdk("keyvault", "secrets", delete="delete", put="create_or_update")
MASTER_KEY = "litellm-master-key"
