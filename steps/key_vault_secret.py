"""Secrets in the gateway's Key Vault, written through the management plane (which works while the vault's
public network access is disabled; the data plane would not).

- ``openai-api-key`` comes from OPENAI_API_KEY, or, with named upstreams, ``openai-api-key-<name>`` from each
  upstream's ``key_env``; a SHA-256 fingerprint in its tags shows a change of the environment's value without
  reading the secret back, and only then is it rewritten.
- ``litellm-master-key``, ``litellm-salt-key`` and ``litellm-ui-password`` are generated once and never
  changed by a re-run: LiteLLM cannot decrypt its stored credentials if the salt key changes.
"""

from __future__ import annotations

from collections.abc import Callable

from foundry_litellm import secrets
from foundry_litellm.config import Config
from foundry_litellm.context import RunContext
from foundry_litellm.diff import Change
from foundry_litellm.errors import Forgotten
from foundry_litellm.litellm_config import UPSTREAM_KEY_SECRET, upstream_secret
from foundry_litellm.step import ArmStep, Json

from .key_vault import KeyVault
from .model_gateway_base import MASTER_KEY_USERS
from .secret_writes import MASTER_KEY, VAULT_SECRETS, SecretOutputs, write_secret

GENERATORS: dict[str, Callable[[], str]] = {
    "litellm-master-key": secrets.litellm_key,
    "litellm-salt-key": secrets.litellm_key,
    "litellm-ui-password": lambda: secrets.password(24),
}


def from_environment(secret: str) -> bool:
    """An upstream's key: its value comes from the environment, never generated."""
    return secret == UPSTREAM_KEY_SECRET or secret.startswith(f"{UPSTREAM_KEY_SECRET}-")


def upstream_keys(config: Config) -> list[str]:
    """The secrets of the configured upstreams' keys."""
    return [upstream_secret(name) for name in config.gateway.upstream_names]


def vault_secrets(config: Config) -> list[str]:
    """Every secret of this step kind the configuration needs, in deploy order."""
    return [*upstream_keys(config), *GENERATORS]


def master_key_replaceable(ctx: RunContext) -> bool:
    """True when a new master key may be generated without asking, because the value in Key Vault is unknown
    to this run (it lived only in the run that generated it: neither Key Vault's management plane nor a Foundry
    connection gives a secret back) and a ModelGateway connection must be written with it, while nobody
    outside the tool can depend on the current key: no deploy of this environment has finished, or no
    connection exists. The connections and the gateway app then follow the new key in the same run."""
    if all(ctx.state.step(user.name).get("status") == "succeeded" for user in MASTER_KEY_USERS):
        return False  # both written: nothing needs the value (a PATCH keeps the credential Azure holds)
    missing = [user.read(ctx) is None for user in MASTER_KEY_USERS]
    return any(missing) and (all(missing) or not ctx.state.data.get("outputs"))  # outputs: a deploy finished


class VersionedSecretOutputs(SecretOutputs):
    version: str


class KeyVaultSecret(ArmStep):
    """See foundry_litellm/step.py."""

    sdk = VAULT_SECRETS
    arm_type = "Microsoft.KeyVault/vaults/secrets"
    tagged = True

    def __init__(self, secret: str) -> None:
        if secret not in GENERATORS and not from_environment(secret):
            raise ValueError(f"unknown secret {secret}")
        self.secret = secret
        self.name = f"key_vault_secret:{secret}"
        self.title = f"Secret {secret}"
        self.depends_on = (KeyVault(),)

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (ctx.names.key_vault, self.secret)

    def body(self, ctx: RunContext) -> Json:
        tags: dict[str, str] = {}
        if from_environment(self.secret):
            value = ctx.secrets.get(self.secret)
            if value is not None:  # status and destroy run without the environment's value
                tags[secrets.FINGERPRINT_TAG] = secrets.fingerprint(value)
        return {"tags": tags, "properties": {"attributes": {"enabled": True}}}

    def changes(self, ctx: RunContext, desired: Json, actual: Json) -> list[Change]:
        changes = super().changes(ctx, desired, actual)
        if ctx.secrets.generated_now(self.secret):  # written in this run already (a retry after a lost answer)
            return []
        if self.secret in ctx.rotate:  # asked for explicitly, never by accident
            return [Change("properties.value", "(current)", "(new, generated)")]
        if self.secret == MASTER_KEY and ctx.secrets.get(MASTER_KEY) is None and master_key_replaceable(ctx):
            return [Change("properties.value", "(unknown to this run, not yet relied on)", "(new, generated)")]
        if self.secret in GENERATORS:  # generated once: never rewritten because of tags or attributes
            return []
        return changes

    def apply(self, ctx: RunContext, desired: Json, actual: Json | None) -> Json | None:
        if from_environment(self.secret):
            value = ctx.secrets.get(self.secret)
            if value is None:
                raise ValueError(f"{self.secret} has no value in this run")
        elif ctx.secrets.generated_now(self.secret):  # the same value again after a lost answer
            value = str(ctx.secrets.get(self.secret))
        else:
            value = GENERATORS[self.secret]()
            ctx.secrets.put(self.secret, value, fresh=True)
        return write_secret(ctx, self, self.secret, value, desired.get("tags") or {})

    def outputs(self, ctx: RunContext, actual: Json) -> VersionedSecretOutputs:
        # The secret's URI without a version: Container Apps resolves the latest version through it.
        versioned = str(actual["properties"].get("secretUriWithVersion", ""))
        return {"id": str(actual["id"]), "uri": str(actual["properties"].get("secretUri", "")),
                "version": versioned.rsplit("/", 1)[-1] if versioned else ""}

    def delete(self, ctx: RunContext, actual: Json) -> None:
        """Secrets go with their vault (and come back with it when it is recovered)."""


class RetiredUpstreamKey(KeyVaultSecret):
    """The key of an upstream the configuration no longer has: Key Vault's management plane cannot delete a
    secret, and its data plane is closed to this tool (no public network access), so the secret stays until its
    vault goes; the run says so, and the state forgets it."""

    def left_in_place(self, ctx: RunContext) -> str:
        return (f"left in Key Vault {ctx.names.key_vault} (only the vault's deletion removes it; the app no longer "
                "refers to it)")

    def delete(self, ctx: RunContext, actual: Json) -> None:
        raise Forgotten(self.left_in_place(ctx))
