"""Microsoft.Authorization/roleAssignments: an extension resource at any scope.

Sources: authorization-RoleAssignmentsCalls.json (2022-04-01): PUT answers 201/200 at once, DELETE 200/204 with
the assignment, list_for_scope takes $filter (atScope(), principalId eq '...', assignedTo('...')). Errors:
RoleAssignmentExists "The role assignment already exists. The ID of the existing role assignment is <hex>."
for the same scope, principal and role under another name (Azure/azure-quickstart-templates#4205);
RoleAssignmentUpdateNotPermitted "Tenant ID, application ID, principal ID, and scope are not allowed to be
updated."; PrincipalNotFound for a principal Entra does not know yet: a new identity needs time to replicate,
less when principalType is given (Azure/azure-quickstart-templates#4945, Azure/ResourceModules#981);
UnmatchedPrincipalType when principalType differs from the principal's real type (Azure/azure-dev#3581).

An assignment takes effect only after a propagation delay: "it can take up to 10 minutes" for role assignment changes
to be detected (Learn "Troubleshoot Azure RBAC"), usually "a few minutes" (``propagated``: the ``role_propagation``
tail, tails.py). Nothing on the management plane shows it: a GET answers the assignment at once, before the services
that check it honour it.
``role_state`` is what a service checking a principal's role sees (the project capability host, foundry_caphosts.py).
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING

from ..authz import DEFAULT_OBJECT_ID
from ..errors import ArmError, bad_request, conflict, group_not_found
from ..provider import Json, Provider
from ..wire import Fault, Request, Response
from ..world import TENANT_ID, World
from .data_common import GUID, is_guid, iso_now

if TYPE_CHECKING:
    from ..armpath import ArmRef
    from ..provider import ArmCalls

VERSIONS = frozenset({
    "2015-07-01", "2018-01-01-preview", "2018-09-01-preview", "2020-03-01-preview", "2020-04-01-preview",
    "2020-08-01-preview", "2020-10-01-preview", "2021-04-01-preview", "2022-01-01-preview", "2022-04-01",
})
ASSIGNMENT_TYPE = "Microsoft.Authorization/roleAssignments"
ROLE_DEFINITION = re.compile(rf"(/subscriptions/[^/]+(/resourceGroups/[^/]+)?)?/providers/Microsoft\.Authorization"
                             rf"/roleDefinitions/({GUID})", re.IGNORECASE)
# Nominal seconds a new principal stays unknown to role assignments: a retry "a few minutes later" works without
# principalType (ResourceModules#981); with it ARM skips most of the directory lookup (AgentBaker PR #8251).
REPLICATION_WINDOW = 60.0
# Azure CLI recording role/test_role_assignment_at_scope.yaml: a typed assignment 7 s after the identity was made
# is created (201), so the typed window is shorter than that.
REPLICATION_WINDOW_TYPED = 5.0
# Every principal the emulator knows is a managed identity: a service principal.
PRINCIPAL_TYPE = "ServicePrincipal"


def _role_guid(role_definition_id: str) -> str:
    match = ROLE_DEFINITION.fullmatch(role_definition_id)
    return match.group(3).lower() if match else ""


def _principal_not_found(principal_id: str) -> ArmError:
    return bad_request(
        "PrincipalNotFound",
        f"Principal {principal_id.replace('-', '')} does not exist in the directory {TENANT_ID}. Check that you "
        "have the correct principal ID. If you are creating this principal and then immediately assigning a role, "
        "this error might be related to a replication delay. In this case, set the role assignment principalType "
        "property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype")


def _applies(assignment_scope: str, scope: str, *, at_scope: bool) -> bool:
    """An assignment applies at ``scope`` when made there or above; without atScope() also below it."""
    a, s = assignment_scope.lower().rstrip("/"), scope.lower().rstrip("/")
    above = a == s or s.startswith(a + "/")
    return above or (not at_scope and a.startswith(s + "/"))


def propagated(world: World, record: Json, *, at: float | None = None) -> bool:
    """Whether the assignment ``record`` (ARM's, or Cosmos DB's data-plane one) is honoured by ``at`` (now): its
    propagation delay, drawn per assignment from the ``role_propagation`` range (tails.py), has passed since it was
    created. A re-created assignment draws anew."""
    delay = world.drawn("role_propagation", f"{record['id']}@{record.get('created', 0.0)}")
    return float(record.get("created", 0.0)) + world.scaled(delay) <= (world.now() if at is None else at)


def role_state(world: World, principals: set[str], scope: str, role: str) -> str:
    """What a service sees of ``role`` for ``principals`` at ``scope`` (assigned there or above): "effective",
    "pending" (assigned, not propagated yet) or "absent"."""
    found = [r for r in world.of_type(ASSIGNMENT_TYPE)
             if r["body"]["properties"]["principalId"].lower() in principals
             and _role_guid(r["body"]["properties"]["roleDefinitionId"]) == role.lower()
             and _applies(r["body"]["properties"]["scope"], scope, at_scope=True)]
    if any(propagated(world, r) for r in found):
        return "effective"
    return "pending" if found else "absent"


class RoleAssignment(Provider):
    type = ASSIGNMENT_TYPE
    api_versions = VERSIONS
    put_style = "sync"
    delete_style = "sync"
    location = "none"
    top_level = ()

    def handle(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
        if ref.is_collection and req.method == "GET":
            if ref.resource_group is not None and arm.world.get(ref.group_id or "") is None:
                raise group_not_found(ref.resource_group)
            return Response(200, {"value": self._list(arm.world, ref.scope, req.query.get("$filter", ""))})
        if req.method == "PATCH":
            raise ArmError(405, "MethodNotAllowed", "The requested resource does not support http method 'PATCH'.")
        if req.method == "DELETE" and not ref.is_collection:  # the spec answers 200 with the assignment
            record = arm.world.get(ref.key)
            if record is None:
                return Response(204)
            body = arm.world.render(record)
            arm.delete(ref, self, req.api_version or "", fault, req.query)
            return Response(200, body)
        return None

    def _list(self, world: World, scope: str, query: str) -> list[Json]:
        at_scope = "atscope()" in query.lower()
        principal = re.search(r"(?:principalId\s+eq\s+|assignedTo\()'([^']+)'", query, re.IGNORECASE)
        return [world.render(r) for _, r in sorted(world.resources.items()) if r["type"] == ASSIGNMENT_TYPE
                and _applies(r["body"]["properties"]["scope"], scope, at_scope=at_scope)
                and (principal is None or r["body"]["properties"]["principalId"].lower() ==
                     principal.group(1).lower())]

    def validate(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        if not is_guid(ref.name):
            raise bad_request("InvalidRoleAssignmentId", f"The role assignment ID '{ref.name}' is not valid. The "
                              "role assignment ID must be a GUID.")
        props = body["properties"]
        role = str(props.get("roleDefinitionId") or "")
        if not _role_guid(role):
            raise bad_request("InvalidRoleDefinitionId", f"The role definition ID '{role}' is not valid.")
        principal = str(props.get("principalId") or "")
        if not is_guid(principal):
            raise bad_request("InvalidPrincipalId", f"The principal ID '{principal}' is not valid. The principal ID "
                              "must be a GUID.")
        if existing is not None:
            old = existing["body"]["properties"]
            if old["principalId"].lower() != principal.lower() or _role_guid(old["roleDefinitionId"]) != \
                    _role_guid(role):
                raise conflict("RoleAssignmentUpdateNotPermitted", "Tenant ID, application ID, principal ID, and "
                               "scope are not allowed to be updated.")
        for other in world.of_type(ASSIGNMENT_TYPE):
            p = other["body"]["properties"]
            if other["id"].lower() != ref.key and p["scope"].lower() == ref.scope.lower() and \
                    p["principalId"].lower() == principal.lower() and _role_guid(p["roleDefinitionId"]) == \
                    _role_guid(role):
                raise conflict("RoleAssignmentExists", "The role assignment already exists. The ID of the existing "
                               f"role assignment is {other['body']['name'].replace('-', '').lower()}.")
        self._check_principal(world, principal, props.get("principalType"))
        version = props.get("conditionVersion")
        if version is not None and (version != "2.0" or not props.get("condition")):
            raise bad_request("InvalidConditionVersion", "conditionVersion must be '2.0' and comes with a condition.")

    def _check_principal(self, world: World, principal: str, principal_type: object) -> None:
        age = world.principal_age(principal.lower())
        window = REPLICATION_WINDOW_TYPED if principal_type else REPLICATION_WINDOW
        if age is None or age < world.scaled(window):
            raise _principal_not_found(principal)
        actual = world.principal_type(principal.lower()) or PRINCIPAL_TYPE
        if principal_type and principal_type != actual:
            raise bad_request("UnmatchedPrincipalType",
                              f"The principal {principal} has type '{actual}', which is different from "
                              f"specified PrinciaplType '{principal_type}'.")

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body["properties"]
        old = (existing or {}).get("body", {}).get("properties", {})
        props["scope"] = ref.scope
        props["principalType"] = world.principal_type(str(props["principalId"]).lower()) or PRINCIPAL_TYPE
        if props.get("condition"):
            props.setdefault("conditionVersion", "2.0")
        now = iso_now(world)
        props["createdOn"] = old.get("createdOn") or now
        props["updatedOn"] = now
        # Azure CLI recording role/test_role_assignment_at_scope.yaml: every property is present, null when unset;
        # updatedBy is the writer's object id, createdBy stays null in the answer to the create.
        for key in ("condition", "conditionVersion", "createdBy", "delegatedManagedIdentityResourceId",
                    "description"):
            props.setdefault(key, None)
        props["updatedBy"] = DEFAULT_OBJECT_ID

    def render(self, world: World, record: Json) -> Json:
        body: Json = copy.deepcopy(record["body"])
        body["properties"].pop("provisioningState", None)  # role assignments have none
        return body


PROVIDERS: list[Provider] = [RoleAssignment()]
