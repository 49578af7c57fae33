"""Microsoft Defender for PostgreSQL on the gateway's server (``postgres.threat_protection``, billed): the server's
advanced threat protection setting, named ``Default`` (its only name; postgresql spec, ServerThreatProtectionSettings).

The step is in the pipeline only while the option is on. Switched off, it is retired: deploy then "deletes" it, which
for a setting that cannot be deleted means writing it back to ``Disabled``.
"""

from __future__ import annotations

from foundry_litellm.context import RunContext
from foundry_litellm.step import Json, Sdk, StateOutputs

from .postgres_server import ServerChild

SETTING = "Default"


class PostgresThreatProtection(ServerChild):
    """See foundry_litellm/step.py."""

    name = "postgres_threat_protection"
    title = "PostgreSQL threat protection"
    sdk = Sdk("postgres", "server_threat_protection_settings")
    arm_type = "Microsoft.DBforPostgreSQL/flexibleServers/advancedThreatProtectionSettings"

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (ctx.names.postgres, SETTING)

    def body(self, ctx: RunContext) -> Json:
        return {"properties": {"state": "Enabled"}}

    def delete(self, ctx: RunContext, actual: Json) -> None:
        """Switch it off (a setting has no DELETE); when the server goes too, its own delete covers it."""
        if str((actual.get("properties") or {}).get("state", "")).lower() != "disabled":
            self.apply(ctx, {"properties": {"state": "Disabled"}}, actual)

    def outputs(self, ctx: RunContext, actual: Json) -> StateOutputs:
        return {"state": str((actual.get("properties") or {}).get("state", ""))}
