"""Microsoft.OperationalInsights workspaces and Microsoft.Insights components (Application Insights).

Sources: Workspaces.json (2025-07-01): PUT and DELETE are long-running, ``force=true`` skips the 14-day soft
delete, and re-creating a soft-deleted workspace in its group recovers it (customer id kept);
components_API.json (2020-02-02): PUT and DELETE are synchronous. Workspace creation takes about 21 s
(MicrosoftDocs/azure-docs container-apps/microservices-dapr-bindings.md, azd timings).
"""

from __future__ import annotations

from datetime import UTC, datetime

from ..armpath import ArmRef
from ..errors import bad_request
from ..provider import Durations, Json, NameRule, Provider
from ..world import TENANT_ID, World
from .common import new_guid, new_key

WORKSPACE_TYPE = "Microsoft.OperationalInsights/workspaces"
SOFT_DELETE_KIND = "loganalytics"


def _now_iso(world: World) -> str:
    return datetime.fromtimestamp(world.now(), UTC).isoformat().replace("+00:00", "Z")


class Workspace(Provider):
    type = WORKSPACE_TYPE
    api_versions = frozenset({"2015-11-01-preview", "2020-03-01-preview", "2020-08-01", "2020-10-01",
                              "2021-06-01", "2021-12-01-preview", "2022-10-01", "2023-09-01", "2025-02-01",
                              "2025-07-01"})
    put_style = "body"
    delete_style = "location"
    durations = Durations(create=21, update=5, delete=10)
    name_rule = NameRule(4, 63, r"[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]",
                         "letters, digits and '-', starting and ending with a letter or digit")
    top_level = ("tags", "identity", "etag")
    actions = {"sharedkeys": "shared_keys"}

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body["properties"]
        old = (existing or {}).get("body", {}).get("properties", {})
        recovered = world.soft_deleted(SOFT_DELETE_KIND).pop(ref.key, None) if existing is None else None
        if recovered is not None:
            old = recovered["properties"]
        props["customerId"] = old.get("customerId") or new_guid()
        props.setdefault("sku", {"name": "PerGB2018"})
        props.setdefault("retentionInDays", 30)
        props.setdefault("publicNetworkAccessForIngestion", "Enabled")
        props.setdefault("publicNetworkAccessForQuery", "Enabled")
        props.setdefault("features", {}).setdefault("enableLogAccessUsingOnlyResourcePermissions", True)
        props["createdDate"] = old.get("createdDate") or _now_iso(world)
        props["modifiedDate"] = _now_iso(world)
        if recovered is not None:
            body["_recovered_keys"] = recovered["keys"]

    def committed(self, world: World, ref: ArmRef, record: Json, existing: Json | None) -> None:
        keys = record["body"].pop("_recovered_keys", None)
        if keys:
            record["internal"]["keys"] = keys
        record["internal"].setdefault("keys", {"primarySharedKey": new_key(), "secondarySharedKey": new_key()})

    def shared_keys(self, world: World, ref: ArmRef, body: Json, record: Json) -> tuple[int, Json]:
        return 200, dict(record["internal"]["keys"])

    def deleting(self, world: World, record: Json, query: dict[str, str]) -> None:
        record["internal"]["force"] = query.get("force", "").lower() == "true"

    def deleted(self, world: World, record: Json) -> None:
        if not record["internal"].get("force"):
            world.soft_deleted(SOFT_DELETE_KIND)[record["id"].lower()] = {
                "id": record["id"], "name": record["body"]["name"], "location": record["body"]["location"],
                "deletionDate": _now_iso(world), "properties": record["body"]["properties"],
                "keys": record["internal"].get("keys"),
            }


class Component(Provider):
    type = "Microsoft.Insights/components"
    api_versions = frozenset({"2015-05-01", "2018-05-01-preview", "2020-02-02", "2020-02-02-preview"})
    put_style = "sync"
    delete_style = "sync"
    create_status = 200  # components_API.json: PUT answers 200 only
    name_rule = NameRule(1, 260, r"[^%&\\?/#<>]+", "any characters except %&\\?/#<>")
    top_level = ("tags", "kind", "etag")

    def validate(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        workspace = body["properties"].get("WorkspaceResourceId")
        record = world.get(workspace) if isinstance(workspace, str) else None
        if workspace and (record is None or record["type"] != WORKSPACE_TYPE):
            raise bad_request("WorkspaceNotFound",
                              f"The Log Analytics workspace '{workspace}' was not found; a workspace-based "
                              "component needs an existing workspace.")

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body["properties"]
        old = (existing or {}).get("body", {}).get("properties", {})
        key = old.get("InstrumentationKey") or new_guid()
        app_id = old.get("AppId") or new_guid()
        region = body["location"]
        props.update({
            "ApplicationId": ref.name, "AppId": app_id, "InstrumentationKey": key, "Name": ref.name,
            "TenantId": TENANT_ID, "CreationDate": old.get("CreationDate") or _now_iso(world),
            "ConnectionString": f"InstrumentationKey={key};IngestionEndpoint=https://{region}-0.in."
                                f"applicationinsights.azure.com/;LiveEndpoint=https://{region}.livediagnostics."
                                f"monitor.azure.com/;ApplicationId={app_id}",
            "IngestionMode": "LogAnalytics" if props.get("WorkspaceResourceId") else "ApplicationInsights",
        })
        props.setdefault("publicNetworkAccessForIngestion", "Enabled")
        props.setdefault("publicNetworkAccessForQuery", "Enabled")


PROVIDERS = [Workspace(), Component()]
