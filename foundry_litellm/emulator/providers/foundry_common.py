"""What the Foundry providers (Microsoft.CognitiveServices accounts, projects, connections, capability hosts)
share: type names, api-versions, the account a child belongs to, and the answers the resource provider gives to
writes that race each other under one account.

Sources for the conflict answers: sibling writes under one account get 409 ``RequestConflict`` "Another operation
is being performed on the parent resource" (Azure/bicep#11211, Azure/azure-dev#9398); a write to a resource whose
own operation is still running gets "...provisioning state is not terminal" (Azure/bicep-types-az#2419); a
capability host write during another capability host operation gets 409 ``Conflict`` "Capability Host ... is
currently in non creating" (MicrosoftDocs/azure-ai-docs capability-hosts.md, commit 2ba0d62).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ..armpath import ArmRef
from ..errors import ArmError, bad_request
from ..provider import Json, Provider
from ..wire import Fault, Request, Response

if TYPE_CHECKING:
    from ..provider import ArmCalls
    from ..world import World

NAMESPACE = "Microsoft.CognitiveServices"
ACCOUNT_TYPE = f"{NAMESPACE}/accounts"
PROJECT_TYPE = f"{NAMESPACE}/accounts/projects"
ACCOUNT_CONNECTION_TYPE = f"{NAMESPACE}/accounts/connections"
PROJECT_CONNECTION_TYPE = f"{NAMESPACE}/accounts/projects/connections"
ACCOUNT_CAPHOST_TYPE = f"{NAMESPACE}/accounts/capabilityHosts"
PROJECT_CAPHOST_TYPE = f"{NAMESPACE}/accounts/projects/capabilityHosts"
CAPHOST_TYPES = (ACCOUNT_CAPHOST_TYPE, PROJECT_CAPHOST_TYPE)
SOFT_DELETE_KIND = "cognitiveservices"

# Projects, connections and capability hosts arrived with 2025-04-01-preview; azure-mgmt-cognitiveservices 14.1.0
# sends 2025-09-01, 15.0.0b6 sends 2026-09-15-preview (azure-sdk-notes §1); the reference uses 2025-12-01.
FOUNDRY_VERSIONS = frozenset({
    "2025-04-01-preview", "2025-06-01", "2025-07-01-preview", "2025-09-01", "2025-10-01-preview", "2025-12-01",
    "2026-01-15-preview",  # Azure CLI recording cognitiveservices/test_account_connections_from_file.yaml
    "2026-09-15-preview",
})
ACCOUNT_VERSIONS = FOUNDRY_VERSIONS | {
    "2017-04-18", "2021-04-30", "2021-10-01", "2022-03-01", "2022-10-01", "2022-12-01", "2023-05-01",
    "2023-10-01-preview", "2024-04-01-preview", "2024-06-01-preview", "2024-10-01",
}
# The states in which a child write is refused with "Parent account does not provision correctly".
_UNREADY = {"creating", "accepted", "failed"}
WRITES = ("PUT", "PATCH", "DELETE")


def now_iso(world: World) -> str:
    return datetime.fromtimestamp(world.now(), UTC).isoformat().replace("+00:00", "Z")


def ancestor(ref: ArmRef, depth: int) -> ArmRef:
    """The resource ``depth`` levels deep in ``ref``'s chain (1: the account, 2: the project)."""
    return ArmRef(ref.subscription, ref.resource_group, ref.scope, ref.namespace, ref.types[:depth],
                  ref.names[:depth])


def account_ref(ref: ArmRef) -> ArmRef:
    return ancestor(ref, 1)


def nested_error(ids: list[str]) -> ArmError:
    # The text ARM answers when an account with projects is deleted (Azure/terraform-provider-azapi#894,
    # DefangLabs/pulumi-defang#245). Capability hosts block their parents too (foundry-samples PR #251); that
    # refusal's own wording is not published, so this one stands in for it.
    listed = ", ".join(i.split("/providers/", 1)[-1] for i in ids)
    return ArmError(409, "CannotDeleteResource",
                    f"Cannot delete resource while nested resources exist. Some existing nested resource IDs "
                    f"include: '{listed}'. Please delete all nested resources before deleting this resource.")


def children_of(world: World, parent_id: str, type_: str) -> list[Json]:
    """Direct children of ``parent_id`` of ``type_``, oldest first."""
    prefix = parent_id.lower() + "/"
    found = [r for k, r in world.resources.items()
             if k.startswith(prefix) and k[len(prefix):].count("/") == 1 and r["type"].lower() == type_.lower()]
    return sorted(found, key=lambda r: r["created"])


class AccountScoped(Provider):
    """A type whose writes serialize on the Foundry account: the account itself and everything under it."""

    def busy_keys(self, world: World, ref: ArmRef) -> set[str]:
        return {ancestor(ref, depth).key for depth in range(1, len(ref.names) + 1)}

    def handle(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
        if req.method in WRITES and not ref.is_collection and ref.action is None:
            self.before_write(arm.world, req, ref)
        return None

    def before_write(self, world: World, req: Request, ref: ArmRef) -> None:
        """Refuse a write the resource provider refuses before ARM's generic checks run."""
        if req.method != "DELETE" and len(ref.names) > 1:
            _require_ready_account(world, ref)
        error = self.write_conflict(world, req, ref)
        if error is not None:
            raise error

    def write_conflict(self, world: World, req: Request, ref: ArmRef) -> ArmError | None:
        active = world.in_flight(self.busy_keys(world, ref))
        if active is None:
            return None
        mine = active["resource"].lower() == ref.key
        if req.method == "DELETE" and mine and active["kind"] == "delete":
            return None  # the generic layer answers 202 with the running operation again
        if mine or len(ref.names) == 1:
            return ArmError(409, "RequestConflict",
                            f"Cannot modify resource with id '{ref.id}' because the resource entity provisioning "
                            "state is not terminal. Please wait for the provisioning state to become terminal and "
                            "then retry the request.")
        account = world.get(account_ref(ref).key)
        account_id = account["id"] if account else account_ref(ref).id
        return ArmError(409, "RequestConflict",
                        f"Another operation is being performed on the parent resource '{account_id}'. Please try "
                        "again later.")


def _require_ready_account(world: World, ref: ArmRef) -> None:
    account = world.get(account_ref(ref).key)
    if account is None:
        return  # the generic layer answers ParentResourceNotFound
    state = str(account["body"].get("properties", {}).get("provisioningState", "")).lower()
    if state in _UNREADY:
        # microsoft/microsoft-foundry-for-vscode#116: a project created before its account finished provisioning.
        raise bad_request("BadRequest", "Parent account does not provision correctly, please retry creating the "
                          "account.")
