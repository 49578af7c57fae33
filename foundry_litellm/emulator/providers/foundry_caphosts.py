"""Capability hosts on Foundry accounts and projects (the Agent Service's "standard setup").

Sources: cognitiveservices.json 2025-09-01 (PUT 200/201 + Azure-AsyncOperation, final state from the original URI;
DELETE 202 + Location) and MicrosoftDocs/azure-ai-docs capability-hosts.md: one capability host per scope (a second
name is a 409 ``Conflict``), a PUT with the same name and configuration returns the existing host, a different
configuration is a 400 ``InvalidData`` "Update of capability is not currently supported"; a Failed host cannot be
recovered, only deleted (foundry-samples 15a vnet diagnostic SKILL.md). A project capability host needs the
account's first ("Foundry Account capabilityHost Not Found", Azure/terraform-azurerm-avm-ptn-aiml-ai-foundry#112),
takes no subnet, and names existing connections; the account's cannot be deleted while a project's exists (409).
Creation and deletion take minutes (peers-and-pain-points §4; deletes "5-10 minutes", reference notebook guide).

The project identity's roles on the connected Cosmos DB account and Storage account must be in place before the
project host is created ("The Comos DB Operator role must be assigned before the caphost is created", foundry-samples
infrastructure-setup-bicep/15-private-network-standard-agent-setup/main.bicep; the Search roles "can be assigned
before or after"); the Terraform sample waits for them (``time_sleep.wait_rbac``, 60 s, before
``ai_foundry_project_capability_host``, infrastructure-setup-terraform/15a-private-network-standard-agent-setup/code/
main.tf). A host created while such an assignment exists but has not propagated (authorization.role_state) is accepted
and its operation ends Failed. The code is modelled: a failed host reports only "Failed" (foundry-samples#203);
``CapabilityHostOperationFailed`` is the code a failed host's operation gives elsewhere (foundry-samples#810). A role
never assigned is not modelled (the emulator's own fixtures create hosts without roles).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..armpath import ArmRef
from ..errors import ArmError, bad_request
from ..provider import Durations, Json, NameRule
from ..wire import Fault, Request, Response, json_body
from ..world import World
from .authorization import role_state
from .foundry_common import (
    ACCOUNT_CAPHOST_TYPE,
    ACCOUNT_CONNECTION_TYPE,
    CAPHOST_TYPES,
    FOUNDRY_VERSIONS,
    PROJECT_CAPHOST_TYPE,
    PROJECT_CONNECTION_TYPE,
    AccountScoped,
    account_ref,
    ancestor,
    children_of,
)

if TYPE_CHECKING:
    from ..provider import ArmCalls

_NAME = NameRule(1, 255, r"[a-zA-Z0-9][a-zA-Z0-9\-_]*", "letters, digits, '-' and '_', starting with a letter or digit")
_CONNECTION_LISTS = ("aiServicesConnections", "storageConnections", "threadStorageConnections",
                     "vectorStoreConnections")
# The roles the agent service checks when the host is created, by the connection list that names the resource.
_REQUIRED_ROLES = {
    "threadStorageConnections": ("230815da-be43-4aae-9cb4-875f7bd000aa", "Cosmos DB Operator"),
    "storageConnections": ("ba92f5b4-2d11-453d-a403-e96b0029c9fe", "Storage Blob Data Contributor"),
}
_COMPARED = ("capabilityHostKind", "customerSubnet", "description", "tags", *_CONNECTION_LISTS)


def _config(props: Json) -> Json:
    """The configuration a PUT is compared on: empty lists and absent values are the same."""
    config = {k: props.get(k) for k in _COMPARED if props.get(k) not in (None, [], {}, "")}
    config.setdefault("capabilityHostKind", "Agents")
    return config


def _workspace(ref: ArmRef) -> str:
    return f"{ref.subscription}/{ref.resource_group}/{ref.names[-2]}@AML/{ref.name}"


class _CapabilityHost(AccountScoped):
    api_versions = FOUNDRY_VERSIONS
    put_style = "async"
    delete_style = "location"
    location = "none"
    top_level = ()

    def handle(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
        if req.method == "DELETE" and not ref.is_collection:
            _cancel_running_create(arm.world, ref)
        return super().handle(arm, req, ref, fault)

    def write_conflict(self, world: World, req: Request, ref: ArmRef) -> ArmError | None:
        active = world.in_flight(self.busy_keys(world, ref))
        if active is not None and req.method == "PUT" and active["type"] in CAPHOST_TYPES:
            name = active["resource"].rsplit("/", 1)[-1]
            return ArmError(409, "Conflict", f"Create: Capability Host {name} is currently in non creating, retry "
                                             f"after its complete: {_workspace(ref)}")
        return super().write_conflict(world, req, ref)

    def validate(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body["properties"]
        if existing is not None:
            old = existing["body"]["properties"]
            if _config(old) != _config(props):
                raise bad_request("InvalidData", "Update of capability is not currently supported. Please delete "
                                  "and recreate with the new configuration.")
            if old.get("provisioningState") == "Failed":  # Azure/azure-dev#6960
                raise ArmError(409, "Conflict", f"Resource {ref.name} is in conflicting state")
            return
        _NAME.check(self.type, ref.name)
        siblings = children_of(world, ancestor(ref, len(ref.names) - 1).id, self.type)
        if siblings:
            other = siblings[0]
            state = other["body"]["properties"].get("provisioningState")
            raise ArmError(409, "Conflict",
                           f"There is an existing Capability Host with name: {other['body']['name']}, provisioning "
                           f"state: {state} for workspace: {_workspace(ref)}, cannot create a new Capability Host "
                           f"with name: {ref.name} for the same ClientId.")
        self.validate_new(world, ref, props)

    def validate_new(self, world: World, ref: ArmRef, props: Json) -> None:
        """Rules for a new capability host of this kind."""

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        body["properties"].setdefault("capabilityHostKind", "Agents")


class AccountCapabilityHost(_CapabilityHost):
    type = ACCOUNT_CAPHOST_TYPE
    durations = Durations(create=324, update=0, delete=300)  # 1.2 of a PostgreSQL create

    def delete_blocker(self, world: World, record: Json, *, cascade: frozenset[str], root: str) -> ArmError | None:
        if root.lower() != record["id"].lower():
            return None  # deleting the account: the account answers for its capability hosts
        account_id = record["id"].rsplit("/capabilityHosts/", 1)[0].lower()
        dependents = [r["id"] for r in world.of_type(PROJECT_CAPHOST_TYPE)
                      if r["id"].lower().startswith(account_id + "/projects/")]
        if dependents:
            return ArmError(409, "Conflict",
                            f"Capability host '{record['body']['name']}' cannot be deleted while project capability "
                            f"hosts depend on it: {', '.join(dependents)}. Delete the project capability hosts first.")
        return None


class ProjectCapabilityHost(_CapabilityHost):
    type = PROJECT_CAPHOST_TYPE
    durations = Durations(create=270, update=0, delete=300)  # 1.0 of a PostgreSQL create

    def handle(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
        response = super().handle(arm, req, ref, fault)
        if response is not None or req.method != "PUT" or ref.is_collection or ref.action is not None \
                or arm.world.get(ref.key) is not None:
            return response
        response = arm.put(ref, self, json_body(req), req.api_version or "", fault)
        _fail_without_roles(arm.world, ref)
        return response

    def validate_new(self, world: World, ref: ArmRef, props: Json) -> None:
        if not children_of(world, account_ref(ref).id, ACCOUNT_CAPHOST_TYPE):
            raise bad_request("UserError", "Foundry Account capabilityHost Not Found, please retry again after "
                              "creating capabilityHost for the Foundry Account.")
        if props.get("customerSubnet"):
            raise bad_request("BadRequest", "CapabilityHost for Project cannot be created with Subnet")
        project = ancestor(ref, 2)
        known = {r["body"]["name"].lower() for r in children_of(world, project.id, PROJECT_CONNECTION_TYPE)}
        known |= {r["body"]["name"].lower() for r in children_of(world, account_ref(ref).id, ACCOUNT_CONNECTION_TYPE)}
        for field in _CONNECTION_LISTS:
            for name in props.get(field) or []:
                if str(name).lower() not in known:
                    raise bad_request("UserError", f"Connection '{name}' in {field} was not found in project "
                                      f"'{project.name}' or its account.", target=f"properties.{field}")


def _project_principals(world: World, project: Json) -> set[str]:
    """The principal ids of the project's identities: the system-assigned one and every user-assigned one."""
    identity = project["body"].get("identity") or {}
    found = {str(identity["principalId"]).lower()} if identity.get("principalId") else set()
    for identity_id in identity.get("userAssignedIdentities") or {}:
        record = world.get(identity_id)
        if record is not None and record["body"].get("properties", {}).get("principalId"):
            found.add(str(record["body"]["properties"]["principalId"]).lower())
    return found


