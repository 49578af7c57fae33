"""Microsoft.Network private DNS zones, their virtual network links and record sets.

Sources: privatedns.json (2024-06-01): zone and link PUT/DELETE are long-running with Location and Retry-After,
record sets are synchronous. A zone that still has virtual network links cannot be deleted (409, azure-cli#15010,
Azure/ResourceModules#823). A VNet cannot be linked twice to zones of the same name (foundry-samples PR #214).
Zone and link creation take about 35 s each (turbot/steampipe-plugin-azure PR #824).
"""

from __future__ import annotations

import copy

from ..armpath import ArmRef
from ..errors import ArmError, bad_request, conflict
from ..provider import Durations, Json, NameRule, Provider
from ..world import World

VERSIONS = frozenset({"2018-09-01", "2020-01-01", "2020-06-01", "2024-06-01"})
ZONE_TYPE = "Microsoft.Network/privateDnsZones"
LINK_TYPE = "Microsoft.Network/privateDnsZones/virtualNetworkLinks"
RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "PTR", "SOA", "SRV", "TXT")


def _links(world: World, zone_id: str) -> list[Json]:
    prefix = zone_id.lower() + "/virtualnetworklinks/"
    return [r for k, r in world.resources.items() if k.startswith(prefix)]


class PrivateDnsZone(Provider):
    type = ZONE_TYPE
    api_versions = VERSIONS
    put_style = "location"
    delete_style = "location"
    location = "global"
    etag = True
    durations = Durations(create=35, update=10, delete=35)
    name_rule = NameRule(1, 253, r"([a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?\.)+[a-zA-Z0-9_-]{1,63}",
                         "a DNS name of at least two labels")

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
    put_style = "location"
    delete_style = "location"
    location = "global"
    etag = True
    lock_parent = True
    durations = Durations(create=35, update=10, delete=35)
    name_rule = NameRule(1, 80, r"[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9_])?", "letters, digits, '.', '-', '_'")

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
