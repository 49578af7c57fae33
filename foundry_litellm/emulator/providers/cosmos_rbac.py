"""Cosmos DB data-plane RBAC: databaseAccounts/sqlRoleDefinitions and databaseAccounts/sqlRoleAssignments.

Sources: rbac.json 2025-10-15 (PUT 200/202 and DELETE 200/202/204, long-running; both resources are named by a
GUID). Every account has the built-in definitions ...0001 (Data Reader) and ...0002 (Data Contributor); another id
is "The specified role definition with ID '...' does not exist." (MicrosoftDocs/azure-docs#100180). A scope is the
account ("/" or its id) or a database/container path below it; anything else fails to parse ("Expected path segment
[dbs] at position [0] but found [subscriptions]", MicrosoftDocs/azure-databases-docs PR #63). An unknown or
not-yet-replicated principal fails the long-running operation with BadRequest and leaves nothing behind
(pulumi/pulumi-azure-native#2816, MicrosoftDocs/azure-docs#92567). Writes on one account are exclusive: a second
one gets 412 PreconditionFailed (hashicorp/terraform-provider-azurerm#15842, #17233). A data-plane assignment, like an
ARM one, is honoured only after a propagation delay (``effective``): no separate figure is documented for Cosmos DB,
so the ARM one is used (authorization.propagated; modelled).
Wire forms (Azure CLI recording cosmosdb/test_cosmosdb_sql_role.yaml, api-version 2021-04-15): PUT and DELETE answer
202 with Azure-AsyncOperation, Location and the body {"status": "Enqueued"}; GET bodies carry no provisioningState;
a definition's properties.type is a number (1 for CustomRole; the CLI's msrest client maps it by enum position, so
BuiltInRole, the first, is 0), each permission has notDataActions ([] when none were given), and assignableScopes
are answered fully qualified without a trailing '/' ("/" is the account: the azure-cli test_cosmosdb_sql_role
checks assignableScopes[0] == the account id for a body with ["/"]). An assignment may change its role
definition (the recording updates one), not its principal or scope (pulumi/pulumi-azure-native PR #3711:
"Updating SQL Role Assignment Principal ID is not permitted. You may only update the associated Role Definition.").
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from ..armpath import ArmRef
from ..errors import ArmError, bad_request
from ..provider import Durations, Json, NameRule, Provider
from ..wire import Fault, Request, Response, json_body
from ..world import TENANT_ID, World
from .authorization import propagated
from .cosmos import enqueued

if TYPE_CHECKING:
    from ..provider import ArmCalls

VERSIONS = frozenset({
    "2021-04-15", "2021-10-15", "2022-05-15", "2022-08-15", "2022-11-15", "2023-04-15", "2023-09-15",
    "2023-11-15", "2024-05-15", "2024-08-15", "2024-11-15", "2025-04-15", "2025-10-15", "2026-03-15",
})
DEFINITION_TYPE = "Microsoft.DocumentDB/databaseAccounts/sqlRoleDefinitions"
ASSIGNMENT_TYPE = "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments"
_GUID = NameRule(36, 36, r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
                 "a GUID", code="BadRequest")
_META = "Microsoft.DocumentDB/databaseAccounts/readMetadata"
_CONTAINERS = "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers"
BUILT_IN: dict[str, tuple[str, list[str]]] = {  # learn.microsoft.com cosmos-db how-to-setup-rbac, built-in roles
    "00000000-0000-0000-0000-000000000001": ("Cosmos DB Built-in Data Reader", [
        _META, f"{_CONTAINERS}/executeQuery", f"{_CONTAINERS}/readChangeFeed", f"{_CONTAINERS}/items/read"]),
    "00000000-0000-0000-0000-000000000002": ("Cosmos DB Built-in Data Contributor", [
        _META, f"{_CONTAINERS}/*", f"{_CONTAINERS}/items/*"]),
}
# How long a new principal takes to be visible to the Cosmos RP (nominal seconds; an estimate: reports only say
# that a retry a little later succeeds).
REPLICATION_SECONDS = 60.0
_WRITES = ("PUT", "PATCH", "DELETE")


def _account_id(ref: ArmRef) -> str:
    return ref.id.rsplit("/", 2)[0]


def _exclusive_lock(world: World, req: Request, ref: ArmRef, busy: set[str]) -> None:
    active = world.in_flight(busy)
    if active is None or (req.method == "DELETE" and active["kind"] == "delete"
                          and active["resource"].lower() == ref.key):
        return
    account = _account_id(ref).rsplit("/", 1)[-1]
    raise ArmError(412, "PreconditionFailed", f"There is another user operation in progress which requires an "
                   f"exclusive lock on [{account}]. Please retry after sometime.")


def _relative_scope(account_id: str, scope: object) -> str:
    """The data-plane path a scope names inside the account: "/", "/dbs/{db}" or "/dbs/{db}/colls/{coll}"."""
    text = scope if isinstance(scope, str) else ""
    if not text:
        raise bad_request("BadRequest", "The scope of a role assignment is required.", target="properties.scope")
    rest = text[len(account_id):] if text.lower().startswith(account_id.lower()) else text
    segments = [s for s in rest.split("/") if s]
    for position, segment in enumerate(segments):
        expected = ("dbs", None, "colls", None)[position] if position < 4 else ""
        if expected is not None and segment.lower() != expected:
            raise bad_request("BadRequest", f"Failed to parse the incoming request payload. Could not parse property "
                              f"[scope] with value [{text}]: Expected path segment [{expected}] at position "
                              f"[{position}] but found [{segment}].", target="properties.scope")
    return "/" + "/".join(segments)


# properties.type on the wire: a number (Azure CLI recording cosmosdb/test_cosmosdb_sql_role.yaml answers 1 for a
# CustomRole); stored as the spec's name.
TYPE_NUMBERS = {"BuiltInRole": 0, "CustomRole": 1}


def _built_in_body(account_id: str, guid: str) -> Json:
    name, actions = BUILT_IN[guid]
    return {"id": f"{account_id}/sqlRoleDefinitions/{guid}", "name": guid, "type": DEFINITION_TYPE,
            "properties": {"roleName": name, "type": TYPE_NUMBERS["BuiltInRole"], "assignableScopes": [account_id],
                           "permissions": [{"dataActions": actions, "notDataActions": []}]}}


def _qualified(account_id: str, scope: object) -> str:
    """A scope as Azure answers it: fully qualified, no trailing '/'."""
    relative = _relative_scope(account_id, scope)
    return account_id if relative == "/" else account_id + relative


class _CosmosRbac(Provider):
    """What role definitions and assignments share on the wire: 202 with both headers and an Enqueued body."""

    api_versions = VERSIONS
    put_style = "async+location+accepted"  # 202 with Azure-AsyncOperation and Location; ``write`` adds the body
    create_status = 202
    delete_style = "async+location"
    location = "none"
    top_level = ()
    lock_parent = True
    durations = Durations(create=20, update=20, delete=20)  # an estimate
    name_rule = _GUID

    def write(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response:
        """PUT or DELETE in the generic way, answered as the Cosmos RP does: 202 {"status": "Enqueued"}."""
        if req.method == "PUT":
            return enqueued(arm.put(ref, self, json_body(req), req.api_version or "", fault))
        return enqueued(arm.delete(ref, self, req.api_version or "", fault, req.query))

    def render(self, world: World, record: Json) -> Json:
        body: Json = copy.deepcopy(record["body"])
        body["properties"].pop("provisioningState", None)  # not in the recorded GET bodies
        return body


class SqlRoleDefinition(_CosmosRbac):
    type = DEFINITION_TYPE

    def handle(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
        world = arm.world
        if ref.is_collection:
            account = world.get(ref.id.rsplit("/", 1)[0])
            if req.method != "GET" or account is None:
                return None
            # ordered by name (the recording lists 6328f5f7-... before be79875a-..., created before it)
            custom = [world.render(r) for r in sorted(world.of_type(self.type), key=lambda r: r["body"]["name"].lower())
                      if r["id"].lower().startswith(account["id"].lower() + "/")]
            return Response(200, {"value": [_built_in_body(account["id"], g) for g in BUILT_IN] + custom})
        if ref.action is not None:
            return None
        guid = ref.name.lower()
        account = world.get(_account_id(ref))
        if guid in BUILT_IN and account is not None:
            if req.method == "GET":
                return Response(200, _built_in_body(account["id"], guid))
            raise bad_request("BadRequest", f"The built-in role definition '{guid}' cannot be modified or deleted.")
        if req.method in _WRITES:
            _exclusive_lock(world, req, ref, self.busy_keys(world, ref))
        if req.method in ("PUT", "DELETE"):
            return self.write(arm, req, ref, fault)
        return None

    def validate(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body["properties"]
        if props.get("type", "CustomRole") not in ("CustomRole", TYPE_NUMBERS["CustomRole"]):  # name or wire number
            raise bad_request("BadRequest", "Only role definitions of type 'CustomRole' can be created.")
        if not props.get("roleName"):
            raise bad_request("BadRequest", "The role definition needs a roleName.", target="properties.roleName")
        scopes = props.get("assignableScopes")
        if not isinstance(scopes, list) or not scopes:
            raise bad_request("BadRequest", "assignableScopes must have at least one element.")
        for scope in scopes:
            _relative_scope(_account_id(ref), scope)

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body["properties"]
        props["type"] = "CustomRole"
        account_id = _account_id(ref)
        props["assignableScopes"] = [_qualified(account_id, s) for s in props["assignableScopes"]]
        props["permissions"] = [{**p, "notDataActions": p.get("notDataActions") or []}
                                for p in props.get("permissions") or [] if isinstance(p, dict)]

    def render(self, world: World, record: Json) -> Json:
        body = super().render(world, record)
        props = body["properties"]
        props["type"] = TYPE_NUMBERS.get(str(props.get("type")), props.get("type"))
        return body


class SqlRoleAssignment(_CosmosRbac):
    type = ASSIGNMENT_TYPE

    def handle(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
        world = arm.world
        _forget_failed(world)
        if ref.is_collection or ref.action is not None:
            return None
        if req.method == "GET" and world.get(_account_id(ref)) is not None and world.get(ref.key) is None:
            raise ArmError(404, "NotFound", f"Unable to find a SQL Role Assignment with ID [{ref.name}].")
        if req.method in _WRITES:
            _exclusive_lock(world, req, ref, self.busy_keys(world, ref))
        if req.method == "DELETE":
            return self.write(arm, req, ref, fault)
        if req.method != "PUT":
            return None
        response = self.write(arm, req, ref, fault)
        _fail_unknown_principal(world, ref)
        return response

    def validate(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body["properties"]
        account_id = _account_id(ref)
        definition = _definition(world, account_id, props.get("roleDefinitionId"))
        relative = _relative_scope(account_id, props.get("scope"))
        allowed = [_relative_scope(account_id, s) for s in definition["properties"]["assignableScopes"]]
        if not any(relative == a or relative.startswith(a.rstrip("/") + "/") for a in allowed):
            raise bad_request("BadRequest", f"The scope '{props.get('scope')}' is not within the assignable scopes "
                              "of the role definition.", target="properties.scope")
        if not isinstance(props.get("principalId"), str) or not props["principalId"]:
            raise bad_request("BadRequest", "The principalId of a role assignment is required.")
        if existing is not None:
            old = existing["body"]["properties"]
            if str(old.get("principalId")).lower() != str(props.get("principalId")).lower():
                # pulumi/pulumi-azure-native PR #3711 (its error, verbatim)
                raise bad_request("BadRequest", "Updating SQL Role Assignment Principal ID is not permitted. You may "
                                  "only update the associated Role Definition.")
            if _relative_scope(account_id, old.get("scope")) != relative:
                # pulumi/pulumi-azure-native#2253: an existing assignment cannot be moved to another scope
                raise bad_request("BadRequest", "Updating SQL Role Assignment Scope is not permitted. You may only "
                                  "update the associated Role Definition.")  # wording modelled on the above

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body["properties"]
        props["scope"] = _qualified(_account_id(ref), props["scope"])  # answered fully qualified


def _definition(world: World, account_id: str, definition_id: object) -> Json:
    text = definition_id if isinstance(definition_id, str) else ""
    guid = text.rsplit("/", 1)[-1].lower()
    if text.lower() == f"{account_id}/sqlRoleDefinitions/{guid}".lower():
        if guid in BUILT_IN:
            return _built_in_body(account_id, guid)
        record = world.get(text)
        if record is not None:
            body: Json = record["body"]
            return body
    raise bad_request("BadRequest", f"The specified role definition with ID '{guid.replace('-', '')}' does not exist.",
                      target="properties.roleDefinitionId")


def effective(world: World, record: Json) -> bool:
    """Whether the data-plane assignment ``record`` is honoured: created, and propagated since (modelled)."""
    created = record["op"] is None and record["body"]["properties"].get("provisioningState") == "Succeeded"
    return created and propagated(world, record)


def _forget_failed(world: World) -> None:
    """A create that failed leaves nothing: GET answers 404 afterwards (pulumi/pulumi-azure-native#2816)."""
    for record in [r for r in world.of_type(ASSIGNMENT_TYPE)
                   if r["op"] is None and r["body"]["properties"].get("provisioningState") == "Failed"]:
        world.remove(record)


def _fail_unknown_principal(world: World, ref: ArmRef) -> None:
    record = world.get(ref.key)
    op = world.operations.get(record["op"] or "") if record else None
    if record is None or op is None or op["fail"]:
        return
    principal = str(record["body"]["properties"]["principalId"])
    age = world.principal_age(principal)
    if age is None or age < world.scaled(REPLICATION_SECONDS):
        op["fail"] = {"code": "BadRequest", "status": 400,
                      "message": f"The provided principal ID [{principal}] was not found in the AAD tenant(s) "
                                 f"[{TENANT_ID}] which are associated with the customer's subscription."}


PROVIDERS: list[Provider] = [SqlRoleDefinition(), SqlRoleAssignment()]