def _fail_without_roles(world: World, ref: ArmRef) -> None:
    """Fail the new host's operation when a role it needs is assigned but not effective yet (see the docstring)."""
    record = world.get(ref.key)
    op = world.operations.get(record["op"] or "") if record else None
    project = world.get(ancestor(ref, 2).key)
    if record is None or op is None or op["fail"] or project is None:
        return
    principals = _project_principals(world, project)
    connections = {r["body"]["name"].lower(): r for r in children_of(world, project["id"], PROJECT_CONNECTION_TYPE)}
    for field, (role, role_name) in _REQUIRED_ROLES.items():
        for name in record["body"]["properties"].get(field) or []:
            connection = connections.get(str(name).lower())
            scope = ((connection or {}).get("body", {}).get("properties", {}).get("metadata") or {}).get("ResourceId")
            if scope and role_state(world, principals, str(scope), role) == "pending":
                op["fail"] = {"code": "CapabilityHostOperationFailed", "status": 400,
                              "message": f"The project identity does not have the role '{role_name}' on {scope} "
                                         "yet. Capability host creation failed; delete it and create it again once "
                                         "the role assignment has taken effect."}
                return


def _cancel_running_create(world: World, ref: ArmRef) -> None:
    """A capability host stuck in Creating can still be deleted (microsoft/microsoft-foundry-for-vscode#488):
    the create is canceled and the DELETE goes ahead."""
    record = world.get(ref.key)
    op = world.operations.get(record["op"] or "") if record else None
    if record is None or op is None or op["status"] != "InProgress" or op["kind"] == "delete":
        return
    op.update(status="Canceled", end=world.now(),
              error={"code": "Canceled", "message": f"The operation on {ref.name} was canceled by a DELETE."})
    record["op"] = None


PROVIDERS = [AccountCapabilityHost(), ProjectCapabilityHost()]
