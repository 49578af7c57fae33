"""Name resolution and reachability inside the emulated virtual networks.

Used where Azure's behaviour depends on what a resource can reach: Application Gateway probes, Container Apps
resolving Key Vault references. Azure DNS answers a name from a private DNS zone linked to the caller's VNet when
the zone's name is a suffix of it, and such a zone is authoritative: a missing record is NXDOMAIN, unless the
link's resolutionPolicy is NxDomainRedirect (Learn "private-dns-virtual-network-links"). Public names of
resources that have a private endpoint are CNAMEs to their ``privatelink`` names (Learn
"private-endpoint-dns"). VNet peering is not emulated: a private address is reachable only from its own VNet.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from ..provider import Json, prop
from ..world import World

ZONE_TYPE = "Microsoft.Network/privateDnsZones"
LINK_TYPE = "Microsoft.Network/privateDnsZones/virtualNetworkLinks"
A_TYPE = "Microsoft.Network/privateDnsZones/A"
PE_TYPE = "Microsoft.Network/privateEndpoints"
SUBNET_TYPE = "Microsoft.Network/virtualNetworks/subnets"
ENV_TYPE = "Microsoft.App/managedEnvironments"
VAULT_TYPE = "Microsoft.KeyVault/vaults"


@dataclass(frozen=True)
class Answer:
    """The outcome of resolving a name: addresses, or why there are none."""

    ips: tuple[str, ...]
    private: bool  # answered by a private DNS zone linked to the VNet


def vnet_of(subnet_id: str) -> str:
    return subnet_id.rsplit("/subnets/", 1)[0] if "/subnets/" in subnet_id.lower() else subnet_id


def _zone_links(world: World, vnet_id: str) -> dict[str, Json]:
    """Zone id (lower case) -> the link of that zone to ``vnet_id``."""
    found: dict[str, Json] = {}
    for link in world.of_type(LINK_TYPE):
        target = str(prop(link["body"], "properties.virtualNetwork.id", "")).lower()
        if target == vnet_id.lower():
            found[link["id"].lower().rsplit("/virtualnetworklinks/", 1)[0]] = link
    return found


def _linked_zone_for(world: World, vnet_id: str, fqdn: str) -> tuple[Json, Json] | None:
    """The linked zone with the longest name that is a suffix of ``fqdn``, with its link."""
    name = fqdn.lower().rstrip(".")
    best: tuple[Json, Json] | None = None
    for zone_key, link in _zone_links(world, vnet_id).items():
        zone = world.get(zone_key)
        if zone is None:
            continue
        zone_name = zone["body"]["name"].lower()
        if (name == zone_name or name.endswith("." + zone_name)) and \
                (best is None or len(zone_name) > len(best[0]["body"]["name"])):
            best = (zone, link)
    return best


def _records(world: World, zone: Json, relative: str) -> list[str]:
    """Addresses of the A record set ``relative`` in ``zone``, or of the wildcard that covers it."""
    prefix = zone["id"].lower() + "/a/"
    sets = {r["body"]["name"].lower(): r for k, r in world.resources.items() if k.startswith(prefix)}
    labels = relative.split(".") if relative != "@" else []
    candidates = [relative] + (["*." + ".".join(labels[1:]) if len(labels) > 1 else "*"] if labels else [])
    for candidate in candidates:
        record = sets.get(candidate)
        if record is not None:
            return [str(a.get("ipv4Address")) for a in prop(record["body"], "properties.aRecords", []) or []
                    if a.get("ipv4Address")]
    return []


def _private_lookup(world: World, vnet_id: str, fqdn: str) -> Answer | None:
    """The answer of a linked private zone, or None when no linked zone covers the name."""
    match = _linked_zone_for(world, vnet_id, fqdn)
    if match is None:
        return None
    zone, link = match
    zone_name = zone["body"]["name"].lower()
    name = fqdn.lower().rstrip(".")
    relative = "@" if name == zone_name else name[: -len(zone_name) - 1]
    ips = _records(world, zone, relative)
    if not ips and prop(link["body"], "properties.resolutionPolicy") == "NxDomainRedirect":
        return None
    return Answer(tuple(ips), private=True)


def endpoints_to(world: World, target_id: str) -> list[Json]:
    """Private endpoints with an approved (manual or automatic) connection to ``target_id``."""
    found = []
    for pe in world.of_type(PE_TYPE):
        props = pe["body"].get("properties") or {}
        for key in ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections"):
            for conn in props.get(key) or []:
                state = str(prop(conn, "properties.privateLinkServiceConnectionState.status", "Approved"))
                if str(prop(conn, "properties.privateLinkServiceId", "")).lower() == target_id.lower() and \
                        state.lower() == "approved":  # a Pending or Rejected connection carries no traffic
                    found.append(pe)
    return found


def _collect_ips(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("privateIPAddress", "ipAddress") and isinstance(value, str):
                out.add(value)
            elif key == "ipAddresses" and isinstance(value, list):
                out.update(v for v in value if isinstance(v, str))
            else:
                _collect_ips(value, out)
    elif isinstance(node, list):
        for item in node:
            _collect_ips(item, out)


def endpoint_answers(world: World, pe: Json, ip: str) -> bool:
    """True when ``ip`` is this private endpoint's address (or, when it reports none, lies in its subnet)."""
    ips: set[str] = set()
    _collect_ips(pe["body"].get("properties") or {}, ips)
    if ips:
        return ip in ips
    subnet = world.get(str(prop(pe["body"], "properties.subnet.id", "")))
    return subnet is not None and any(_contains(p, ip) for p in _prefixes(subnet["body"]))


def _prefixes(body: Json) -> list[str]:
    props = body.get("properties") or {}
    values = props.get("addressPrefixes") or ([props["addressPrefix"]] if props.get("addressPrefix") else [])
    return [str(v) for v in values]


def _contains(prefix: str, ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(prefix, strict=False)
    except ValueError:
        return False


def in_vnet(world: World, vnet_id: str, ip: str) -> bool:
    vnet = world.get(vnet_id)
    space = prop(vnet["body"], "properties.addressSpace.addressPrefixes", []) if vnet else []
    return any(_contains(p, ip) for p in space or [])


def is_private(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip).is_private
    except ValueError:
        return False


def resolve(world: World, vnet_id: str, fqdn: str, *, privatelink: list[str], public: list[str],
            has_endpoint: bool) -> Answer:
    """Resolve ``fqdn`` from ``vnet_id``.

    ``privatelink`` holds the names the public DNS may answer with as a CNAME once the resource has a private
    endpoint (``has_endpoint``), most specific first; ``public`` holds the public addresses (empty: the name
    does not exist publicly).
    """
    answer = _private_lookup(world, vnet_id, fqdn)
    if answer is not None:
        return answer
    if has_endpoint:
        answers = [a for a in (_private_lookup(world, vnet_id, name) for name in privatelink) if a is not None]
        if answers:
            return next((a for a in answers if a.ips), answers[0])
    return Answer(tuple(public), private=False)
