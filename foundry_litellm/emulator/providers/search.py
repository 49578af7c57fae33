"""Microsoft.Search: AI Search services.

Sources: search.json (2025-05-01): Services_CreateOrUpdate is long-running (200/201; provisioningState is lower
case: succeeded/provisioning/failed; status running/provisioning), Services_Delete is synchronous (200/204);
names are 2-60 characters, lower-case letters, digits and single dashes, unique across Azure because they are
part of https://<name>.search.windows.net (searchServiceName parameter). Creation takes about 5 minutes (an azd
log of 4 m 49 s; peers-and-pain-points §4). The error codes for a bad or taken name are not documented in the
sources at hand: the codes below are the emulator's choice.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from ..armpath import ArmRef
from ..errors import conflict
from ..provider import Durations, Json, NameRule, Provider
from ..wire import Fault, Request, Response, json_body
from ..world import World
from .common import put_done_at_once
from .data_common import same_name_elsewhere
from .privatelink import connections_to

VERSIONS = frozenset({
    "2015-08-19", "2019-10-01-preview", "2020-03-13", "2020-08-01", "2020-08-01-preview", "2021-04-01-preview",
    "2022-09-01", "2023-11-01", "2024-03-01-preview", "2024-06-01-preview", "2025-02-01-preview", "2025-05-01",
})
SERVICE_TYPE = "Microsoft.Search/searchServices"
# SKUs whose create is done in the PUT itself: 'standard' per the Azure CLI recording
# search__test_service_create_delete_show.yaml (201 with provisioningState succeeded, status running), 'free' per
# search.json's provisioningState description (the free service uses capacity that is already set up). The other
# SKUs provision first (the same description: poll until 'succeeded').
INSTANT_SKUS = frozenset({"standard", "free"})

if TYPE_CHECKING:
    from ..provider import ArmCalls


class SearchService(Provider):
    type = SERVICE_TYPE
    api_versions = VERSIONS
    put_style = "body"  # 201 with provisioningState 'provisioning'; the SDK polls the service
    delete_style = "sync"
    creating_state = "provisioning"
    updating_state = "provisioning"
    durations = Durations(create=290)
    name_rule = NameRule(2, 60, r"[a-z0-9][a-z0-9]+(-[a-z0-9]+)*", "lower-case letters, digits and single dashes, "
                         "not starting or ending with a dash", code="InvalidName")
    top_level = ("tags", "sku", "identity")

    def handle(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
        if req.method != "PUT" or ref.action is not None or ref.is_collection or arm.world.get(ref.key) is not None:
            return None
        body = json_body(req)
        sku = str((body.get("sku") or {}).get("name") or "").lower() if isinstance(body.get("sku"), dict) else ""
        if sku not in INSTANT_SKUS:
            return None
        return put_done_at_once(arm, req, ref, self, fault, body=body)

    def validate(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        if same_name_elsewhere(world, SERVICE_TYPE, ref) is not None:
            raise conflict("ServiceNameUnavailable", f"The name '{ref.name}' is already in use by another search "
                           "service; search service names are unique across Azure.")

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body["properties"]
        props.setdefault("replicaCount", 1)
        props.setdefault("partitionCount", 1)
        props.setdefault("hostingMode", "default")
        props.setdefault("publicNetworkAccess", "enabled")
        props.setdefault("networkRuleSet", {"ipRules": [], "bypass": "None"})
        props.setdefault("disableLocalAuth", False)
        if not props["disableLocalAuth"]:
            props.setdefault("authOptions", {"apiKeyOnly": {}})
        props.setdefault("encryptionWithCmk", {"enforcement": "Unspecified",
                                               "encryptionComplianceStatus": "Compliant"})
        props["sharedPrivateLinkResources"] = []
        props["statusDetails"] = ""

    def render(self, world: World, record: Json) -> Json:
        body: Json = copy.deepcopy(record["body"])
        props = body["properties"]
        state = str(props.get("provisioningState", "succeeded")).lower()
        props["provisioningState"] = state
        props["status"] = "running" if state == "succeeded" else "provisioning" if state == "provisioning" \
            else "error"
        props["privateEndpointConnections"] = connections_to(world, record)
        return body


PROVIDERS: list[Provider] = [SearchService()]
