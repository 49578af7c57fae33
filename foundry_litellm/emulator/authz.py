"""The caller's rights, as Azure RBAC decides them: every ARM request needs one action over one scope, and the
caller holds role assignments (a built-in role at a scope) that grant it or not.

Sources: Learn "Azure built-in roles" (General and Privileged: the role definitions below); Learn "Azure resource
provider operations" (action names: ``<Namespace>/<type path>/read|write|delete``, POST actions as
``<Namespace>/<type path>/<action>/action``, ``Microsoft.<NS>/register/action``, ``Microsoft.Resources/subscriptions/
providers/read``); Learn "Understand scope for Azure RBAC" (an assignment applies at its scope and below); the 403
body ARM answers, e.g. "The client '...' with object id '6643889d-...' does not have authorization to perform
action 'Microsoft.Resources/subscriptions/resourcegroups/delete' over scope '/subscriptions/<sub>/resourcegroups/
<group>' or the scope is invalid. If access was recently granted, please refresh your credentials." (an
``az group delete`` transcript, code AuthorizationFailed); Permissions_ListForResourceGroup in
authorization-RoleDefinitionsCalls.json (2022-04-01).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from . import registration
from .armpath import parse
from .errors import ArmError, bad_request, group_not_found
from .wire import Request, Response, error_response
from .world import World

# The emulated caller, when the bearer token is not a JWT that names one (any token is accepted).
DEFAULT_OBJECT_ID = "00000000-0000-4000-8000-00000000ca11"
# What ``Authorization`` answers the caller when no role is configured: Owner everywhere, as before roles existed.
DEFAULT_ROLES = ("Owner@/",)
# The api-versions of the Permissions operations that azure-mgmt-authorization 4.0.0 knows (2022-04-01 by default).
PERMISSIONS_API_VERSIONS = frozenset({"2015-07-01", "2018-01-01-preview", "2022-04-01", "2022-05-01-preview"})
_PERMISSIONS = re.compile(r"^/subscriptions/([^/]+)/resourcegroups/([^/]+)/providers/microsoft\.authorization/"
                          r"permissions/?$", re.IGNORECASE)
_OPERATION_TYPES = ("operationstatuses", "operationresults")


@dataclass(frozen=True)
class RoleDefinition:
    name: str
    guid: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...] = ()

    def allows(self, action: str) -> bool:
        """NotActions subtract from this role's Actions only; another role may still grant the action."""
        return any(_matches(a, action) for a in self.actions) and not any(_matches(n, action)
                                                                          for n in self.not_actions)


