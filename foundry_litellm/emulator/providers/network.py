"""Microsoft.Network: virtual networks with their subnets, network security groups, public IP addresses.

Sources: virtualNetwork.json, networkSecurityGroup.json and publicIpAddress.json (2025-05-01) for shapes and
long-running behaviour; subnets as child resources and inline in the VNet are one set (a VNet PUT without a
subnet deletes it, azure-inventory §3 note 1); a subnet held by a service association link or a private
endpoint cannot be deleted (InUseSubnetCannotBeDeleted, MicrosoftDocs/azure-docs PR #59072).
"""

from __future__ import annotations

import copy
from typing import Any

from ..armpath import ArmRef
from ..errors import ArmError, bad_request
from ..provider import Durations, Json, NameRule, Provider, prop, require
from ..world import World
from .common import Network, cidr, contained, new_guid

VERSIONS = frozenset({
    # Azure accepts the older versions the Azure CLI recordings send (network__test_network_subnet_delegation.yaml:
    # 2019-08-01; network__test_network_nsg.yaml: 2017-09-01) and the ones published between and after them
    # (azure-rest-api-specs network/.../Microsoft.Network/stable/).
    "2017-09-01", "2017-10-01", "2017-11-01", "2018-01-01", "2018-02-01", "2018-04-01", "2018-06-01",
    "2018-07-01", "2018-08-01", "2018-10-01", "2018-11-01", "2018-12-01", "2019-02-01", "2019-04-01",
    "2019-06-01", "2019-07-01", "2019-08-01", "2019-09-01", "2019-11-01", "2019-12-01", "2020-03-01",
    "2020-04-01", "2020-05-01",
    "2020-06-01", "2020-07-01", "2020-08-01", "2020-11-01", "2021-02-01", "2021-03-01", "2021-05-01",
    "2021-08-01", "2022-01-01", "2022-05-01",
    "2022-07-01", "2022-09-01", "2022-11-01", "2023-02-01", "2023-04-01", "2023-05-01", "2023-06-01",
    "2023-09-01", "2023-11-01", "2024-01-01", "2024-03-01", "2024-05-01", "2024-07-01", "2024-10-01",
    "2025-01-01", "2025-03-01", "2025-05-01", "2026-03-01",
})
_NAME = NameRule(1, 80, r"[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9_])?",
                 "letters, digits, '.', '-' and '_', starting with a letter or digit and ending with a letter, "
                 "digit or '_'")
SUBNET_TYPE = "Microsoft.Network/virtualNetworks/subnets"
# Services a subnet may be delegated to (the subset this tool and its users meet).
DELEGATION_ACTIONS = {
    "microsoft.app/environments": ["Microsoft.Network/virtualNetworks/subnets/join/action"],
    "microsoft.dbforpostgresql/flexibleservers": ["Microsoft.Network/virtualNetworks/subnets/join/action"],
    "microsoft.web/serverfarms": ["Microsoft.Network/virtualNetworks/subnets/action"],
    "microsoft.web/hostingenvironments": ["Microsoft.Network/virtualNetworks/subnets/action"],
    "microsoft.containerinstance/containergroups": ["Microsoft.Network/virtualNetworks/subnets/action"],
    # Azure CLI recording network__test_network_subnet_delegation.yaml (availableDelegations and the subnets).
    "microsoft.sql/managedinstances": ["Microsoft.Network/virtualNetworks/subnets/join/action",
                                       "Microsoft.Network/virtualNetworks/subnets/prepareNetworkPolicies/action",
                                       "Microsoft.Network/virtualNetworks/subnets/unprepareNetworkPolicies/action"],
    "microsoft.batch/batchaccounts": ["Microsoft.Network/virtualNetworks/subnets/action"],
}


class _NetworkProvider(Provider):
    api_versions = VERSIONS
    put_style = "async"
    patch_style = "sync"  # UpdateTags answers 200 with the resource (virtualNetwork.json and the others)
    # DELETE answers 202 with Azure-AsyncOperation and Location (azure-sdk-notes, "Other LRO shapes") and no body
    # (Azure CLI recording network__test_network_public_ip.yaml).
    delete_style = "async+location+accepted"
    # The Network RP reports "Updating" while it creates as well as while it updates.
    creating_state = "Updating"
    etag = True
    name_rule = _NAME


def _space(body: Json) -> list[Network]:
    prefixes = prop(body, "properties.addressSpace.addressPrefixes")
    require(isinstance(prefixes, list) and len(prefixes) > 0, "InvalidAddressSpace",
            "properties.addressSpace.addressPrefixes must list at least one prefix.",
            target="properties.addressSpace.addressPrefixes")
    return [cidr(p, "properties.addressSpace.addressPrefixes") for p in prefixes]


