"""Microsoft.Network/privateEndpoints/privateDnsZoneGroups: the A records of an endpoint in private DNS zones.

Sources: privateEndpoint.json (2025-05-01): zone group PUT is long-running (final-state-via
azure-async-operation), DELETE 202/204/200; PrivateDnsZoneConfig.recordSets is read-only (recordType,
recordSetName, fqdn, ttl, ipAddresses). The zone group writes the records into the zone and removes them with
the group or the endpoint (Azure/ResourceModules#1977: "Removing later the keyvault also removes the A entry").
Azure writes them with a TTL of 10 s. A zone that does not exist is refused like any missing reference
(InvalidResourceReference).
"""

from __future__ import annotations

import copy

from ..armpath import ArmRef
from ..errors import bad_request
from ..provider import Durations, Json, NameRule, Provider
from ..world import World
from .common import new_guid
from .network import VERSIONS
from .privatedns import ZONE_TYPE
from .privatelink import PE_TYPE, endpoints_of

RECORD_TYPE = f"{ZONE_TYPE}/A"
TTL = 10


def _configs(body: Json) -> list[Json]:
    configs: list[Json] = body["properties"].get("privateDnsZoneConfigs") or []
    return configs


def _zone_id(config: Json) -> str:
    return str((config.get("properties") or {}).get("privateDnsZoneId") or "")


def _wanted(world: World, group: Json) -> list[tuple[Json, str, str]]:
    """(zone record, record set name, ip) for every host of the endpoint that lives in one of the group's zones."""
    pe = world.get(group["id"].rsplit("/privateDnsZoneGroups/", 1)[0])
    if pe is None:
        return []
    ips = {c["fqdn"]: c["ipAddresses"][0] for c in pe["body"]["properties"].get("customDnsConfigs") or []}
    wanted = []
    for config in _configs(group["body"]):
        zone = world.get(_zone_id(config))
        for endpoint in endpoints_of(world, pe) if zone is not None else []:
            if zone is not None and endpoint.zone.lower() == zone["body"]["name"].lower() and endpoint.fqdn in ips:
                wanted.append((zone, endpoint.record, ips[endpoint.fqdn]))
    return wanted


def _remove_records(world: World, group: Json) -> None:
    for record_id in group["internal"].pop("records", []):
        record = world.get(record_id)
        if record is not None:
            world.remove(record)


class PrivateDnsZoneGroup(Provider):
    type = f"{PE_TYPE}/privateDnsZoneGroups"
    api_versions = VERSIONS
    put_style = "async"
    # Azure CLI recording network/test_network_private_endpoint_private_dns_zone_group.yaml: DELETE answers 202 with
    # both headers and no body, as every Network resource does.
    delete_style = "async+location+accepted"
    creating_state = "Updating"
    location = "none"
    lock_parent = True  # the endpoint is busy while its zone group is written
    etag = True
    durations = Durations(create=5, update=5, delete=5)  # estimates
    name_rule = NameRule(1, 80, r"[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9_])?", "letters, digits, '.', '-', '_'")
    top_level = ()

    def validate(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        configs = _configs(body)
        if not configs:
            raise bad_request("InvalidRequestFormat", "A private DNS zone group needs at least one "
                              "privateDnsZoneConfig.")
        for config in configs:
            zone_id = _zone_id(config)
            zone = world.get(zone_id) if zone_id else None
            if not config.get("name"):
                raise bad_request("InvalidRequestFormat", "Cannot parse the request.")
            if zone is None or zone["type"] != ZONE_TYPE:
                raise bad_request("InvalidResourceReference",
                                  f"Resource {zone_id or '(no privateDnsZoneId)'} referenced by resource "
                                  f"{body['id']} was not found. Please make sure that the referenced resource "
                                  "exists, and that both resources are in the same region.")

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        probe = {"id": body["id"], "body": body}
        by_zone: dict[str, list[Json]] = {}
        for zone, name, ip in _wanted(world, probe):
            by_zone.setdefault(zone["id"].lower(), []).append({
                "recordType": "A", "recordSetName": name, "fqdn": f"{name}.{zone['body']['name']}", "ttl": TTL,
                "ipAddresses": [ip], "provisioningState": "Succeeded"})
        for config in _configs(body):
            # Azure CLI recording network/test_network_private_endpoint_private_dns_zone_group.yaml: each config is
            # a sub-resource with its id, type, the group's etag and a provisioning state.
            config["id"] = f"{body['id']}/privateDnsZoneConfigs/{config['name']}"
            config["type"] = f"{self.type}/privateDnsZoneConfigs"
            config["etag"] = body["etag"]
            config.setdefault("properties", {})["recordSets"] = by_zone.get(_zone_id(config).lower(), [])
            config["properties"]["provisioningState"] = "Succeeded"

    def completed(self, world: World, record: Json, op: Json) -> None:
        _remove_records(world, record)
        written = []
        for zone, name, ip in _wanted(world, record):
            record_id = f"{zone['id']}/A/{name}"
            world.store_record({"id": record_id, "type": RECORD_TYPE, "created": world.now(), "op": None,
                                "internal": {}, "body": {
                                    "id": record_id, "name": name, "type": RECORD_TYPE, "etag": new_guid(),
                                    "properties": {"ttl": TTL, "fqdn": f"{name}.{zone['body']['name']}.",
                                                   "aRecords": [{"ipv4Address": ip}], "isAutoRegistered": False}}})
            written.append(record_id)
        record["internal"]["records"] = written

    def render(self, world: World, record: Json) -> Json:
        return copy.deepcopy(record["body"])

    def deleted(self, world: World, record: Json) -> None:
        _remove_records(world, record)
