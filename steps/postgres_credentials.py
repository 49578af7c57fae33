"""The PostgreSQL administrator password and the LiteLLM database URL, a pair of Key Vault secrets.

Both are written together: the URL embeds the password, and the management plane cannot read a secret's
value back. When either is missing a new password is generated, both secrets are written, and the server
step applies the new password to an existing server. Otherwise nothing is ever rewritten.
"""

from __future__ import annotations

import contextvars
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

from foundry_litellm import azure_ops, secrets
from foundry_litellm.context import RunContext
from foundry_litellm.diff import Change
from foundry_litellm.step import ArmStep, IdOutputs, Json

from .key_vault import KeyVault
from .secret_writes import VAULT_SECRETS, write_secret

PASSWORD = "postgres-admin-password"  # noqa: S105 - the secret's name, not a value
DATABASE_URL = "database-url"
DATABASE = "litellm"


def database_url(ctx: RunContext, password: str) -> str:
    login = ctx.config.postgres.admin_login
    host = f"{ctx.names.postgres}.postgres.database.azure.com"
    # Azure PostgreSQL requires TLS: without sslmode=require clients fail (MicrosoftDocs/azure-docs#49915).
    return f"postgresql://{login}:{quote(password, safe='')}@{host}:5432/{DATABASE}?sslmode=require"


class CredentialsOutputs(IdOutputs):
    database_url_id: str
    password_uri: str
    database_url_uri: str


class PostgresCredentials(ArmStep):
    """See foundry_litellm/step.py."""

    name = "postgres_credentials"
    title = "Secrets postgres-admin-password, database-url"
    depends_on = (KeyVault(),)
    sdk = VAULT_SECRETS
    arm_type = "Microsoft.KeyVault/vaults/secrets"

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (ctx.names.key_vault, PASSWORD)

    def read(self, ctx: RunContext) -> Json | None:
        url_id = ctx.resource_id(self.arm_type, ctx.names.key_vault, DATABASE_URL)
        with ThreadPoolExecutor(max_workers=1) as pool:  # both at once: one round trip, not two
            url_read = pool.submit(contextvars.copy_context().run, azure_ops.read_by_id, ctx.clients, url_id,
                                   self.sdk.api_version)
            password = azure_ops.read_by_id(ctx.clients, self.resource_id(ctx), self.sdk.api_version)
            url = url_read.result()
        if password is None or url is None:
            return None  # either missing: both are written again
        return password

    def body(self, ctx: RunContext) -> Json:
        return {"properties": {"attributes": {"enabled": True}}}

    def changes(self, ctx: RunContext, desired: Json, actual: Json) -> list[Change]:
        return []  # present means right: the values are never rewritten by a re-run

    def apply(self, ctx: RunContext, desired: Json, actual: Json | None) -> Json | None:
        password = ctx.secrets.get(PASSWORD) if ctx.secrets.generated_now(PASSWORD) else None
        if password is None:  # else the same pair again: a write whose answer was lost may have landed
            password = secrets.password(login=ctx.config.postgres.admin_login)
        ctx.secrets.put(PASSWORD, password, fresh=True)
        url = database_url(ctx, password)
        ctx.secrets.put(DATABASE_URL, url, fresh=True)
        tags = desired.get("tags") or {}
        result = write_secret(ctx, self, PASSWORD, password, tags)
        write_secret(ctx, self, DATABASE_URL, url, tags)
        return result

    def outputs(self, ctx: RunContext, actual: Json) -> CredentialsOutputs:
        vault = actual["id"].rsplit("/secrets/", 1)[0]
        return {"id": str(actual["id"]), "database_url_id": f"{vault}/secrets/{DATABASE_URL}",
                "password_uri": str(actual["properties"].get("secretUri", "")),
                "database_url_uri": str(actual["properties"].get("secretUri", "")).replace(PASSWORD, DATABASE_URL)}

    def delete(self, ctx: RunContext, actual: Json) -> None:
        """Secrets go with their vault (and come back with it when it is recovered)."""
