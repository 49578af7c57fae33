"""Microsoft.OperationalInsights workspaces and Microsoft.Insights components (Application Insights).

Sources: Workspaces.json (2025-07-01): ``force=true`` skips the 14-day soft delete, and re-creating a
soft-deleted workspace in its group recovers it (customer id kept); components_API.json (2020-02-02): PUT and
DELETE are synchronous. Workspace creation takes about 21 s (MicrosoftDocs/azure-docs
container-apps/microservices-dapr-bindings.md, azd timings). The wire form is the one the Azure CLI recording
monitor__test_monitor_log_analytics_workspace_recover.yaml shows: a create answers 201 ``Creating`` and is
polled on the resource, an update and a recovering PUT answer 200 ``Succeeded`` at once, DELETE answers 200.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..armpath import ArmRef
from ..errors import bad_request
from ..provider import Durations, Json, NameRule, Provider
from ..wire import Fault, Request, Response, json_body
from ..world import TENANT_ID, World
from .common import new_guid, new_key, put_done_at_once

if TYPE_CHECKING:
    from ..provider import ArmCalls

WORKSPACE_TYPE = "Microsoft.OperationalInsights/workspaces"
SOFT_DELETE_KIND = "loganalytics"


def _now_iso(world: World) -> str:
    return datetime.fromtimestamp(world.now(), UTC).isoformat().replace("+00:00", "Z")


def _next_reset_iso(world: World) -> str:
    """The daily cap resets once a day at the hour the workspace was created (the recording: created 10:01:59,
    quotaNextResetTime the next day 10:00:00)."""
    now = datetime.fromtimestamp(world.now(), UTC)
    reset = now.replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    return reset.isoformat().replace("+00:00", "Z")


def _overlay(base: Any, top: Any) -> Any:
    """``top`` over ``base``, recursively for objects (a recovered workspace keeps what the PUT does not set)."""
    if not isinstance(base, dict) or not isinstance(top, dict):
        return copy.deepcopy(top)
    merged = copy.deepcopy(base)
    for key, value in top.items():
        merged[key] = _overlay(merged.get(key), value)
    return merged


class Workspace(Provider):
    type = WORKSPACE_TYPE
    api_versions = frozenset({"2015-11-01-preview", "2020-03-01-preview", "2020-08-01", "2020-10-01",
                              "2021-06-01", "2021-12-01-preview", "2022-10-01", "2023-09-01", "2025-02-01",
                              "2025-07-01"})
    put_style = "body"  # the recording: PUT create 201 with provisioningState Creating, then GETs
    # The recording: DELETE answers 200 at once (with or without force=true), and an update PUT answers 200 already
    # Succeeded (update=0: no operation).
    delete_style = "sync"
    # create: Creating 1 s after the PUT and Succeeded 14 s after it (recording application-insights/
    # test_component_with_linked_workspace.yaml, 2024); the older recordings first look again after 30 s.
    durations = Durations(create=10, update=0, delete=0)
    name_rule = NameRule(4, 63, r"[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]",
                         "letters, digits and '-', starting and ending with a letter or digit")
    top_level = ("tags", "identity", "etag")
    actions = {"sharedkeys": "shared_keys"}

    def handle(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
        if req.method != "PUT" or ref.action is not None or ref.is_collection or arm.world.get(ref.key) is not None:
            return None
        body = json_body(req)
        if ref.key in arm.world.soft_deleted(SOFT_DELETE_KIND):
            # The recording (``monitor log-analytics workspace recover``): a PUT on a soft-deleted workspace answers
            # 200 with the recovered workspace already Succeeded.
            return put_done_at_once(arm, req, ref, self, fault, body=body, status=200)
        props = body.get("properties")
        if not isinstance(props, dict) or not {"publicNetworkAccessForIngestion", "publicNetworkAccessForQuery"} & \
                set(props):
            return None
        # A create that sets public network access is answered with a Location naming the workspace itself
        # (recordings containerapp/test_containerapp_env_e2e.yaml, 2022, and application-insights/
        # test_component_with_linked_workspace.yaml, 2024); one that does not has no Location
        # (containerapp/test_containerapp_e2e.yaml, 2023; monitor/..._workspace_recover.yaml, 2021).
        response = arm.put(ref, self, body, req.api_version or "", fault)
        if response.status == 201:
            response.headers["Location"] = f"{arm.base_url}{ref.id}?api-version={req.api_version}"
        return response

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        old = (existing or {}).get("body", {}).get("properties", {})
        recovered = world.soft_deleted(SOFT_DELETE_KIND).pop(ref.key, None) if existing is None else None
        if recovered is not None:
            old = recovered["properties"]
            # The recording: the recovered workspace keeps its sku, capping and retention unless the PUT sets them.
            body["properties"] = _overlay({k: v for k, v in old.items() if k != "provisioningState"},
                                          body["properties"])
        props = body["properties"]
        props["customerId"] = old.get("customerId") or new_guid()
        props["source"] = "Azure"  # the recording: every workspace body
        sku = props.get("sku") if isinstance(props.get("sku"), dict) else {"name": "PerGB2018"}
        props["sku"] = sku
        old_sku = old.get("sku") or {}
        same_sku = {k: v for k, v in old_sku.items() if k != "lastSkuUpdate"} == \
            {k: v for k, v in sku.items() if k != "lastSkuUpdate"}
        sku["lastSkuUpdate"] = old_sku.get("lastSkuUpdate") if same_sku and old_sku.get("lastSkuUpdate") \
            else _now_iso(world)
        if str(sku.get("name", "")).lower() == "capacityreservation":
            sku.setdefault("capacityReservationLevel", 100)
            sku["maxCapacityReservationLevel"] = 3000  # the recording (capacity reservation sku)
        props.setdefault("retentionInDays", 30)
        props.setdefault("publicNetworkAccessForIngestion", "Enabled")
        props.setdefault("publicNetworkAccessForQuery", "Enabled")
        features = props.setdefault("features", {})
        features.setdefault("enableLogAccessUsingOnlyResourcePermissions", True)
        features.setdefault("legacy", 0)  # the recording: features.legacy 0, searchVersion 1
        features.setdefault("searchVersion", 1)
        capping = props.get("workspaceCapping") if isinstance(props.get("workspaceCapping"), dict) else {}
        capping.setdefault("dailyQuotaGb", -1.0)  # the recording: -1 (no cap) unless --quota is given
        capping["quotaNextResetTime"] = (old.get("workspaceCapping") or {}).get("quotaNextResetTime") \
            or _next_reset_iso(world)
        capping.setdefault("dataIngestionStatus", "RespectQuota")
        props["workspaceCapping"] = capping
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
        # Azure CLI recording application-insights__test_component.yaml: tags ({} when none were given), a quoted
        # etag that changes on every write, Ver v2, SamplingPercentage null, RetentionInDays 90 by default, and
        # Retention (an ISO 8601 duration) only when the request set RetentionInDays.
        body.setdefault("tags", {})
        body["etag"] = f'"{new_guid()}"'
        props["Ver"] = "v2"
        props.setdefault("SamplingPercentage", None)
        retention = props.get("RetentionInDays")
        if isinstance(retention, int) and not isinstance(retention, bool):
            props["Retention"] = f"P{retention}D"
        else:
            props["RetentionInDays"] = 90
            props.pop("Retention", None)


PROVIDERS = [Workspace(), Component()]
