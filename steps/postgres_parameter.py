"""A PostgreSQL server parameter that the deployment insists on: TLS required, and its minimum version.

Parameters exist with the server and cannot be created or deleted, only set: a new server already has
``require_secure_transport = on``, so the step reads it and writes nothing; a value changed by hand shows as
drift and the next deploy sets it back (CIS Azure Foundations 5.2.1 audits exactly this parameter).
"""

from __future__ import annotations

from typing import TypedDict

from foundry_litellm.context import RunContext
from foundry_litellm.diff import Change
from foundry_litellm.step import Json, Sdk

from .postgres_server import ServerChild

TLS_PARAMETERS = ("require_secure_transport", "ssl_min_protocol_version")


class ParameterOutputs(TypedDict):
    value: str


class PostgresParameter(ServerChild):
    """See foundry_litellm/step.py."""

    sdk = Sdk("postgres", "configurations", put="begin_put")
    arm_type = "Microsoft.DBforPostgreSQL/flexibleServers/configurations"

    def __init__(self, parameter: str) -> None:
        self.parameter = parameter
        self.name = f"postgres_parameter:{parameter}"
        self.title = f"PostgreSQL parameter {parameter}"

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (ctx.names.postgres, self.parameter)

    def value(self, ctx: RunContext) -> str:
        if self.parameter == "require_secure_transport":
            return "on"
        return ctx.config.postgres.min_tls_version

    def body(self, ctx: RunContext) -> Json:
        return {"properties": {"value": self.value(ctx), "source": "user-override"}}

    def changes(self, ctx: RunContext, desired: Json, actual: Json) -> list[Change]:
        # Only the value matters: the source says who set it, and Azure spells values as it likes ("ON").
        want, have = desired["properties"]["value"], str(actual.get("properties", {}).get("value", ""))
        return [] if want.lower() == have.lower() else [Change("properties.value", have, want)]

    def update_body(self, desired: Json, actual: Json) -> Json:
        return desired  # the other properties are read-only

    def outputs(self, ctx: RunContext, actual: Json) -> ParameterOutputs:
        return {"value": str(actual.get("properties", {}).get("value", ""))}
