"""Registration of the subscription to a resource provider namespace, before any resource of it is touched.

A new subscription is registered only to a few namespaces (Learn "Azure resource providers and types"); every
request to another one fails with 409 MissingSubscriptionRegistration, and the Foundry account's Agent service
needs Microsoft.App and Microsoft.ContainerService without touching them itself: the account is accepted and then
fails (foundry-samples#853). A namespace that is 'Registering' is usable at once (Learn: do not wait for
'Registered'), so this step never waits. Registrations are subscription-wide: destroy leaves them in place.
"""

from __future__ import annotations

from foundry_litellm import access, azure_ops
from foundry_litellm.context import RunContext
from foundry_litellm.diff import Change
from foundry_litellm.errors import Kept, ToolError
from foundry_litellm.step import ArmStep, Json, Sdk, StateOutputs

UNREADABLE = "NotReadable"
USABLE = ("registered", "registering", UNREADABLE.lower())
# The namespace behind each SDK client the steps use; Microsoft.Resources and Microsoft.Authorization are
# registered in every subscription.
CLIENT_NAMESPACES = {
    "network": "Microsoft.Network", "privatedns": "Microsoft.Network", "msi": "Microsoft.ManagedIdentity",
    "loganalytics": "Microsoft.OperationalInsights", "appinsights": "Microsoft.Insights",
    "keyvault": "Microsoft.KeyVault", "storage": "Microsoft.Storage", "cosmosdb": "Microsoft.DocumentDB",
    "search": "Microsoft.Search", "postgres": "Microsoft.DBforPostgreSQL", "cognitive": "Microsoft.CognitiveServices",
    "containerapps": "Microsoft.App", "redisenterprise": "Microsoft.Cache",
}
AGENT_SERVICE_NAMESPACES = ("Microsoft.App", "Microsoft.ContainerService")
# Learn "Azure resource providers and types": registering needs the namespace's /register/action permission, which
# Contributor and Owner include.
REGISTER_HINT = ("registering needs {namespace}/register/action on the subscription (Contributor and Owner have it); "
                 "or have an administrator run: az provider register --namespace {namespace}")


class ResourceProvider(ArmStep):
    """See foundry_litellm/step.py."""

    sdk = Sdk("resource", "providers", put="register")
    tagged = False
    create_timeout = 5 * 60  # a POST answered at once; the bound covers throttling retries

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.name = f"resource_provider:{namespace}"
        self.title = f"RP {namespace}"  # resource provider; short enough for the table

    def resource_id(self, ctx: RunContext) -> str:
        return f"/subscriptions/{ctx.subscription_id}/providers/{self.namespace}"

    def body(self, ctx: RunContext) -> Json:
        return {"registrationState": "Registered"}

    def read(self, ctx: RunContext) -> Json | None:
        """The registration as a resource: there when usable, absent when not (plan shows "create")."""
        try:
            actual = super().read(ctx)
        except Exception as exc:
            if azure_ops.error_code(exc) != "AuthorizationFailed":
                raise
            # A deployer with rights on the resource group only may not read subscription-level registrations:
            # assume the namespace usable; if it is not, its first request says so (MissingSubscriptionRegistration).
            ctx.warn("registrations", access.Need(
                "Microsoft.Resources/subscriptions/providers/read", access.subscription_scope(ctx.subscription_id),
                access.READERS).refused(
                    "cannot read the registration of resource providers: assumed registered; an unregistered one "
                    "fails its first request with MissingSubscriptionRegistration"))
            return {"registrationState": UNREADABLE}
        usable = actual is not None and str(actual.get("registrationState", "")).lower() in USABLE
        return actual if usable else None

    def changes(self, ctx: RunContext, desired: Json, actual: Json) -> list[Change]:
        return []  # 'Registering' is as good as 'Registered'

    def apply(self, ctx: RunContext, desired: Json, actual: Json | None) -> Json | None:
        try:  # answered at once, by resource id: the first writes of a run wait for no SDK package's import
            return ctx.run(self, "write", lambda **kw: azure_ops.send_by_id(
                ctx.clients, "POST", f"{self.resource_id(ctx)}/register", self.sdk.api_version,
                **azure_ops.RETRY_REPEATABLE, **kw), timeout=self.create_timeout)
        except Exception as exc:
            if azure_ops.error_code(exc) != "AuthorizationFailed":
                raise
            error = azure_ops.as_tool_error(exc)  # the same message, with the hint that helps here
            raise ToolError(error.message, hint=REGISTER_HINT.format(namespace=self.namespace)) from exc

    def owned(self, ctx: RunContext, actual: Json) -> bool:
        return True

    def delete(self, ctx: RunContext, actual: Json) -> None:
        raise Kept("subscription-wide registration: other deployments may use it")

    def outputs(self, ctx: RunContext, actual: Json) -> StateOutputs:
        return {"state": str(actual.get("registrationState", ""))}
