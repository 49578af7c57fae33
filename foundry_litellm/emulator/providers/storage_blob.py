"""Microsoft.Storage: the blob service of an account (the singleton ``default``) and its containers.

Sources: blob.json (Azure/azure-rest-api-specs, specification/storage/resource-manager/Microsoft.Storage/stable/
2025-06-01/blob.json, commit 3955469af05fbe9f237b37881c5b9b338e6b9d23): BlobServices_SetServiceProperties answers
200 only, the service name is the literal ``default``; BlobContainers_Create answers 201 (created) or 200 (already
there), BlobContainers_Delete 200 or 204 (no such container); none is long-running.
Azure CLI recordings (Azure/azure-cli, src/azure-cli/azure/cli/command_modules/storage/tests/latest/recordings/):
test_storage_account_update_versioning.yaml (commit 0d1b10e76c977685e13bc112a4b957b03f4a9e28, api-version
2021-04-01): the service of an account nobody configured is readable at once, with the account's ``sku`` on GET (not
on the PUT's answer), and a PUT answers 200 with the body;
test_storage_account_update_container_delete_retention_policy.yaml (commit 06b523ce27dd86aca7bbe420c4d08af529114ab5,
api-version 2021-09-01, the shape of later versions): that service is ``{"cors": {"corsRules": []},
"deleteRetentionPolicy": {"allowPermanentDelete": false, "enabled": false}}``; and
test_storage_container_using_rm_main_scenario.yaml (commit 059532daf6c4e59b28b94d194359e0a963d1c911): a container
PUT answers 201 with ``deleted``, ``remainingRetentionDays``, ``hasImmutabilityPolicy`` and ``hasLegalHold`` added,
a GET adds ``etag``, the lease state, ``lastModifiedTime`` and ``legalHold``.
Container names (blob.json ContainerName): 3-63 characters, digits, lower-case letters and hyphens, every hyphen
between two letters or digits.
"""

from __future__ import annotations

import copy

from ..armpath import ArmRef
from ..errors import bad_request
from ..provider import ArmCalls, Json, NameRule, Provider
from ..wire import Fault, Request, Response
from ..world import World
from .data_common import iso_now
from .storage import ACCOUNT_TYPE, VERSIONS

SERVICE_TYPE = "Microsoft.Storage/storageAccounts/blobServices"
CONTAINER_TYPE = "Microsoft.Storage/storageAccounts/blobServices/containers"
# What the service of an account nobody configured shows (test_storage_account_update_container_delete_retention_policy
# .yaml).
DEFAULT_SERVICE: Json = {"cors": {"corsRules": []},
                         "deleteRetentionPolicy": {"allowPermanentDelete": False, "enabled": False}}


def _account_of(world: World, ref: ArmRef) -> Json | None:
    account = ArmRef(ref.subscription, ref.resource_group, ref.scope, ref.namespace, ref.types[:1], ref.names[:1])
    record = world.get(account.key)
    return record if record is not None and record["type"].lower() == ACCOUNT_TYPE.lower() else None


def ensure_service(world: World, ref: ArmRef) -> None:
    """The blob service exists as soon as its account does (nobody creates it): store it on first use."""
    account = _account_of(world, ref)
    if account is None or not ref.names:
        return
    sid = f"{account['id']}/blobServices/default"
    if world.get(sid.lower()) is not None:
        return
    body = {"id": sid, "name": "default", "type": SERVICE_TYPE, "properties": copy.deepcopy(DEFAULT_SERVICE)}
    world.store_record({"id": sid, "type": SERVICE_TYPE, "created": world.now(), "op": None, "body": body,
                        "internal": {}})


class _ServiceName(NameRule):
    def check(self, type_: str, name: str) -> None:
        if name != "default":  # blob.json BlobServicesName: enum ["default"], pattern ^default$
            raise bad_request("InvalidResourceName", f"Resource name '{name}' is invalid for type '{type_}': the "
                              "blob service of an account is named 'default'.", target="name")


class BlobService(Provider):
    type = SERVICE_TYPE
    api_versions = VERSIONS
    put_style = "sync"
    create_status = 200  # the spec knows no 201: the service always exists
    location = "none"
    top_level = ()  # no tags; sku is read-only
    name_rule = _ServiceName(7, 7, "", "")

    def handle(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
        ensure_service(arm.world, ref)
        record = arm.world.get(ref.key) if not ref.is_collection else None
        if req.method == "GET" and record is not None:
            body = self.render(arm.world, record)
            account = _account_of(arm.world, ref)
            if account is not None and "sku" in account["body"]:
                body = {"sku": copy.deepcopy(account["body"]["sku"]), **body}  # GET only, as recorded
            return Response(200, body)
        return None

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        # A setting the PUT leaves out is kept, as the data plane's Set Blob Service Properties does.
        old = copy.deepcopy((existing or {}).get("body", {}).get("properties", {}))
        old.pop("provisioningState", None)
        body["properties"] = {**old, **body["properties"]}

    def render(self, world: World, record: Json) -> Json:
        body: Json = copy.deepcopy(record["body"])
        body.get("properties", {}).pop("provisioningState", None)  # the service has none
        return body


class BlobContainer(Provider):
    type = CONTAINER_TYPE
    api_versions = VERSIONS
    put_style = "sync"
    delete_style = "sync"
    location = "none"
    top_level = ()  # no tags; etag is read-only
    name_rule = NameRule(3, 63, r"(?!.*--)[a-z0-9][a-z0-9-]*[a-z0-9]",
                         "lower-case letters, digits and single hyphens, starting and ending with a letter or "
                         "digit")

    def handle(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
        ensure_service(arm.world, ref)  # the parent a container PUT needs
        return None

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body["properties"]
        old = (existing or {}).get("body", {}).get("properties", {})
        for key, value in (("deleted", False), ("remainingRetentionDays", 0), ("hasImmutabilityPolicy", False),
                           ("hasLegalHold", False)):
            props.setdefault(key, value)
        props["lastModifiedTime"] = iso_now(world)
        props.setdefault("leaseStatus", old.get("leaseStatus", "Unlocked"))
        props.setdefault("leaseState", old.get("leaseState", "Available"))
        props.setdefault("legalHold", {"hasLegalHold": False, "tags": []})

    def render(self, world: World, record: Json) -> Json:
        body: Json = copy.deepcopy(record["body"])
        body.get("properties", {}).pop("provisioningState", None)  # a container has none
        return body


PROVIDERS: list[Provider] = [BlobService(), BlobContainer()]