def _subnet_prefixes(props: Json, where: str) -> list[Network]:
    values = props.get("addressPrefixes") or ([props["addressPrefix"]] if props.get("addressPrefix") else [])
    require(bool(values), "NetcfgInvalidSubnet", f"Subnet {where} has no address prefix.", target=where)
    return [cidr(v, f"{where}.addressPrefix") for v in values]


def _check_subnet_layout(vnet_name: str, space: list[Network], subnets: dict[str, Json]) -> None:
    """Every subnet inside the VNet's space and none overlapping another, as the Network RP checks."""
    seen: list[tuple[str, Network]] = []
    for name, props in subnets.items():
        for prefix in _subnet_prefixes(props, name):
            if not contained(prefix, space):
                raise bad_request(
                    "NetcfgSubnetRangeOutsideVnet",
                    f"Subnet '{name}' is not valid because its IP address range is outside the IP address range "
                    f"of virtual network '{vnet_name}'.",
                )
            for other, other_prefix in seen:
                if prefix.version == other_prefix.version and prefix.overlaps(other_prefix):
                    raise bad_request(
                        "NetcfgSubnetRangesOverlap",
                        f"Subnet '{name}' is not valid because its IP address range overlaps with that of an "
                        f"existing subnet '{other}' in virtual network '{vnet_name}'.",
                    )
            seen.append((name, prefix))


def _children(world: World, vnet_id: str) -> dict[str, Json]:
    prefix = vnet_id.lower() + "/subnets/"
    return {r["body"]["name"]: r for k, r in world.resources.items()
            if k.startswith(prefix) and r["type"] == SUBNET_TYPE}


def _subnet_users(world: World, subnet: Json, cascade: frozenset[str]) -> list[str]:
    holders = [lk["holder"] for lk in world.links(subnet["id"])]
    holders += [u["id"] for u in world.users_of(subnet["id"])]
    return [h for h in holders if h.lower() not in cascade]


def _in_use(subnet: Json, users: list[str]) -> ArmError:
    return bad_request(
        "InUseSubnetCannotBeDeleted",
        f"Subnet {subnet['body']['name']} is in use by {users[0]} and cannot be deleted. In order to delete the "
        "subnet, delete all the resources within the subnet. See aka.ms/deletesubnet.",
    )


