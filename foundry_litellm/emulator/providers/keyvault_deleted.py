"""Soft-deleted Key Vaults: the deletedVaults routes, purge, and the store that recovery draws on.

Sources: openapi.json (KeyVault 2026-05-15): Vaults_GetDeleted, Vaults_ListDeleted, Vaults_PurgeDeleted (POST,
202 + Location, final-state-via location); DeletedVaultProperties (vaultId, location, deletionDate,
scheduledPurgeDate, tags, purgeProtectionEnabled). A vault with purge protection cannot be purged before its
retention ends: MethodNotAllowed "Operation 'DeletedVaultPurge' is not allowed." (microsoft/AzureTRE#1446).

Secret values of a deleted vault are kept apart from the listing (world.data["sealed"]), so nothing that shows
a deleted vault ever shows a secret.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from ..errors import ArmError, not_found
from ..provider import Durations, Json, Provider
from ..wire import Fault, Request, Response
from ..world import World
from .data_common import iso_at, subscription_of

if TYPE_CHECKING:
    from ..armpath import ArmRef
    from ..provider import ArmCalls

KIND = "keyvault"
DELETED_TYPE = "Microsoft.KeyVault/deletedVaults"
DAY = 86400.0


def _entries(world: World) -> dict[str, Json]:
    return world.soft_deleted(KIND)


def _sealed(world: World) -> dict[str, Any]:
    sealed: dict[str, Any] = world.data.setdefault("sealed", {})
    return sealed


def _expire(world: World) -> None:
    """Drop entries whose retention ended: Azure purges them then."""
    now = world.now()
    for key, entry in list(_entries(world).items()):
        if entry["purge_at"] <= now:
            _forget(world, key)


def _forget(world: World, key: str) -> None:
    _entries(world).pop(key, None)
    _sealed(world).pop(f"{KIND}/{key}", None)


def find(world: World, name: str) -> Json | None:
    """The soft-deleted vault named ``name`` (names are global), or None."""
    _expire(world)
    return _entries(world).get(name.lower())


def soft_delete(world: World, vault: Json) -> None:
    """Keep a deleted vault, with the secrets its children left in it, for its retention period."""
    body = vault["body"]
    props = body["properties"]
    now = world.now()
    days = int(props.get("softDeleteRetentionInDays") or 90)
    ref = world.ref_of(vault)
    secrets = vault["internal"].pop("deleted_secrets", [])
    key = body["name"].lower()
    _entries(world)[key] = {
        "id": f"/subscriptions/{ref.subscription}/providers/Microsoft.KeyVault/locations/{body['location']}"
              f"/deletedVaults/{body['name']}",
        "name": body["name"], "type": DELETED_TYPE,
        "properties": {
            "vaultId": vault["id"], "location": body["location"], "deletionDate": iso_at(now),
            "scheduledPurgeDate": iso_at(now + days * DAY), "tags": dict(body.get("tags") or {}),
            "purgeProtectionEnabled": bool(props.get("enablePurgeProtection")),
        },
        "purge_at": now + world.scaled(days * DAY),
        "vault": {"created": vault["created"], "body": copy.deepcopy(body)},
        "secrets": [{"id": s["id"], "created": s["created"], "body": s["body"]} for s in secrets],
    }
    _sealed(world)[f"{KIND}/{key}"] = {"vault": vault["internal"], "secrets": {s["id"]: s["internal"]
                                                                              for s in secrets}}


def being_purged(world: World, entry: Json) -> bool:
    record = world.get(entry["id"])
    op = world.operations.get((record or {}).get("op") or "")
    return op is not None and op["status"] == "InProgress"


def take(world: World, name: str) -> tuple[Json, dict[str, Any]]:
    """Remove a deleted vault from the store for recovery: the entry and its sealed internals."""
    key = name.lower()
    entry = _entries(world).pop(key)
    sealed = _sealed(world).pop(f"{KIND}/{key}", {"vault": {}, "secrets": {}})
    return entry, sealed


def public(entry: Json) -> Json:
    return {k: copy.deepcopy(entry[k]) for k in ("id", "name", "type", "properties")}


class _DeletedVaults(Provider):
    """Virtual resources answered entirely by ``handle``."""

    location = "none"
    durations = Durations(delete=10)  # purge: an estimate; Azure gives no figure

    def __init__(self, type_: str, api_versions: frozenset[str]) -> None:
        self.type = type_  # type: ignore[misc]
        self.api_versions = api_versions  # type: ignore[misc]

    def handle(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
        world = arm.world
        _expire(world)
        sub = ref.subscription.lower()
        if ref.is_collection:  # .../deletedVaults or .../locations/{l}/deletedVaults
            region = ref.names[0].lower() if ref.names else None
            items = [public(e) for _, e in sorted(_entries(world).items())
                     if subscription_of(e["properties"]["vaultId"]) == sub
                     and (region is None or e["properties"]["location"] == region)]
            return Response(200, {"value": items})
        region, name = ref.names[0].lower(), ref.names[-1]
        entry = _entries(world).get(name.lower())
        if entry is None or subscription_of(entry["properties"]["vaultId"]) != sub \
                or entry["properties"]["location"] != region:  # a wrong region is a plain 404
            raise not_found("Microsoft.KeyVault/locations/deletedVaults", name, None)
        if ref.action is None and req.method == "GET":
            return Response(200, public(entry))
        if (ref.action or "").lower() == "purge" and req.method == "POST":
            return self._purge(arm, entry, req.api_version or "", fault)
        raise ArmError(405, "MethodNotAllowed", f"{req.method} is not supported on deleted vaults.")

    def _purge(self, arm: ArmCalls, entry: Json, api_version: str, fault: Fault) -> Response:
        """202 + Location; the entry goes when the operation completes (a transient record carries it)."""
        if entry["properties"]["purgeProtectionEnabled"]:
            raise ArmError(405, "MethodNotAllowed", "Operation 'DeletedVaultPurge' is not allowed.")
        world = arm.world
        record = world.get(entry["id"])
        op = world.operations.get((record or {}).get("op") or "")
        if record is None or op is None or op["status"] != "InProgress":
            record = {"id": entry["id"], "type": self.type, "created": world.now(), "op": None, "internal": {},
                      "body": {"id": entry["id"], "name": entry["name"], "type": self.type,
                               "location": entry["properties"]["location"], "properties": {}}}
            world.store_record(record)
            op = world.start_operation(record, kind="delete", seconds=self.durations.delete, busy=set(),
                                       fail=fault.fail, stall=fault.stall)
        headers = {"Location": arm.operation_url(record, op, "operationResults", api_version),
                   **arm.retry_after(op)}
        return Response(202, None, headers)

    def deleted(self, world: World, record: Json) -> None:
        """The purge completed."""
        _forget(world, record["body"]["name"].lower())


def providers(api_versions: frozenset[str]) -> list[Provider]:
    return [_DeletedVaults("Microsoft.KeyVault/locations/deletedVaults", api_versions),
            _DeletedVaults(DELETED_TYPE, api_versions)]
