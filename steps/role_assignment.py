"""Role assignments, on one mechanism for every tier.

Names are deterministic (uuid5 of scope, principal and role), so a re-run finds its own assignment instead
of creating a second one (RoleAssignmentExists, azure-quickstart-templates#4205). ``principalType:
ServicePrincipal`` lets ARM skip the directory lookup; a PrincipalNotFound right after an identity was created
(Entra replication, azure-quickstart-templates#4945) is retried with bounded backoff. Assignments cannot be
updated: a change is a delete and a create.

An assignment takes effect only after it propagates: usually a few minutes, "up to 10 minutes" (Learn "Troubleshoot
Azure RBAC"). No read on the management plane proves it has (a GET answers at once; the check runs as the assignee,
inside the service that needs the role), so a step that needs a role in effect waits, measured from the assignment's
``createdOn`` (output ``created_at``): a re-run long after does not wait at all (``propagation_remaining``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from foundry_litellm import azure_ops
from foundry_litellm.clients import API_VERSIONS
from foundry_litellm.context import RunContext, Unknown
from foundry_litellm.naming import deterministic_guid
from foundry_litellm.step import IdOutputs, Json, Step

from .managed_identity import ManagedIdentity

# Built-in role definitions (Learn "Azure built-in roles").
KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
STORAGE_BLOB_DATA_OWNER = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
COSMOS_DB_OPERATOR = "230815da-be43-4aae-9cb4-875f7bd000aa"
SEARCH_INDEX_DATA_CONTRIBUTOR = "8ebe5a00-799e-43f5-93ac-243d3dce84a7"
SEARCH_SERVICE_CONTRIBUTOR = "7ca78c08-252a-4471-8644-bb5ff32d4ba0"

PRINCIPAL_WAIT = 10 * 60  # seconds: Entra replication is usually seconds, sometimes minutes
# Azure seconds a new assignment may take to be honoured: "up to 10 minutes" (Learn "Troubleshoot Azure RBAC").
PROPAGATION_WAIT = 10 * 60
# What it usually takes: "a few minutes" (Azure/azure-dev#2742), 60-120 s for an ACR pull role (Azure/azure-dev#7529);
# Foundry's Terraform sample waits 60 s before the project capability host (time_sleep.wait_rbac, foundry-samples
# infrastructure-setup-terraform/15a-private-network-standard-agent-setup/code/main.tf).
TYPICAL_PROPAGATION = 3 * 60


def created_epoch(created_at: str) -> float | None:
    """``createdOn`` as seconds since the epoch; None when absent or unreadable."""
    try:
        return datetime.fromisoformat(created_at).timestamp() if created_at else None
    except ValueError:
        return None


def assignment_id(scope: str, name: str) -> str:
    return f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"


class AssignmentOutputs(IdOutputs):
    created_at: str  # createdOn: when the assignment started to propagate


def propagation_remaining(ctx: RunContext, steps: Iterable[RoleAssignment], wait: float = PROPAGATION_WAIT) -> float:
    """Real seconds until the newest assignment of ``steps`` is ``wait`` Azure seconds old (by default: has surely
    propagated), from its ``createdOn`` and scaled against the emulator; 0 when all are older. An unknown creation time
    (an equivalent assignment found under another name) is an old one. Never more than ``wait``, whatever the clocks
    say."""
    bound = wait * ctx.time_scale
    created: list[float] = []
    for step in steps:
        known = ctx.outputs_if_known(step)
        stamp = created_epoch(known["created_at"]) if known is not None else None
        if stamp is not None:
            created.append(stamp)
    if not created:
        return 0.0
    return max(0.0, min(bound, max(created) + bound - time.time()))


class RoleAssignment(Step):
    """See foundry_litellm/step.py."""

    replaceable = True

    def __init__(self, key: str, *, scope: Callable[[RunContext], str], principal: ManagedIdentity, role: str,
                 depends_on: tuple[Step, ...], condition: Callable[[RunContext], str] | None = None) -> None:
        self.name = f"role_assignment:{key}"
        self.title = f"Role {key}"
        self.scope = scope
        self.principal = principal
        self.role = role
        self.condition = condition
        self.depends_on = (principal, *depends_on)

    def _principal_id(self, ctx: RunContext) -> str:
        return ctx.output_of(self.principal)["principal_id"]

    def assignment_name(self, ctx: RunContext) -> str:
        return deterministic_guid(self.scope(ctx), self._principal_id(ctx), self.role)

    def resource_id(self, ctx: RunContext) -> str:
        try:
            name = self.assignment_name(ctx)
        except Unknown:  # the principal is not known yet (plan before its identity exists)
            name = "(known after apply)"
        return assignment_id(self.scope(ctx), name)

    def _send(self, ctx: RunContext, method: str, resource_id: str, body: Json | None = None) -> Json | None:
        return azure_ops.send_by_id(ctx.clients, method, resource_id, API_VERSIONS["authorization"], body=body)

    def desired(self, ctx: RunContext) -> Json:
        props: Json = {
            "roleDefinitionId": f"/subscriptions/{ctx.subscription_id}/providers/Microsoft.Authorization/"
                                f"roleDefinitions/{self.role}",
            "principalId": self._principal_id(ctx),
            "principalType": "ServicePrincipal",
        }
        if self.condition is not None:
            props["condition"] = self.condition(ctx)
            props["conditionVersion"] = "2.0"
        return {"properties": props}

    def read(self, ctx: RunContext) -> Json | None:
        try:
            name = self.assignment_name(ctx)
        except Unknown:  # no principal yet: no assignment either
            return None
        return azure_ops.read_by_id(ctx.clients, assignment_id(self.scope(ctx), name), API_VERSIONS["authorization"])

    def immutable_changes(self, changes: list[Any]) -> list[Any]:
        return changes  # nothing about an assignment can be updated in place

    def apply(self, ctx: RunContext, desired: Json, actual: Json | None) -> Json | None:
        scope, name = self.scope(ctx), self.assignment_name(ctx)
        resource_id = assignment_id(scope, name)
        self._forget_previous(ctx, name)
        deadline = time.monotonic() + PRINCIPAL_WAIT
        delay = 2.0
        while True:
            try:
                result: Json | None = ctx.run(
                    self, "write",
                    lambda: self._send(ctx, "PUT", resource_id, desired), timeout=self.create_timeout)
                return result
            except Exception as exc:
                code = azure_ops.error_code(exc)
                if code == "RoleAssignmentExists":  # the same grant under another name: it is in place
                    ctx.progress.progress(self, "already granted by an existing assignment")
                    return {"id": resource_id, "properties": desired["properties"]}
                if code != "PrincipalNotFound" or time.monotonic() + delay > deadline:
                    raise
                ctx.progress.progress(self, f"principal not replicated yet; retrying in {delay:.0f}s")
                ctx.backoff(delay)
                delay = min(delay * 2, 30.0)

    def _forget_previous(self, ctx: RunContext, name: str) -> None:
        """When the principal was re-created its name changed: remove the assignment left for the old one."""
        previous = str(ctx.state.step(self.name).get("resource_id") or "")
        if "/roleAssignments/" not in previous or previous.rsplit("/", 1)[-1].lower() == name:
            return
        old = previous.rsplit("/", 1)[-1]
        try:
            self._send(ctx, "DELETE", previous)
            ctx.progress.progress(self, f"removed the assignment of the former principal ({old})")
        except Exception as exc:
            if not azure_ops.is_not_found(exc):
                raise

    def delete(self, ctx: RunContext, actual: Json) -> None:
        resource_id = assignment_id(self.scope(ctx), actual.get("name") or self.assignment_name(ctx))
        ctx.run(self, "delete", lambda: self._send(ctx, "DELETE", resource_id), timeout=self.delete_timeout,
                missing_ok=True)

    def owned(self, ctx: RunContext, actual: Json) -> bool:
        """Role assignments carry no tags: ours are the ones with our deterministic name."""
        try:
            return str(actual.get("name", "")).lower() == self.assignment_name(ctx)
        except Unknown:
            return False

    def outputs(self, ctx: RunContext, actual: Json) -> AssignmentOutputs:
        created = (actual.get("properties") or {}).get("createdOn") or ""
        return {"id": str(actual.get("id", "")), "created_at": str(created)}
