"""Microsoft.DocumentDB: Cosmos DB database accounts.

Sources: cosmos-db.json (2025-10-15): DatabaseAccounts_CreateOrUpdate is long-running with a 200 only,
DatabaseAccounts_Delete answers 202 (Azure-AsyncOperation and Location); Location.failoverPriority "0 indicates
a write region ... values must be unique". The account keeps exactly the regions it was given: the
CosmosDBDatabaseAccountCreateMin example asks for location westus with the single region southcentralus and gets
South Central US as its write region, and answers locations in display form ("West US"). The RP checks that
priorities are unique and one of them is 0 (Azure/azure-cli PR #21509); the write region does not move by an
update (hashicorp/terraform-provider-azurerm PR #1055: "except for the primary location").
Errors: BadRequest "DatabaseAccount name '...' already exists." (MicrosoftDocs learn module, az cosmosdb create)
and "... is not valid since it is less than 3 characters or more than 44 characters long." (azurerm logs).
Creation takes 1.5-3 min (microsoft/Modernize-your-code-solution-accelerator#141: 1 m 42 s).
Wire forms (Azure CLI recordings cosmosdb/test_cosmosdb_sql_role.yaml and test_delete_database_account.yaml,
api-version 2021-04-15): PUT answers 200 with the account in state "Creating", Azure-AsyncOperation and Location;
DELETE answers 202 with both headers and the body {"status": "Enqueued"}; the account carries tags ({} when none),
systemData.createdAt, identity {"type": "None"} and the properties listed in ``compute``.
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING

from ... import regions
from ..armpath import ArmRef
from ..errors import bad_request
from ..provider import Durations, Json, NameRule, Provider
from ..wire import Fault, Request, Response
from ..world import World
from .common import new_guid, new_key
from .data_common import display_region, iso_now, same_name_elsewhere
from .privatelink import connections_to

if TYPE_CHECKING:
    from ..provider import ArmCalls

VERSIONS = frozenset({
    "2021-04-15", "2021-10-15", "2022-05-15", "2022-08-15", "2022-11-15", "2023-04-15", "2023-09-15",
    "2023-11-15", "2024-05-15", "2024-08-15", "2024-11-15", "2025-04-15", "2025-10-15", "2026-03-15",
})
ACCOUNT_TYPE = "Microsoft.DocumentDB/databaseAccounts"


class _AccountName(NameRule):
    def check(self, type_: str, name: str) -> None:
        if not 3 <= len(name) <= 44:
            raise bad_request("BadRequest", f"DatabaseAccount name '{name}' is not valid since it is less than 3 "
                              "characters or more than 44 characters long.")
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name):
            raise bad_request("BadRequest", f"DatabaseAccount name '{name}' is not valid: it can contain only "
                              "lowercase letters, numbers and the '-' character, and cannot start or end with '-'.")


def _regions(name: str, body: Json) -> list[Json]:
    """The requested regions, checked the way the RP checks them, in failover order."""
    locations = body["properties"].get("locations")
    if not isinstance(locations, list) or not locations:
        raise bad_request("BadRequest", "The locations of a database account cannot be empty.")
    seen: dict[str, int] = {}
    for location in locations:
        region = regions.normalize(str(location.get("locationName") or ""))
        if region not in regions.REGIONS:
            raise bad_request("BadRequest", f"The location '{location.get('locationName')}' is not a valid "
                              "region for a database account.")
        if region in seen:
            raise bad_request("BadRequest", f"The location '{location['locationName']}' is listed twice.")
        seen[region] = int(location.get("failoverPriority", -1))
    priorities = sorted(seen.values())
    if len(set(priorities)) != len(priorities) or 0 not in priorities or min(priorities) < 0:
        raise bad_request("BadRequest", "Failover priorities must be unique, and exactly one region must have "
                          "failover priority 0 (the write region).")
    ordered = sorted(locations, key=lambda loc: int(loc["failoverPriority"]))
    return [{"id": f"{name}-{regions.normalize(loc['locationName'])}",
             "locationName": display_region(regions.normalize(loc["locationName"])),
             "documentEndpoint": f"https://{name}-{regions.normalize(loc['locationName'])}.documents.azure.com:443/",
             "failoverPriority": int(loc["failoverPriority"]), "isZoneRedundant": bool(loc.get("isZoneRedundant"))}
            for loc in ordered]


class DatabaseAccount(Provider):
    type = ACCOUNT_TYPE
    api_versions = VERSIONS
    # Azure CLI recording cosmosdb/test_cosmosdb_sql_role.yaml: PUT answers 200 + Azure-AsyncOperation + Location
    put_style = "async+location"
    create_status = 200  # the spec knows no 201
    delete_style = "async+location"
    # Azure CLI recordings cosmosdb/test_cosmosdb_sql_role.yaml, test_delete_database_account.yaml: "Creating"
    creating_state = "Creating"
    durations = Durations(create=120, update=30, delete=60)  # delete: an estimate
    name_rule = _AccountName(3, 44, "", "")
    top_level = ("tags", "kind", "identity")
    actions = {"listkeys": "list_keys"}

    def handle(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
        if req.method != "DELETE" or ref.is_collection or ref.action is not None:
            return None
        return enqueued(arm.delete(ref, self, req.api_version or "", fault, req.query))

    def validate(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        if same_name_elsewhere(world, ACCOUNT_TYPE, ref) is not None:
            raise bad_request("BadRequest", f"DatabaseAccount name '{ref.name}' already exists.")
        wanted = _regions(ref.name, body)
        if existing is None:
            return
        if body.get("kind", "GlobalDocumentDB") != existing["body"].get("kind", "GlobalDocumentDB"):
            raise bad_request("BadRequest", "The kind of a database account can only be set when it is created.")
        writer = existing["body"]["properties"]["writeLocations"][0]["locationName"]
        if wanted[0]["locationName"] != writer:
            raise bad_request("BadRequest", f"The write region of database account '{ref.name}' ({writer}) cannot "
                              "be changed by an update; use the failoverPriorityChange operation.")

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body["properties"]
        old = (existing or {}).get("body", {}).get("properties", {})
        locations = _regions(ref.name, body)
        body.setdefault("kind", "GlobalDocumentDB")
        # Azure CLI recording cosmosdb/test_delete_database_account.yaml: tags {}, identity {"type": "None"},
        # systemData.createdAt and the properties below, on an account created without them
        body.setdefault("tags", {})
        body.setdefault("identity", {"type": "None"})
        created_at = ((existing or {}).get("body", {}).get("systemData") or {}).get("createdAt") or iso_now(world)
        body["systemData"] = {"createdAt": created_at}
        if body["kind"] == "GlobalDocumentDB" and not props.get("capabilities"):
            props["EnabledApiTypes"] = "Sql"  # the other APIs' values are not modelled
        for key, default in (("databaseAccountOfferType", "Standard"), ("enablePartitionKeyMonitor", False),
                             ("analyticalStorageConfiguration", None), ("enableCassandraConnector", False),
                             ("connectorOffer", ""), ("defaultIdentity", "FirstPartyIdentity"),
                             ("configurationOverrides", {})):
            props.setdefault(key, default)
        props["locations"] = locations
        props["writeLocations"] = [dict(locations[0])]
        props["readLocations"] = [dict(loc) for loc in locations]
        props["failoverPolicies"] = [{k: loc[k] for k in ("id", "locationName", "failoverPriority")}
                                     for loc in locations]
        props["documentEndpoint"] = f"https://{ref.name}.documents.azure.com:443/"
        props["instanceId"] = old.get("instanceId") or new_guid()
        props.setdefault("consistencyPolicy", {"defaultConsistencyLevel": "Session", "maxIntervalInSeconds": 5,
                                               "maxStalenessPrefix": 100})
        props.setdefault("createMode", "Default")
        props.setdefault("backupPolicy", {"type": "Periodic", "periodicModeProperties": {
            "backupIntervalInMinutes": 240, "backupRetentionIntervalInHours": 8, "backupStorageRedundancy": "Geo"}})
        created = (old.get("keysMetadata") or {}).get("primaryMasterKey", {}).get("generationTime") or iso_now(world)
        props["keysMetadata"] = {k: {"generationTime": created} for k in (
            "primaryMasterKey", "secondaryMasterKey", "primaryReadonlyMasterKey", "secondaryReadonlyMasterKey")}
        for key, default in (("enableAutomaticFailover", False), ("enableMultipleWriteLocations", False),
                             ("isVirtualNetworkFilterEnabled", False), ("disableKeyBasedMetadataWriteAccess", False),
                             ("enableFreeTier", False), ("enableAnalyticalStorage", False),
                             ("disableLocalAuth", False), ("publicNetworkAccess", "Enabled"),
                             ("networkAclBypass", "None"), ("minimalTlsVersion", "Tls12")):
            props.setdefault(key, default)
        for key in ("capabilities", "ipRules", "virtualNetworkRules", "cors", "networkAclBypassResourceIds"):
            props.setdefault(key, [])

    def committed(self, world: World, ref: ArmRef, record: Json, existing: Json | None) -> None:
        record["internal"].setdefault("keys", {k: new_key() for k in (
            "primaryMasterKey", "secondaryMasterKey", "primaryReadonlyMasterKey", "secondaryReadonlyMasterKey")})

    def render(self, world: World, record: Json) -> Json:
        body: Json = copy.deepcopy(record["body"])
        props = body["properties"]
        body["location"] = display_region(body["location"])
        for kind in ("locations", "writeLocations", "readLocations"):
            for location in props.get(kind) or []:
                location["provisioningState"] = props.get("provisioningState", "Succeeded")
        props["privateEndpointConnections"] = connections_to(world, record)
        return body

    def list_keys(self, world: World, ref: ArmRef, body: Json, record: Json) -> tuple[int, Json]:
        return 200, dict(record["internal"]["keys"])


def enqueued(response: Response) -> Response:
    """A Microsoft.DocumentDB 202 carries the body {"status": "Enqueued"} (Azure CLI recordings
    cosmosdb/test_cosmosdb_sql_role.yaml and test_delete_database_account.yaml: DELETE of the account, PUT and
    DELETE of SQL role definitions and assignments)."""
    if response.status == 202:
        response.body = {"status": "Enqueued"}
    return response


PROVIDERS: list[Provider] = [DatabaseAccount()]