# Built-in definitions as Learn "Azure built-in roles" (Privileged, General) lists them, checked 2026-12.
BUILT_IN_ROLES = {role.name.lower(): role for role in (
    RoleDefinition("Owner", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", ("*",)),
    RoleDefinition("Contributor", "b24988ac-6180-42a0-ab88-20f7382dd24c", ("*",), (
        "Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
        "Microsoft.Authorization/elevateAccess/Action", "Microsoft.Blueprint/blueprintAssignments/write",
        "Microsoft.Blueprint/blueprintAssignments/delete", "Microsoft.Compute/galleries/share/action",
        "Microsoft.Purview/consents/write", "Microsoft.Purview/consents/delete",
        "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
        "Microsoft.Subscription/cancel/action", "Microsoft.Subscription/enable/action")),
    RoleDefinition("Reader", "acdd72a7-3385-48ef-bd42-f606fba81ae7", ("*/read",)),
    RoleDefinition("User Access Administrator", "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
                   ("*/read", "Microsoft.Authorization/*", "Microsoft.Support/*")),
    # Its assignments usually carry an ABAC condition limiting which roles may be assigned: not modelled.
    RoleDefinition("Role Based Access Control Administrator", "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
                   ("Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/roleAssignments/delete",
                    "*/read", "Microsoft.Support/*")),
)}


class RoleSpecError(ValueError):
    """A caller role that is not ``ROLE@SCOPE`` with a known built-in role and an ARM scope."""


@dataclass(frozen=True)
class CallerRole:
    role: RoleDefinition
    scope: str

    def covers(self, scope: str) -> bool:
        """At the assignment's scope or below it, case-insensitively."""
        mine, theirs = self.scope.rstrip("/").lower(), scope.rstrip("/").lower()
        return mine in ("", theirs) or theirs.startswith(mine + "/")

    def describe(self) -> dict[str, str]:
        return {"role": self.role.name, "scope": self.scope}


def parse_role(spec: str | dict[str, Any]) -> CallerRole:
    """``"ROLE@SCOPE"`` (``Owner@/subscriptions/<sub>/resourceGroups/<rg>``) or ``{"role": ..., "scope": ...}``;
    ROLE is a built-in role name or its GUID, case-insensitive."""
    if isinstance(spec, dict):
        name, scope = str(spec.get("role") or ""), str(spec.get("scope") or "")
    else:
        name, _, scope = str(spec).partition("@")
    name, scope = name.strip(), scope.strip()
    role = BUILT_IN_ROLES.get(name.lower()) or next(
        (r for r in BUILT_IN_ROLES.values() if r.guid == name.lower()), None)
    if role is None:
        known = ", ".join(r.name for r in BUILT_IN_ROLES.values())
        raise RoleSpecError(f"unknown role {name!r} in {spec!r}: one of {known}")
    if scope != "/" and not re.fullmatch(r"/subscriptions/[^/]+(/.+)?", scope.rstrip("/")):
        raise RoleSpecError(f"the scope of {spec!r} must be '/' or start with /subscriptions/<id>")
    return CallerRole(role, scope if scope == "/" else scope.rstrip("/"))


def parse_roles(specs: Iterable[str | dict[str, Any]] | None) -> tuple[CallerRole, ...]:
    return tuple(parse_role(s) for s in (DEFAULT_ROLES if specs is None else specs))


def roles_from_env(value: str) -> list[str]:
    """``ROLE@SCOPE`` items separated by commas (role names and scopes hold none)."""
    return [item.strip() for item in value.split(",") if item.strip()]


@dataclass(frozen=True)
class Check:
    """What a request needs: ``action`` over ``scope`` (as ARM names them), granted by a role covering
    ``covering`` (the same scope, but the subscription for creating a resource group)."""

    action: str
    scope: str
    covering: str


def required(req: Request, world: World) -> Check | None:
    """The action and scope of an ARM request; None for a request ARM lets through (operation polls, which the
    caller of the write may read) or one outside ARM's path space (answered 404 later)."""
    path = req.path.rstrip("/")
    verb = {"GET": "read", "HEAD": "read", "PUT": "write", "PATCH": "write", "DELETE": "delete"}.get(req.method)
    provider_route = registration.route(path)
    if provider_route is not None:
        subscription, namespace, action = provider_route
        scope = f"/subscriptions/{subscription}"
        if action is not None and namespace is not None:
            return Check(f"{namespace}/{action}/action", scope, scope)
        return Check("Microsoft.Resources/subscriptions/providers/read", scope, scope)
    ref = parse(path, method=req.method)
    if ref is None:
        return None
    if ref.namespace is None:  # the subscription, its groups, a group
        type_path = "/".join(["Microsoft.Resources", "subscriptions", *path.strip("/").split("/")[2:3]])
        covering = path
        if ref.resource_group is not None and req.method == "PUT" and world.get(ref.key) is None:
            covering = f"/subscriptions/{ref.subscription}"  # a new group is made in the subscription
        return Check(f"{type_path}/{verb or 'action'}", path, covering)
    if len(ref.types) >= 2 and ref.types[-2].lower() == "locations" and ref.types[-1].lower() in _OPERATION_TYPES:
        return None
    type_path = "/".join((ref.namespace, *ref.types))
    if ref.action is not None:
        scope = path[: -len(ref.action) - 1]
        return Check(f"{type_path}/{ref.action}/action", scope, scope)
    return Check(f"{type_path}/{verb or 'action'}", path, path)


def denied(object_id: str, check: Check) -> ArmError:
    return ArmError(403, "AuthorizationFailed",
                    f"The client '{object_id}' with object id '{object_id}' does not have authorization to perform "
                    f"action '{check.action}' over scope '{check.scope}' or the scope is invalid. If access was "
                    "recently granted, please refresh your credentials.")


class Caller:
    """The principal behind every ARM request, and its role assignments (replaced as a whole at run time)."""

    def __init__(self, roles: Sequence[str | dict[str, Any]] | None = None) -> None:
        self.roles = parse_roles(roles)

    def set_roles(self, roles: Sequence[str | dict[str, Any]]) -> None:
        self.roles = parse_roles(roles)

    def describe(self) -> dict[str, Any]:
        return {"object_id": DEFAULT_OBJECT_ID, "roles": [r.describe() for r in self.roles]}

    def answer(self, req: Request, world: World, forward: Callable[[], Response]) -> Response:
        """Authorize ``req`` as ARM does before any resource provider sees it, then ``forward`` it; the
        Permissions route is answered here, from the caller's assignments. Called with the world's lock held."""
        roles = self.roles  # one consistent set for this request, whatever an admin call does meanwhile
        try:
            check = required(req, world)
            if check is not None and self._group_list(req) and not _allowed(roles, check):
                return _visible_groups(roles, forward())  # ARM lists the groups the caller may read
            if check is not None and not _allowed(roles, check):
                raise denied(_object_id(req), check)
            match = _PERMISSIONS.match(req.path)
            if match is not None:
                return Response(200, {"value": _permissions(roles, req, world, match.group(1), match.group(2))})
        except ArmError as err:
            return error_response(err)
        return forward()

    @staticmethod
    def _group_list(req: Request) -> bool:
        parts = req.path.strip("/").split("/")
        return req.method == "GET" and len(parts) == 3 and parts[2].lower() == "resourcegroups"


def _allowed(roles: Iterable[CallerRole], check: Check) -> bool:
    return any(r.covers(check.covering) and r.role.allows(check.action) for r in roles)


def _visible_groups(roles: Sequence[CallerRole], response: Response) -> Response:
    if response.status == 200 and isinstance(response.body, dict):
        response.body["value"] = [g for g in response.body.get("value", []) if _allowed(
            roles, Check("Microsoft.Resources/subscriptions/resourceGroups/read", g["id"], g["id"]))]
    return response


def _permissions(roles: Sequence[CallerRole], req: Request, world: World, subscription: str,
                 group: str) -> list[dict[str, Any]]:
    """Permissions_ListForResourceGroup: one entry per assignment at or above the group."""
    if req.method != "GET":
        raise ArmError(405, "MethodNotAllowed", f"The requested resource does not support http method "
                       f"'{req.method}'.")
    if not req.api_version:
        raise bad_request("MissingApiVersionParameter",
                          "The api-version query parameter (?api-version=) is required for all requests.")
    if req.api_version not in PERMISSIONS_API_VERSIONS:
        raise bad_request("InvalidApiVersionParameter", f"The api-version '{req.api_version}' is invalid. The "
                          f"supported versions are '{', '.join(sorted(PERMISSIONS_API_VERSIONS, reverse=True))}'.")
    group_id = f"/subscriptions/{subscription}/resourceGroups/{group}"
    if world.get(group_id) is None:
        raise group_not_found(group)
    return [{"actions": list(r.role.actions), "notActions": list(r.role.not_actions), "dataActions": [],
             "notDataActions": []} for r in roles if r.covers(group_id)]


def _matches(pattern: str, action: str) -> bool:
    """Action patterns are case-insensitive; ``*`` stands for any characters, slashes included."""
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, action, re.IGNORECASE) is not None


def _object_id(req: Request) -> str:
    """The ``oid`` claim of a JWT bearer token; the emulator's default caller for any other token."""
    token = req.headers.get("authorization", "")[len("bearer "):]
    parts = token.split(".")
    if len(parts) == 3:
        try:
            claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except ValueError:
            return DEFAULT_OBJECT_ID
        oid = claims.get("oid") if isinstance(claims, dict) else None
        if isinstance(oid, str):
            return oid
    return DEFAULT_OBJECT_ID
