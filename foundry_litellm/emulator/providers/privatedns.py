"""Microsoft.Network private DNS zones, their virtual network links and record sets.

Sources: privatedns.json (2024-06-01): zone and link PUT/DELETE are long-running, record sets are synchronous.
The Azure CLI recordings (privatedns__test_PutZone_ZoneNotExists_ExpectZoneCreated.yaml,
privatedns__test_DeleteLink_LinkExists_ExpectLinkDeleted.yaml) show the wire form: PUT answers 202 with the body
``{}`` and both Azure-AsyncOperation and Location, DELETE 202 with no body and both headers. A zone that still
has virtual network links cannot be deleted (409, azure-cli#15010, Azure/ResourceModules#823). A VNet cannot be
linked twice to zones of the same name (foundry-samples PR #214).
Zone and link creation take about 35 s each (turbot/steampipe-plugin-azure PR #824).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from ..armpath import ArmRef
from ..errors import ArmError, bad_request, conflict, not_found
from ..provider import Durations, Json, NameRule, Provider
from ..wire import Fault, Request, Response, json_body
from ..world import World

if TYPE_CHECKING:
    from ..provider import ArmCalls

VERSIONS = frozenset({"2018-09-01", "2020-01-01", "2020-06-01", "2024-06-01"})
ZONE_TYPE = "Microsoft.Network/privateDnsZones"
LINK_TYPE = "Microsoft.Network/privateDnsZones/virtualNetworkLinks"
RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "PTR", "SOA", "SRV", "TXT")


def _put_accepted(provider: Provider, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
    """A zone or link PUT: 202 with the body ``{}`` and both operation headers (Azure CLI recording
    privatedns__test_PutZone_ZoneNotExists_ExpectZoneCreated.yaml; an update answers the same way)."""
    if req.method != "PUT" or ref.action is not None or ref.is_collection:
        return None
    response = arm.put(ref, provider, json_body(req), req.api_version or "", fault)
    if "Azure-AsyncOperation" not in response.headers:
        return response  # done at once (a zero duration): nothing to poll
    return Response(202, {}, response.headers)


def _links(world: World, zone_id: str) -> list[Json]:
    prefix = zone_id.lower() + "/virtualnetworklinks/"
    return [r for k, r in world.resources.items() if k.startswith(prefix)]


class PrivateDnsZone(Provider):
    type = ZONE_TYPE
    api_versions = VERSIONS
    put_style = "async+location"  # answered 202 {} by handle (recording ..._PutZone_ZoneNotExists_...)
    # Azure CLI recording privatedns__test_DeleteZone_ZoneExists_ExpectZoneDeleted.yaml: 202, no body, both headers
    delete_style = "async+location+accepted"
    location = "global"
    etag = True
    durations = Durations(create=35, update=10, delete=35)
    name_rule = NameRule(1, 253, r"([a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?\.)+[a-zA-Z0-9_-]{1,63}",
                         "a DNS name of at least two labels")

    def handle(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
        return _put_accepted(self, arm, req, ref, fault)

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body["properties"]
        props.update({"maxNumberOfRecordSets": 25000, "maxNumberOfVirtualNetworkLinks": 1000,
                      "maxNumberOfVirtualNetworkLinksWithRegistration": 100, "internalId": ref.name})

    def render(self, world: World, record: Json) -> Json:
        body: Json = copy.deepcopy(record["body"])
        links = _links(world, record["id"])
        records = [r for r in world.descendants(record["id"]) if r["type"] != LINK_TYPE]
        body["properties"]["numberOfVirtualNetworkLinks"] = len(links)
        body["properties"]["numberOfVirtualNetworkLinksWithRegistration"] = sum(
            1 for lk in links if lk["body"]["properties"].get("registrationEnabled"))
        body["properties"]["numberOfRecordSets"] = 1 + len(records)  # the SOA record is always there
        return body

    def delete_blocker(self, world: World, record: Json, *, cascade: frozenset[str], root: str) -> ArmError | None:
        links = _links(world, record["id"])
        if links and root.lower() == record["id"].lower():  # a group deletion takes the links along
            return conflict("Conflict", f"The private DNS zone {record['body']['name']} cannot be deleted because it "
                            f"has {len(links)} virtual network link(s). Delete the links first.")
        return None


class VirtualNetworkLink(Provider):
    type = LINK_TYPE
    api_versions = VERSIONS
    put_style = "async+location"  # answered 202 {} by handle (recording ..._DeleteLink_LinkExists_...)
    # Azure CLI recording privatedns__test_DeleteLink_LinkExists_ExpectLinkDeleted.yaml: 202, no body, both headers
    delete_style = "async+location+accepted"
    location = "global"
    etag = True
    lock_parent = True
    durations = Durations(create=35, update=10, delete=35)
    name_rule = NameRule(1, 80, r"[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9_])?", "letters, digits, '.', '-', '_'")

    def handle(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
        zone = ref.parent()
        if req.method in ("GET", "HEAD") and not ref.is_collection and ref.action is None and zone is not None \
                and arm.world.get(zone.key) is None and arm.world.get(ref.group_id or "") is not None:
            # Azure CLI recording privatedns__test_GetLink_ZoneNotExists_ExpectError.yaml: a link read under a
            # missing zone is 404 ResourceNotFound naming the link, not ParentResourceNotFound.
            raise not_found(ref.type, "/".join(ref.names), ref.resource_group)
        return _put_accepted(self, arm, req, ref, fault)

    def validate(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        vnet_id = (body["properties"].get("virtualNetwork") or {}).get("id")
        if not isinstance(vnet_id, str):
            raise bad_request("InvalidVirtualNetworkId", "properties.virtualNetwork.id is required.",
                              target="properties.virtualNetwork.id")
        if world.get(vnet_id) is None:
            raise bad_request("InvalidVirtualNetworkId",
                              f"The virtual network {vnet_id} referenced by the link was not found.")
        zone = ref.parent()
        assert zone is not None
        for other in world.of_type(LINK_TYPE):
            same_vnet = (other["body"]["properties"].get("virtualNetwork") or {}).get("id", "").lower() == \
                vnet_id.lower()
            other_zone = other["id"].lower().split("/virtualnetworklinks/")[0]
            if same_vnet and other["id"].lower() != ref.key:
                if other_zone == zone.key:
                    raise conflict("Conflict", f"A link to virtual network {vnet_id} already exists in zone "
                                   f"{zone.name}.")
                if other_zone.rsplit("/", 1)[-1] == zone.name.lower():
                    raise bad_request("BadRequest", "A virtual network cannot be linked to multiple zones with "
                                      "overlapping namespaces.")

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body["properties"]
        props.setdefault("registrationEnabled", False)
        props["virtualNetworkLinkState"] = "Completed"
        props.setdefault("resolutionPolicy", "Default")

    def completed(self, world: World, record: Json, op: Json) -> None:
        record["body"]["properties"]["virtualNetworkLinkState"] = "Completed"


class RecordSet(Provider):
    """Record sets, one provider per record type (A records are written by private endpoint zone groups)."""

    api_versions = VERSIONS
    put_style = "sync"
    delete_style = "sync"
    location = "none"
    etag = True

    def __init__(self, record_type: str) -> None:
        self.type = f"{ZONE_TYPE}/{record_type}"  # type: ignore[misc]

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        parent = ref.parent()
        assert parent is not None
        body["properties"].setdefault("ttl", 3600)
        body["properties"]["fqdn"] = f"{ref.name}.{parent.name}."
        body["properties"]["isAutoRegistered"] = False
        body["properties"].pop("provisioningState", None)


PROVIDERS: list[Provider] = [PrivateDnsZone(), VirtualNetworkLink(), *(RecordSet(t) for t in RECORD_TYPES)]