class VirtualNetwork(_NetworkProvider):
    type = "Microsoft.Network/virtualNetworks"
    durations = Durations(create=10, update=6, delete=10)
    name_rule = NameRule(2, 64, r"[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9_]", _NAME.hint)

    def validate(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        space = _space(body)
        inline = body["properties"].get("subnets") or []
        require(isinstance(inline, list), "InvalidRequestFormat", "properties.subnets must be a list.")
        wanted = {s.get("name"): s.get("properties") or {} for s in inline}
        require(all(isinstance(n, str) and n for n in wanted), "InvalidRequestFormat",
                "Every subnet needs a name.", target="properties.subnets")
        _check_subnet_layout(ref.name, space, wanted)
        for name, props in wanted.items():
            _check_subnet_props(world, name, props)
        current = _children(world, ref.id) if existing else {}
        for name, record in current.items():
            if name in wanted:
                continue
            users = _subnet_users(world, record, frozenset())
            if users:  # the PUT would delete a subnet that is in use
                raise _in_use(record, users)

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body["properties"]
        props["resourceGuid"] = (existing or {}).get("body", {}).get("properties", {}).get("resourceGuid") \
            or new_guid()
        props.setdefault("enableDdosProtection", False)
        # Azure CLI recording privatedns__test_DeleteLink_LinkExists_ExpectLinkDeleted.yaml (2021-05-01): a VNet
        # always shows dhcpOptions.dnsServers and virtualNetworkPeerings, empty when none were given.
        dhcp = props.get("dhcpOptions")
        props["dhcpOptions"] = dhcp if isinstance(dhcp, dict) else {}
        props["dhcpOptions"].setdefault("dnsServers", [])
        props.setdefault("virtualNetworkPeerings", [])
        body["_inline_subnets"] = props.pop("subnets", None) or []

    def committed(self, world: World, ref: ArmRef, record: Json, existing: Json | None) -> None:
        inline = record["body"].pop("_inline_subnets")
        current = _children(world, record["id"])
        for sub in inline:
            props = copy.deepcopy(sub.get("properties") or {})
            props["provisioningState"] = "Succeeded"
            body = _subnet_body(f"{record['id']}/subnets/{sub['name']}", sub["name"], props)
            old = current.get(sub["name"])
            world.store_record({"id": body["id"], "type": SUBNET_TYPE, "created": (old or {}).get("created",
                                world.now()), "op": None, "body": body, "internal": {}})
        for name, old in current.items():
            if name not in {s["name"] for s in inline}:
                world.remove(old)

    def render(self, world: World, record: Json) -> Json:
        body: Json = copy.deepcopy(record["body"])
        children = sorted(_children(world, record["id"]).values(), key=lambda r: r["created"])
        body["properties"]["subnets"] = [world.render(c) for c in children]
        state = body["properties"].get("provisioningState")
        for sub in body["properties"]["subnets"]:
            if state != "Succeeded":
                sub["properties"]["provisioningState"] = state
        return body


# Read-only in virtualNetwork.json: Azure ignores them in a request; the emulator renders the live ones.
SUBNET_READ_ONLY = ("privateEndpoints", "ipConfigurations", "ipConfigurationProfiles", "resourceNavigationLinks",
                    "serviceAssociationLinks", "purpose")


def _subnet_body(subnet_id: str, name: str, props: Json) -> Json:
    for key in SUBNET_READ_ONLY:
        props.pop(key, None)
    props.setdefault("privateEndpointNetworkPolicies", "Disabled")
    props.setdefault("privateLinkServiceNetworkPolicies", "Enabled")
    props.setdefault("delegations", [])  # recording network/test_network_private_endpoints.yaml: always a list
    return {"id": subnet_id, "name": name, "type": SUBNET_TYPE, "etag": f'W/"{new_guid()}"', "properties": props}


def _check_subnet_props(world: World, name: str, props: Json) -> None:
    nsg = (props.get("networkSecurityGroup") or {}).get("id")
    if nsg and world.get(nsg) is None:
        raise bad_request("InvalidResourceReference",
                          f"Resource {nsg} referenced by resource subnet {name} was not found. Please make sure "
                          "that the referenced resource exists, and that both resources are in the same region.")
    for delegation in props.get("delegations") or []:
        service = (delegation.get("properties") or {}).get("serviceName", "")
        require(service.lower() in DELEGATION_ACTIONS, "InvalidServiceNameOnDelegation",
                f"Subnet {name} has an invalid delegation service name '{service}'.")


class Subnet(_NetworkProvider):
    type = SUBNET_TYPE
    durations = Durations(create=5, update=5, delete=5)
    location = "none"
    lock_parent = True  # writes to subnets of one VNet are serialized (azurerm#3780)

    def validate(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        parent = ref.parent()
        assert parent is not None
        vnet = world.get(parent.key)
        assert vnet is not None
        siblings = {n: r["body"]["properties"] for n, r in _children(world, vnet["id"]).items() if n != ref.name}
        siblings[ref.name] = body["properties"]
        _check_subnet_layout(parent.name, _space(vnet["body"]), siblings)
        _check_subnet_props(world, ref.name, body["properties"])
        if existing is not None:
            users = _subnet_users(world, existing, frozenset())
            old, new = existing["body"]["properties"], body["properties"]
            changed = _subnet_prefixes(old, ref.name) != _subnet_prefixes(new, ref.name) or \
                _services(old) != _services(new)
            if users and changed:
                raise bad_request("InUseSubnetCannotBeUpdated",
                                  f"Subnet {ref.name} is in use by {users[0]} and its address prefix or delegations "
                                  "cannot be changed.")

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        body.update(_subnet_body(body["id"], ref.name, body["properties"]))

    def render(self, world: World, record: Json) -> Json:
        body: Json = copy.deepcopy(record["body"])
        props = body["properties"]
        for delegation in props.get("delegations") or []:
            service = delegation.setdefault("properties", {}).get("serviceName", "")
            delegation["id"] = f"{record['id']}/delegations/{delegation.get('name')}"
            if "etag" in body:  # the subnet's etag (recording network__test_network_subnet_delegation.yaml)
                delegation["etag"] = body["etag"]
            delegation["type"] = "Microsoft.Network/virtualNetworks/subnets/delegations"
            delegation["properties"]["actions"] = DELEGATION_ACTIONS.get(service.lower(), [])
            delegation["properties"]["provisioningState"] = "Succeeded"
        links = world.links(record["id"])
        if links:
            props["serviceAssociationLinks"] = [{
                "id": f"{record['id']}/serviceAssociationLinks/{lk['name']}", "name": lk["name"],
                "type": "Microsoft.Network/virtualNetworks/subnets/serviceAssociationLinks",
                "properties": {"linkedResourceType": lk["linked_type"], "link": lk["holder"],
                               "provisioningState": "Succeeded"},
            } for lk in links]
        endpoints = [u for u in world.users_of(record["id"]) if u["type"] == "Microsoft.Network/privateEndpoints"]
        if endpoints:
            props["privateEndpoints"] = [{"id": u["id"]} for u in endpoints]
        return body

    def blocking_refs(self, record: Json) -> list[str]:
        nsg = (record["body"]["properties"].get("networkSecurityGroup") or {}).get("id")
        return [nsg] if nsg else []

    def delete_blocker(self, world: World, record: Json, *, cascade: frozenset[str], root: str) -> ArmError | None:
        links = [lk["holder"] for lk in world.links(record["id"]) if lk["holder"].lower() not in cascade]
        return _in_use(record, links) if links else None

    def in_use_error(self, record: Json, user: Json) -> ArmError:
        return _in_use(record, [user["id"]])


def _services(props: Json) -> list[str]:
    return sorted(((d.get("properties") or {}).get("serviceName") or "").lower()
                  for d in props.get("delegations") or [])


# Azure's default rules, with the descriptions recording network/test_network_nsg.yaml shows.
_DEFAULT_RULES: list[tuple[str, str, int, str, str, str, str, str]] = [
    ("AllowVnetInBound", "Inbound", 65000, "VirtualNetwork", "VirtualNetwork", "Allow", "*",
     "Allow inbound traffic from all VMs in VNET"),
    ("AllowAzureLoadBalancerInBound", "Inbound", 65001, "AzureLoadBalancer", "*", "Allow", "*",
     "Allow inbound traffic from azure load balancer"),
    ("DenyAllInBound", "Inbound", 65500, "*", "*", "Deny", "*", "Deny all inbound traffic"),
    ("AllowVnetOutBound", "Outbound", 65000, "VirtualNetwork", "VirtualNetwork", "Allow", "*",
     "Allow outbound traffic from all VMs to all VMs in VNET"),
    ("AllowInternetOutBound", "Outbound", 65001, "*", "Internet", "Allow", "*",
     "Allow outbound traffic from all VMs to Internet"),
    ("DenyAllOutBound", "Outbound", 65500, "*", "*", "Deny", "*", "Deny all outbound traffic"),
]
# Every rule answers these lists, empty when the single-value form is used (recording network/test_network_nsg.yaml).
_RULE_LISTS = ("sourcePortRanges", "destinationPortRanges", "sourceAddressPrefixes", "destinationAddressPrefixes")


class NetworkSecurityGroup(_NetworkProvider):
    type = "Microsoft.Network/networkSecurityGroups"
    durations = Durations(create=5, update=5, delete=5)

    def validate(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        seen: dict[tuple[str, int], str] = {}
        for rule in body["properties"].get("securityRules") or []:
            props: Any = rule.get("properties") or {}
            priority, direction = props.get("priority"), str(props.get("direction", ""))
            require(isinstance(priority, int) and 100 <= priority <= 4096, "SecurityRuleInvalidPriority",
                    f"Security rule {rule.get('name')} has invalid priority {priority}. Value provided: "
                    f"{priority}. Allowed range 100-4096.")
            key = (direction.lower(), int(priority))
            if key in seen:
                raise bad_request("SecurityRulesConflictingPriority",
                                  f"Security rules {seen[key]} and {rule.get('name')} have the same priority "
                                  f"{priority} and direction {direction}.")
            seen[key] = str(rule.get("name"))

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body["properties"]
        props["resourceGuid"] = (existing or {}).get("body", {}).get("properties", {}).get("resourceGuid") \
            or new_guid()
        for key in ("subnets", "networkInterfaces", "flowLogs"):  # read-only: rendered from the live users
            props.pop(key, None)
        for rule in props.setdefault("securityRules", []):
            rule["id"] = f"{body['id']}/securityRules/{rule.get('name')}"
            rule["type"] = "Microsoft.Network/networkSecurityGroups/securityRules"
            rule["etag"] = body.get("etag")
            rule_props = rule.setdefault("properties", {})
            rule_props["provisioningState"] = "Succeeded"
            for key in _RULE_LISTS:
                rule_props.setdefault(key, [])
        props["defaultSecurityRules"] = [{
            "id": f"{body['id']}/defaultSecurityRules/{name}", "name": name, "etag": body.get("etag"),
            "type": "Microsoft.Network/networkSecurityGroups/defaultSecurityRules",
            "properties": {"description": description, "protocol": proto, "sourcePortRange": "*",
                           "destinationPortRange": "*", "sourceAddressPrefix": src, "destinationAddressPrefix": dst,
                           "access": access, "priority": prio, "direction": direction,
                           "provisioningState": "Succeeded", **{key: [] for key in _RULE_LISTS}},
        } for name, direction, prio, src, dst, access, proto, description in _DEFAULT_RULES]

    def render(self, world: World, record: Json) -> Json:
        body: Json = copy.deepcopy(record["body"])
        users = [u["id"] for u in world.users_of(record["id"]) if u["type"] == SUBNET_TYPE]
        if users:
            body["properties"]["subnets"] = [{"id": u} for u in users]
        return body

    def in_use_error(self, record: Json, user: Json) -> ArmError:
        return bad_request("InUseNetworkSecurityGroupCannotBeDeleted",
                           f"Network security group {record['id']} cannot be deleted because it is in use by the "
                           f"following resources: {user['id']}. In order to delete the Network security group, "
                           "remove the association with the resource(s).")


# Azure CLI recording network__test_network_public_ip.yaml (2022-05-01): a PUT without a sku creates a Basic
# (Regional) address, and a Basic address may be Dynamic.
DEFAULT_SKU = "Basic"


class PublicIPAddress(_NetworkProvider):
    type = "Microsoft.Network/publicIPAddresses"
    durations = Durations(create=5, update=5, delete=5)
    top_level = ("tags", "sku", "zones")

    def validate(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body["properties"]
        sku = str((body.get("sku") or {}).get("name") or DEFAULT_SKU)
        method = str(props.get("publicIPAllocationMethod") or ("Static" if sku.lower() == "standard" else "Dynamic"))
        require(not (sku.lower() == "standard" and method.lower() != "static"),
                "StandardSkuPublicIPAddressesMustBeStatic",
                f"Standard sku publicIp /subscriptions/.../{ref.name} must have AllocationMethod set to Static.")
        label = (props.get("dnsSettings") or {}).get("domainNameLabel")
        if label is not None:
            require(isinstance(label, str) and 3 <= len(label) <= 63 and label == label.lower()
                    and label[0].isalpha() and all(c.isalnum() or c == "-" for c in label),
                    "InvalidDomainNameLabel",
                    f"The domain name label {label} is invalid. It must conform to the following regular "
                    "expression: ^[a-z][a-z0-9-]{1,61}[a-z0-9]$.")
            fqdn = _fqdn(label, body["location"])
            for other in world.of_type(self.type):
                if other["id"].lower() != ref.key and other["body"]["properties"].get("dnsSettings", {}).get(
                        "fqdn") == fqdn:
                    raise bad_request("DnsRecordInUse",
                                      f"DNS record {fqdn} is already used by another public IP.")

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body["properties"]
        old = (existing or {}).get("body", {}).get("properties", {})
        given = body.get("sku")
        sku: Json = given if isinstance(given, dict) else {}
        sku.setdefault("name", DEFAULT_SKU)
        sku.setdefault("tier", "Regional")
        body["sku"] = sku
        props.setdefault("publicIPAllocationMethod", "Static" if sku["name"].lower() == "standard" else "Dynamic")
        props.setdefault("publicIPAddressVersion", "IPv4")
        props.setdefault("idleTimeoutInMinutes", 4)
        # Azure CLI recording network__test_network_public_ip.yaml (2022-05-01): ipTags and ddosSettings always shown.
        props.setdefault("ipTags", [])
        props.setdefault("ddosSettings", {"protectionMode": "VirtualNetworkInherited"})
        props["resourceGuid"] = old.get("resourceGuid") or new_guid()
        if str(props["publicIPAllocationMethod"]).lower() == "dynamic":
            # The same recording: a Dynamic address has no ipAddress until something uses it.
            props.pop("ipAddress", None)
        elif old.get("ipAddress"):
            props["ipAddress"] = old["ipAddress"]
        else:
            n = world.counter("public-ip")
            props["ipAddress"] = f"20.{64 + (n >> 16) % 64}.{(n >> 8) % 256}.{n % 256}"
        label = (props.get("dnsSettings") or {}).get("domainNameLabel")
        if label:
            props["dnsSettings"]["fqdn"] = _fqdn(label, body["location"])

    def in_use_error(self, record: Json, user: Json) -> ArmError:
        return bad_request("PublicIPAddressCannotBeDeleted",
                           f"Public IP address {record['id']} can not be deleted since it is still allocated to "
                           f"resource {user['id']}. In order to delete the public IP, disassociate/detach the "
                           "Public IP address from the resource.")


def _fqdn(label: str, location: str) -> str:
    return f"{label}.{location}.cloudapp.azure.com"


PROVIDERS = [VirtualNetwork(), Subnet(), NetworkSecurityGroup(), PublicIPAddress()]
