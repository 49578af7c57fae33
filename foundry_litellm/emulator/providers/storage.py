"""Microsoft.Storage: storage accounts.

Sources: storage.json (2025-06-01): StorageAccounts_Create answers 202 with a Location header and no body (200 when
the account already exists), StorageAccounts_Delete is synchronous (200/204), listKeys is a POST action.
Names are global, 3-24 lower-case letters and digits: AccountNameInvalid, StorageAccountAlreadyTaken (another
subscription) and StorageAccountInAnotherResourceGroup (the same subscription) (Learn "Resolve errors for storage
account names", error-storage-account-name.md; hashicorp/terraform#11485). Creation takes about 27 s
(MicrosoftDocs/azure-docs container-apps/microservices-dapr-bindings.md, azd timings).
"""

from __future__ import annotations

import copy

from ..armpath import ArmRef
from ..errors import bad_request, conflict
from ..provider import Durations, Json, NameRule, Provider
from ..world import World
from .common import new_key
from .data_common import iso_now, same_name_elsewhere, subscription_of
from .privatelink import STORAGE_SERVICES, connections_to

VERSIONS = frozenset({
    "2019-06-01", "2021-01-01", "2021-02-01", "2021-04-01", "2021-06-01", "2021-08-01", "2021-09-01",
    "2022-05-01", "2022-09-01", "2023-01-01", "2023-04-01", "2023-05-01", "2024-01-01", "2025-01-01",
    "2025-06-01", "2026-09-01",
})
ACCOUNT_TYPE = "Microsoft.Storage/storageAccounts"


class _AccountName(NameRule):
    def check(self, type_: str, name: str) -> None:
        if 3 <= len(name) <= 24 and name.isascii() and name.isalnum() and name == name.lower():
            return
        raise bad_request("AccountNameInvalid",
                          f"{name} is not a valid storage account name. Storage account name must be between 3 and "
                          "24 characters in length and use numbers and lower-case letters only.", target=name)


class StorageAccount(Provider):
    type = ACCOUNT_TYPE
    api_versions = VERSIONS
    put_style = "location"  # 202 + Location, no body
    delete_style = "sync"
    durations = Durations(create=27)
    name_rule = _AccountName(3, 24, "", "")
    top_level = ("tags", "sku", "kind", "identity", "extendedLocation", "zones", "placement")
    actions = {"listkeys": "list_keys"}

    def validate(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        other = same_name_elsewhere(world, ACCOUNT_TYPE, ref)
        if other is None:
            return
        if subscription_of(other["id"]) == ref.subscription.lower():
            raise conflict("StorageAccountInAnotherResourceGroup",
                           f"The account {ref.name} is already in another resource group in this subscription.")
        raise conflict("StorageAccountAlreadyTaken", f"The storage account named {ref.name} is already taken.")

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body["properties"]
        old = (existing or {}).get("body", {}).get("properties", {})
        name = ref.name
        endpoints = {s: f"https://{name}.{s}.core.windows.net/" for s in STORAGE_SERVICES}
        endpoints["web"] = f"https://{name}.z13.web.core.windows.net/"
        created = old.get("creationTime") or iso_now(world)
        props.update({"primaryEndpoints": endpoints, "primaryLocation": body["location"],
                      "statusOfPrimary": "available", "creationTime": created,
                      "keyCreationTime": old.get("keyCreationTime") or {"key1": created, "key2": created}})
        if body.get("kind") in ("StorageV2", "BlobStorage"):
            props.setdefault("accessTier", old.get("accessTier", "Hot"))
        props.setdefault("supportsHttpsTrafficOnly", True)
        props.setdefault("allowBlobPublicAccess", False)
        props.setdefault("minimumTlsVersion", "TLS1_2")
        props.setdefault("encryption", {"keySource": "Microsoft.Storage", "services": {
            "blob": {"enabled": True, "keyType": "Account"}, "file": {"enabled": True, "keyType": "Account"}}})
        props.setdefault("networkAcls", {"bypass": "AzureServices", "defaultAction": "Allow",
                                         "ipRules": [], "virtualNetworkRules": []})

    def committed(self, world: World, ref: ArmRef, record: Json, existing: Json | None) -> None:
        record["internal"].setdefault("keys", {"key1": new_key(), "key2": new_key()})

    def render(self, world: World, record: Json) -> Json:
        body: Json = copy.deepcopy(record["body"])
        body["properties"]["privateEndpointConnections"] = connections_to(world, record)
        return body

    def list_keys(self, world: World, ref: ArmRef, body: Json, record: Json) -> tuple[int, Json]:
        created = record["body"]["properties"]["creationTime"]
        return 200, {"keys": [{"keyName": k, "value": v, "permissions": "FULL", "creationTime": created}
                              for k, v in record["internal"]["keys"].items()]}


PROVIDERS: list[Provider] = [StorageAccount()]
