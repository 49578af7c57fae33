"""PostgreSQL Flexible Server for LiteLLM: pinned version, password auth with the generated password (Entra
auth as an option), no public network access (a private endpoint instead), Defender off unless configured;
its database ``litellm``."""

from __future__ import annotations

from foundry_litellm.context import RunContext
from foundry_litellm.diff import Change
from foundry_litellm.step import ArmStep, IdOutputs, Json, Sdk, Step

from .postgres_credentials import DATABASE, PASSWORD, PostgresCredentials
from .resource_group import ResourceGroup


class ServerOutputs(IdOutputs):
    fqdn: str


class PostgresServer(ArmStep):
    """See foundry_litellm/step.py."""

    name = "postgres_server"
    title = "PostgreSQL server"
    depends_on = (ResourceGroup(), PostgresCredentials())
    sdk = Sdk("postgres", "servers")
    arm_type = "Microsoft.DBforPostgreSQL/flexibleServers"
    create_timeout = 60 * 60  # azurerm postgresql_flexible_server create default
    typical_seconds = 270  # typical create (the emulator's provider cites the source)
    delete_timeout = 60 * 60
    ignore = ("properties.administratorLoginPassword",)  # write-only: Azure never returns it
    immutable = ("properties.administratorLogin", "properties.version")

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (ctx.names.postgres,)

    def body(self, ctx: RunContext) -> Json:
        pg = ctx.config.postgres
        return {"location": ctx.location, "sku": {"name": pg.sku, "tier": pg.tier}, "properties": {
            "version": pg.version,
            "administratorLogin": pg.admin_login,
            "storage": {"storageSizeGB": pg.storage_gb},
            "backup": {"backupRetentionDays": 7, "geoRedundantBackup": "Disabled"},
            "highAvailability": {"mode": "Disabled"},
            "network": {"publicNetworkAccess": "Disabled"},
            "authConfig": {"activeDirectoryAuth": "Enabled" if pg.entra_auth else "Disabled",
                           "passwordAuth": "Enabled"},
        }}

    def apply(self, ctx: RunContext, desired: Json, actual: Json | None) -> Json | None:
        password = ctx.secrets.get(PASSWORD)
        if actual is None and password is None:
            # The server is new but the password's value is unknown to this run: generate a new pair.
            PostgresCredentials().apply(ctx, {"tags": ctx.tags}, None)
            password = ctx.secrets.get(PASSWORD)
        body = dict(desired)
        if password is not None and (actual is None or ctx.secrets.owed(PASSWORD, self.name)):
            body["properties"] = {**desired["properties"], "administratorLoginPassword": password}
        if actual is None:  # a create that lands holds the password; one that does not is sent again whole
            ctx.secrets.delivered(PASSWORD, self.name)
        written = super().apply(ctx, body, actual)
        ctx.secrets.delivered(PASSWORD, self.name)
        return written

    def changes(self, ctx: RunContext, desired: Json, actual: Json) -> list[Change]:
        changes = super().changes(ctx, desired, actual)
        if ctx.secrets.owed(PASSWORD, self.name):  # the credentials were regenerated: the server must follow
            changes.append(Change("properties.administratorLoginPassword", "(previous)", "(new, in Key Vault)"))
        return changes

    def outputs(self, ctx: RunContext, actual: Json) -> ServerOutputs:
        return {"id": actual["id"], "fqdn": str(actual["properties"].get("fullyQualifiedDomainName", ""))}


class ServerChild(ArmStep):
    """A child of the server without tags of its own: owned with the server, deleted with it."""

    depends_on: tuple[Step, ...] = (PostgresServer(),)
    tagged = False

    def lock_holder(self) -> ArmStep:
        return PostgresServer()  # one write at a time per server: its databases and parameters queue

    def parent(self) -> ArmStep:
        return PostgresServer()

    def delete(self, ctx: RunContext, actual: Json) -> None:
        """Goes with its server."""


class PostgresDatabase(ServerChild):
    """See foundry_litellm/step.py."""

    name = "postgres_database"
    title = "PostgreSQL database litellm"
    sdk = Sdk("postgres", "databases", put="begin_create")
    arm_type = "Microsoft.DBforPostgreSQL/flexibleServers/databases"

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (ctx.names.postgres, DATABASE)

    def body(self, ctx: RunContext) -> Json:
        return {"properties": {"charset": "UTF8", "collation": "en_US.utf8"}}
