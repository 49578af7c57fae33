"""Secrets in the gateway's Key Vault, written through the management plane (which works while the vault's
public network access is disabled; the data plane would not).

- ``openai-api-key`` comes from OPENAI_API_KEY; a SHA-256 fingerprint in its tags shows a change of the
  environment's value without reading the secret back, and only then is it rewritten.
- ``litellm-master-key``, ``litellm-salt-key`` and ``litellm-ui-password`` are generated once and never
  changed by a re-run: LiteLLM cannot decrypt its stored credentials if the salt key changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from foundry_litellm import secrets
from foundry_litellm.context import RunContext
from foundry_litellm.diff import Change
from foundry_litellm.step import ArmStep, Json, Sdk

GENERATORS: dict[str, Callable[[], str]] = {
    "litellm-master-key": secrets.litellm_key,
    "litellm-salt-key": secrets.litellm_key,
    "litellm-ui-password": lambda: secrets.password(24),
}
FROM_ENVIRONMENT = {"openai-api-key"}


def write_secret(ctx: RunContext, step: ArmStep, name: str, value: str, tags: dict[str, str], *,
                 content_type: str | None = None) -> Json | None:
    """PUT one secret (synchronous on the management plane); the value goes only to Azure."""
    ops = ctx.clients.get("keyvault").secrets
    props: Json = {"value": value, "attributes": {"enabled": True}}
    if content_type:
        props["contentType"] = content_type
    body = {"tags": tags, "properties": props}
    put = ops.create_or_update
    args = (ctx.resource_group, ctx.names.key_vault, name)
    from foundry_litellm.azure_ops import body_bytes, raw

    result: Json | None = ctx.run(step, "write", lambda **kw: put(*args, body_bytes(body), cls=raw, **kw),
                                  timeout=step.create_timeout)
    return result


# Key Vault secrets on the management plane (synchronous PUT; no DELETE: secrets go with their vault).
VAULT_SECRETS = Sdk("keyvault", "secrets", delete="delete", put="create_or_update")
MASTER_KEY = "litellm-master-key"
_MASTER_KEY_USERS = ("litellm_app", "model_gateway_connection", "model_gateway_connection:static")


def _unused_master_key(ctx: RunContext) -> bool:
    """True when neither the gateway app nor a ModelGateway connection exists (live reads, only when the state
    file does not already record them as deployed)."""
    if any(ctx.state.step(name).get("status") == "succeeded" for name in _MASTER_KEY_USERS):
        return False
    from .litellm_app import LiteLLMApp
    from .model_gateway_connection import ModelGatewayConnection

    users: list[ArmStep] = [LiteLLMApp(), ModelGatewayConnection(discovery=True),
                            ModelGatewayConnection(discovery=False)]
    return all(user.read(ctx) is None for user in users)


class KeyVaultSecret(ArmStep):
    """See foundry_litellm/step.py."""

    sdk = VAULT_SECRETS
    tagged = True

    def __init__(self, secret: str) -> None:
        if secret not in GENERATORS and secret not in FROM_ENVIRONMENT:
            raise ValueError(f"unknown secret {secret}")
        self.secret = secret
        self.name = f"key_vault_secret:{secret}"
        self.title = f"Secret {secret}"
        self.depends_on = ("key_vault",)

    def resource_id(self, ctx: RunContext) -> str:
        return ctx.resource_id("Microsoft.KeyVault/vaults/secrets", ctx.names.key_vault, self.secret)

    def args(self, ctx: RunContext) -> tuple[Any, ...]:
        return (ctx.resource_group, ctx.names.key_vault, self.secret)

    def body(self, ctx: RunContext) -> Json:
        tags: dict[str, str] = {}
        if self.secret in FROM_ENVIRONMENT:
            value = ctx.secrets.get(self.secret)
            if value is not None:  # status and destroy run without the environment's value
                tags[secrets.FINGERPRINT_TAG] = secrets.fingerprint(value)
        return {"tags": tags, "properties": {"attributes": {"enabled": True}}}

    def changes(self, ctx: RunContext, desired: Json, actual: Json) -> list[Change]:
        changes = super().changes(ctx, desired, actual)
        if self.secret in ctx.rotate:  # asked for explicitly, never by accident
            return [Change("properties.value", "(current)", "(new, generated)")]
        if self.secret == MASTER_KEY and ctx.secrets.get(MASTER_KEY) is None and _unused_master_key(ctx):
            # Only Key Vault knows the value, and the Foundry connections about to be created need it. Nothing
            # uses the current key (no gateway app, no connection), so a new one breaks nothing.
            return [Change("properties.value", "(unknown to this run, unused)", "(new, generated)")]
        if self.secret in GENERATORS:  # generated once: never rewritten because of tags or attributes
            return []
        return changes

    def apply(self, ctx: RunContext, desired: Json, actual: Json | None) -> Json | None:
        if self.secret in FROM_ENVIRONMENT:
            value = ctx.secrets.get(self.secret)
            if value is None:
                raise ValueError(f"{self.secret} has no value in this run")
        else:
            value = GENERATORS[self.secret]()
            ctx.secrets.put(self.secret, value, fresh=True)
        return write_secret(ctx, self, self.secret, value, desired.get("tags") or {})

    def outputs(self, ctx: RunContext, actual: Json) -> dict[str, str]:
        # The secret's URI without a version: Container Apps resolves the latest version through it.
        versioned = str(actual["properties"].get("secretUriWithVersion", ""))
        return {"id": actual["id"], "uri": str(actual["properties"].get("secretUri", "")),
                "version": versioned.rsplit("/", 1)[-1] if versioned else ""}

    def delete(self, ctx: RunContext, actual: Json) -> None:
        """Secrets go with their vault (and come back with it when it is recovered)."""
