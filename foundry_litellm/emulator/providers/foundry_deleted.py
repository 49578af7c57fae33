"""Soft-deleted Foundry accounts: list, get and purge (deletedAccounts).

Sources: cognitiveservices.json 2025-09-01 (DeletedAccounts_Get/List/Purge; purge is a long-running DELETE),
GetDeletedAccount.json (the deleted account's shape); a purge must name the account's original location, another
one is a 404 (ansible-collections/azure PR #2287); the agent subnet's link goes 15 minutes to 2 days after the
purge (foundry-samples TESTING-GUIDE, PR #276, #153): a delay drawn per link from the world's ``link_release``
range (tails.py).
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ... import regions
from ..armpath import ArmRef
from ..errors import ArmError, not_found
from ..provider import Durations, Json, Provider
from ..wire import Fault, Request, Response
from ..world import World
from .foundry_common import ACCOUNT_VERSIONS, NAMESPACE, SOFT_DELETE_KIND

if TYPE_CHECKING:
    from ..provider import ArmCalls

LINK_RELEASE_TAIL = "link_release"  # the range the world draws each link's release from (tails.py)
DELETED_TYPE = f"{NAMESPACE}/deletedAccounts"
RETENTION_SECONDS = 48 * 3600  # "deleted in the last 48 hours ... purge" (the CustomDomainInUse message)


def _entries(world: World, subscription: str) -> list[Json]:
    return [e for e in world.soft_deleted(SOFT_DELETE_KIND).values()
            if e["subscription"].lower() == subscription.lower()]


def _render_deleted(entry: Json) -> Json:
    props = copy.deepcopy(entry["properties"])
    props["provisioningState"] = "Succeeded"
    props.setdefault("privateEndpointConnections", [])  # the recording's deleted account shows an empty list
    props["deletionDate"] = entry["deletionDate"]
    props["scheduledPurgeDate"] = _iso_after(entry["deletionDate"], RETENTION_SECONDS)
    # Azure CLI recording cognitiveservices/test_cognitiveservices_softdelete.yaml: the deleted account's type is
    # Microsoft.CognitiveServices/deletedAccounts, with the account's etag, systemData, kind, sku and properties.
    return {"id": entry["id"], "name": entry["name"], "type": DELETED_TYPE, "location": entry["location"],
            **copy.deepcopy(entry["body"]), "systemData": copy.deepcopy(entry.get("systemData") or {}),
            "properties": props}


def _iso_after(stamp: str, seconds: float) -> str:
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")) + timedelta(seconds=seconds)
    return moment.isoformat().replace("+00:00", "Z")


def _method_not_allowed(req: Request) -> ArmError:
    return ArmError(405, "MethodNotAllowed", f"{req.method} is not supported on this resource.")


class DeletedAccounts(Provider):
    """GET /subscriptions/{s}/providers/Microsoft.CognitiveServices/deletedAccounts."""

    type = DELETED_TYPE
    api_versions = ACCOUNT_VERSIONS
    location = "none"

    def handle(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
        if req.method != "GET" or not ref.is_collection:
            raise _method_not_allowed(req)
        return Response(200, {"value": [_render_deleted(e) for e in _entries(arm.world, ref.subscription)]})


class DeletedAccount(Provider):
    """GET and purge (DELETE) of .../locations/{location}/resourceGroups/{group}/deletedAccounts/{name}.

    While the purge runs, a transient record stands for the deleted account so the generic layer can run the
    long-running DELETE (faults included); when it completes the entry goes and the subnet link is released.
    """

    type = f"{NAMESPACE}/locations/resourceGroups/deletedAccounts"
    api_versions = ACCOUNT_VERSIONS
    location = "none"
    top_level = ()
    # Azure CLI recording cognitiveservices/test_cognitiveservices_softdelete.yaml: the purge answers 202 with no
    # body and both Azure-AsyncOperation and Location.
    delete_style = "async+location+accepted"
    durations = Durations(delete=30)

    def handle(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
        if ref.is_collection or req.method not in ("GET", "DELETE"):
            raise _method_not_allowed(req)
        entry = self._find(arm.world, ref)
        if entry is None:
            raise not_found(f"{NAMESPACE}/deletedAccounts", ref.name, ref.names[1])
        if req.method == "GET":
            return Response(200, _render_deleted(entry))
        if arm.world.get(ref.key) is None:
            body = {"id": ref.id, "name": entry["name"], "type": self.type, "location": entry["location"],
                    "properties": {"provisioningState": "Succeeded"}}
            arm.world.store_record({"id": ref.id, "type": self.type, "created": arm.world.now(), "op": None,
                                    "body": body, "internal": {"entry": entry["accountId"].lower()}})
        return arm.delete(ref, self, req.api_version or "", fault, req.query)

    def _find(self, world: World, ref: ArmRef) -> Json | None:
        location, group, name = (n.lower() for n in ref.names)
        for entry in _entries(world, ref.subscription):
            if (entry["name"].lower(), str(entry["resourceGroup"]).lower()) == (name, group) \
                    and regions.normalize(entry["location"]) == regions.normalize(location):
                return entry
        return None

    def deleted(self, world: World, record: Json) -> None:
        entry = world.soft_deleted(SOFT_DELETE_KIND).pop(record["internal"]["entry"], None)
        if entry and entry.get("holder"):
            world.release_links(entry["holder"], tail=LINK_RELEASE_TAIL)


PROVIDERS: list[Provider] = [DeletedAccounts(), DeletedAccount()]
