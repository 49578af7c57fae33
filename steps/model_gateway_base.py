"""The identity of the two ModelGateway connections, apart from how they are written: the master-key secret
asks whether they exist (a lost key may be replaced only while nobody relies on it), and the connections are
written with that key, so the step that writes them (``model_gateway_connection``) comes after the secret."""

from __future__ import annotations

from foundry_litellm.context import RunContext
from foundry_litellm.step import ArmStep, Sdk

from .foundry_account import FoundryAccount


class ModelGatewayConnectionBase(ArmStep):
    """See foundry_litellm/step.py."""

    sdk = Sdk("cognitive", "account_connections", put="create", delete="delete")
    arm_type = "Microsoft.CognitiveServices/accounts/connections"
    tagged = False
    ignore = ("properties.credentials",)

    def __init__(self, discovery: bool) -> None:
        self.discovery = discovery  # True: models found through /v1/models; False: the static model list
        self.suffix = "" if discovery else "-static"
        self.name = f"model_gateway_connection{'' if discovery else ':static'}"
        self.title = "ModelGateway connection" + ("" if discovery else " (static models)")

    def connection(self, ctx: RunContext) -> str:
        return f"litellm-gateway-{ctx.config.token}{self.suffix}"

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (ctx.names.foundry_account, self.connection(ctx))

    def lock_holder(self) -> ArmStep:
        return FoundryAccount()

    def parent(self) -> ArmStep:
        return FoundryAccount()


MASTER_KEY_USERS = (ModelGatewayConnectionBase(True), ModelGatewayConnectionBase(False))
