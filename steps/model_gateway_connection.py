"""Foundry connections of category ModelGateway on the account, shared to all projects, pointing at the
LiteLLM app: one with model discovery (``/v1/models``), one with the static model list. Every metadata value
is a string (lists and objects as JSON text: the SDK would turn a Python list into its repr, azure-sdk-notes
§1). The credential is the LiteLLM master key: sent only when the connection is written, never kept.
"""

from __future__ import annotations

import json

from foundry_litellm import azure_ops
from foundry_litellm.context import RunContext
from foundry_litellm.diff import Change
from foundry_litellm.errors import ToolError
from foundry_litellm.step import Json

from .foundry_account import FoundryAccount
from .key_vault_secret import KeyVaultSecret
from .litellm_app import LiteLLMApp
from .model_gateway_base import ModelGatewayConnectionBase
from .secret_writes import MASTER_KEY


class ModelGatewayConnection(ModelGatewayConnectionBase):
    """See foundry_litellm/step.py."""

    def __init__(self, discovery: bool) -> None:
        super().__init__(discovery)
        self.depends_on = (FoundryAccount(), LiteLLMApp(), KeyVaultSecret(MASTER_KEY))

    def body(self, ctx: RunContext) -> Json:
        metadata: dict[str, str] = {"deploymentInPath": "false", "inferenceAPIVersion": ""}
        if self.discovery:
            metadata["deploymentAPIVersion"] = ""
            metadata["modelDiscovery"] = json.dumps({"listModelsEndpoint": "/v1/models",
                                                     "getModelEndpoint": "/v1/models/{deploymentName}",
                                                     "deploymentProvider": "OpenAI"}, separators=(",", ":"))
        else:
            metadata["models"] = json.dumps([
                {"name": m.name, "properties": {"model": {"name": m.model or m.deployment, "version": "",
                                                          "format": "OpenAI"}}}
                for m in ctx.config.gateway.models], separators=(",", ":"))
        return {"properties": {"category": "ModelGateway", "target": f"https://{ctx.output_of(LiteLLMApp())['fqdn']}",
                               "authType": "ApiKey", "isSharedToAll": True, "metadata": metadata}}

    def apply(self, ctx: RunContext, desired: Json, actual: Json | None) -> Json | None:
        key = ctx.secrets.get(MASTER_KEY)
        if actual is not None and not ctx.secrets.owed(MASTER_KEY, self.name):
            # PATCH what changed and keep the credential Azure holds: a PUT would need the key again.
            resource_id = self.resource_id(ctx)
            result: Json | None = ctx.run(
                self, "write", lambda: azure_ops.send_by_id(ctx.clients, "PATCH", resource_id, self.sdk.api_version,
                                                            body=desired, **azure_ops.RETRY_REPEATABLE),
                timeout=self.create_timeout)
            return result
        if key is None:
            raise ToolError(
                f"{self.title} must be written with the LiteLLM master key, which only Key Vault holds (its value "
                "cannot be read back through the management plane) and a deploy has already finished with it",
                hint="run deploy --rotate-master-key: a new key is written to Key Vault, and the gateway app and "
                     "both connections follow it")
        body = {"properties": {**desired["properties"], "credentials": {"key": key}}}
        if actual is None:  # a create that lands holds the key; one that does not is sent again whole
            ctx.secrets.delivered(MASTER_KEY, self.name)
        written = super().apply(ctx, body, actual)
        ctx.secrets.delivered(MASTER_KEY, self.name)
        return written

    def changes(self, ctx: RunContext, desired: Json, actual: Json) -> list[Change]:
        changes = super().changes(ctx, desired, actual)
        if ctx.secrets.owed(MASTER_KEY, self.name):  # a new key must reach the connection
            changes.append(Change("properties.credentials.key", "(previous key)", "(rotated key)"))
        return changes
