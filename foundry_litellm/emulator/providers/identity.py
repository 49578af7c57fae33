"""Microsoft.ManagedIdentity: user-assigned identities.

Sources: ManagedIdentity.json (2024-11-30): PUT 200/201 and DELETE 200/204, both synchronous. The Azure CLI
recording identity__test_identity_management.yaml (2022-01-31-preview) shows the wire form: a create answers 201
with a ``Location`` header naming the resource itself (not an operation), the body has no provisioningState and
always has ``tags``; POST ``listAssociatedResources`` answers 200 ``{"totalCount", "value"}``.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from ..armpath import ArmRef
from ..provider import Json, NameRule, Provider
from ..wire import Fault, Request, Response, json_body
from ..world import TENANT_ID, World
from .common import new_guid

if TYPE_CHECKING:
    from ..provider import ArmCalls

IDENTITY_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"


class UserAssignedIdentity(Provider):
    type = IDENTITY_TYPE
    api_versions = frozenset({"2018-11-30", "2021-09-30-preview", "2022-01-31-preview", "2023-01-31",
                              "2023-07-31-preview", "2024-11-30", "2025-01-31-preview"})
    # ManagedIdentity.json: PUT 200/201 and DELETE 200/204, both synchronous.
    put_style = "sync"
    delete_style = "sync"
    name_rule = NameRule(3, 128, r"[a-zA-Z0-9][a-zA-Z0-9_-]*", "letters, digits, '-' and '_', starting with a "
                         "letter or digit")
    actions = {"listassociatedresources": "list_associated_resources"}

    def handle(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
        if req.method != "PUT" or ref.action is not None or ref.is_collection:
            return None
        response = arm.put(ref, self, json_body(req), req.api_version or "", fault)
        if response.status == 201 and isinstance(response.body, dict):
            # The recording: the 201 of a create carries Location: <the identity's own id> (a relative URL).
            response.headers["Location"] = str(response.body["id"])
        return response

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        old = existing["body"]["properties"] if existing else {}
        body.setdefault("tags", {})  # the recording: "tags": {} when none were given
        props = body["properties"]
        props["tenantId"] = TENANT_ID
        props["principalId"] = old.get("principalId") or new_guid()
        props["clientId"] = old.get("clientId") or new_guid()
        props.setdefault("isolationScope", "None")

    def render(self, world: World, record: Json) -> Json:
        body: Json = copy.deepcopy(record["body"])
        body["properties"].pop("provisioningState", None)  # the recording: never in the body
        return body

    def committed(self, world: World, ref: ArmRef, record: Json, existing: Json | None) -> None:
        if existing is None:
            # Entra ID replicates a new service principal with a delay: role assignments that name it in the
            # next minutes may fail with PrincipalNotFound (azure-quickstart-templates#4945).
            world.register_principal(record["body"]["properties"]["principalId"])

    def deleted(self, world: World, record: Json) -> None:
        world.data["principals"].pop(record["body"]["properties"]["principalId"], None)

    def list_associated_resources(self, world: World, ref: ArmRef, body: Json, record: Json) -> tuple[int, Json]:
        """The resources that hold this identity (identity.userAssignedIdentities), in the recorded shape."""
        mine = record["id"].lower()
        found: list[Json] = []
        for other in sorted(world.resources.values(), key=lambda r: str(r["id"]).lower()):
            assigned = (other["body"].get("identity") or {}).get("userAssignedIdentities") or {}
            if not any(str(key).lower() == mine for key in assigned):
                continue
            parts = other["id"].split("/")
            found.append({"id": other["id"], "name": other["body"].get("name", parts[-1]),
                          "type": other["type"], "resourceGroup": parts[4] if len(parts) > 4 else "",
                          "subscriptionId": parts[2], "subscriptionDisplayName": parts[2]})
        return 200, {"totalCount": len(found), "value": found}


PROVIDERS = [UserAssignedIdentity()]
