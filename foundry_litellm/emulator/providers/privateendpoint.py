"""Microsoft.Network/privateEndpoints: one shape for every target, with a private IP from the subnet.

Sources: privateEndpoint.json (2025-05-01): PUT is long-running (200/201, final-state-via azure-async-operation),
DELETE 202/204/200; networkInterfaces is read-only. Refusals: a missing subnet or one in another region
(InvalidResourceReference, Azure/azure-cli#13614), a delegated subnet
(PrivateEndpointCreationNotAllowedAsSubnetIsDelegated, Learn "Troubleshoot private endpoint creation"), a
connection without a name (InvalidRequestFormat "Cannot parse the request.", pulumi/pulumi-azure-nextgen#264),
an unsupported target type (InvalidPrivateLinkServiceIdType, hashicorp/terraform-provider-azurerm#11377), no
group id (MissingParameterOnPrivateLinkServiceConnection, Azure/azure-cli#15136), two group ids
(OnlyOneGroupIdPermitted, DFE-Digital/terraform-azurerm-container-apps-hosting#352), an unknown group id
(InvalidValuesForRequestParameters, Azure/azure-cli#16750), a VNet-integrated PostgreSQL server
(PrivateEndpointFeatureNotSupportedOnServer, hashicorp/terraform-provider-azurerm#27732). Approval (Learn "Manage
a private endpoint connection"): automatic when the caller may approve on the target, else the request fails with
LinkedAuthorizationFailed; manual connections stay Pending. The emulator's caller may approve in the endpoint's
own subscription only. A missing target answers InvalidResourceReference (the Network RP's code for a missing
referenced resource; the exact code for this case is not in the sources). About 27 s per endpoint.
"""

from __future__ import annotations

import ipaddress
import json
from typing import TYPE_CHECKING

from ..errors import ArmError, bad_request
from ..provider import Durations, Json, NameRule, Provider
from ..wire import Fault, Request, Response
from ..world import World
from .common import new_guid
from .data_common import subscription_of
from .network import VERSIONS
from .privatednszonegroup import PrivateDnsZoneGroup
from .privatelink import CONNECTION_KINDS, GROUPS, PE_TYPE, PERMITTED_TYPES, Endpoint, endpoints_of, hosts_for

if TYPE_CHECKING:
    from ..armpath import ArmRef
    from ..provider import ArmCalls


def _missing(referenced: str, by: str) -> ArmError:
    return bad_request("InvalidResourceReference",
                       f"Resource {referenced} referenced by resource {by} was not found. Please make sure that the "
                       "referenced resource exists, and that both resources are in the same region.")


def subnet_of(pe: Json) -> str:
    return str((pe["body"]["properties"].get("subnet") or {}).get("id") or "")


class PrivateEndpoint(Provider):
    type = PE_TYPE
    api_versions = VERSIONS
    put_style = "async"
    delete_style = "async+location"
    creating_state = "Updating"  # the Network RP says Updating while it creates
    etag = True
    durations = Durations(create=27, update=10, delete=20)  # update and delete: estimates
    name_rule = NameRule(1, 80, r"[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9_])?", "letters, digits, '.', '-', '_'")
    top_level = ("tags", "extendedLocation")

    def __init__(self) -> None:
        # The subnet named by the PUT being handled: busy_keys sees only the path (all under the store lock).
        self._subnet_for: dict[str, str] = {}

    def handle(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
        if req.method == "PUT" and ref.action is None and not ref.is_collection:
            try:
                body = json.loads(req.body or b"{}")
                self._subnet_for[ref.key] = str(body["properties"]["subnet"]["id"])
            except (ValueError, KeyError, TypeError):
                self._subnet_for.pop(ref.key, None)
        return None

    def busy_keys(self, world: World, ref: ArmRef) -> set[str]:
        """Writes of an endpoint lock its subnet and VNet, like subnet writes (azurerm#3780)."""
        existing = world.get(ref.key)
        subnet = self._subnet_for.pop(ref.key, None) or (subnet_of(existing) if existing else "")
        keys = {ref.key}
        if "/subnets/" in subnet.lower():
            keys |= {subnet.lower(), subnet.lower().rsplit("/subnets/", 1)[0]}
        return keys

    def validate(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body["properties"]
        pe_id = body["id"]
        subnet_id = str((props.get("subnet") or {}).get("id") or "")
        subnet = world.get(subnet_id) if subnet_id else None
        vnet = world.get(subnet_id.rsplit("/subnets/", 1)[0]) if subnet is not None else None
        if subnet is None or vnet is None or vnet["body"]["location"] != body["location"]:
            raise _missing(subnet_id or "(no subnet)", pe_id)
        if subnet["body"]["properties"].get("delegations"):
            raise bad_request("PrivateEndpointCreationNotAllowedAsSubnetIsDelegated",
                              f"Private endpoint {pe_id} cannot be created as subnet {subnet_id} is delegated.")
        connections = [(kind, c) for kind in CONNECTION_KINDS for c in props.get(kind) or []]
        if len(connections) != 1:
            raise bad_request("InvalidRequestFormat", "A private endpoint needs exactly one private link service "
                              "connection.")
        for kind, connection in connections:
            self._check_connection(world, ref, kind, connection)

    def _check_connection(self, world: World, ref: ArmRef, kind: str, connection: Json) -> None:
        if not isinstance(connection.get("name"), str) or not connection["name"]:
            raise bad_request("InvalidRequestFormat", "Cannot parse the request.")
        link = connection.get("properties") or {}
        conn_id = f"{ref.id}/{kind}/{connection['name']}"
        target_id = str(link.get("privateLinkServiceId") or "")
        target = world.get(target_id) if target_id else None
        if target is None:
            raise _missing(target_id or "(no privateLinkServiceId)", ref.id)
        if target["type"].lower() not in GROUPS:
            raise bad_request("InvalidPrivateLinkServiceIdType",
                              f"Private link service Id {target_id} has an invalid resource type. Permitted type(s): "
                              f"{', '.join(PERMITTED_TYPES)}.")
        groups = link.get("groupIds") or []
        if not groups:
            raise bad_request("MissingParameterOnPrivateLinkServiceConnection",
                              f"Private link service connection {conn_id} is missing required parameter 'group Id'.")
        if len(groups) > 1:
            raise bad_request("OnlyOneGroupIdPermitted",
                              f"Private link service connection {conn_id} has the following group Ids: "
                              f"{', '.join(groups)}. Only one group Id is permitted when connecting to a "
                              f"first-party resource ({target_id}).")
        if hosts_for(target, groups[0]) is None:
            raise bad_request("InvalidValuesForRequestParameters",
                              f"Call to {target['type']} failed. Error message: Values for request parameters are "
                              f"invalid: GroupId: {groups[0]}.")
        if (target["body"]["properties"].get("network") or {}).get("delegatedSubnetResourceId"):
            raise bad_request("PrivateEndpointFeatureNotSupportedOnServer",
                              f"Call to {target['type']} failed. Error message: Private endpoint feature is not "
                              "supported on a server with VNet integration.")
        if kind == "privateLinkServiceConnections" and subscription_of(target_id) != ref.subscription.lower():
            action = f"{target['type']}/privateEndpointConnectionsApproval/action"
            raise ArmError(403, "LinkedAuthorizationFailed",
                           f"The client has permission to perform action 'Microsoft.Network/privateEndpoints/write' "
                           f"on scope '{ref.id}'; however, it does not have permission to perform action(s) "
                           f"'{action}' on the linked scope(s) '{target_id}' (respectively) or the linked scope(s) "
                           "are invalid.")

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body["properties"]
        old = (existing or {}).get("body", {}).get("properties", {})
        props["resourceGuid"] = old.get("resourceGuid") or new_guid()
        nic = props.get("customNetworkInterfaceName") or f"{ref.name}.nic.{props['resourceGuid']}"
        props["networkInterfaces"] = [{"id": f"/subscriptions/{ref.subscription}/resourceGroups/"
                                             f"{ref.resource_group}/providers/Microsoft.Network/networkInterfaces/{nic}"}]
        props.setdefault("ipConfigurations", [])
        props.setdefault("applicationSecurityGroups", [])
        props.setdefault("ipVersionType", "IPv4")
        props.setdefault("customNetworkInterfaceName", "")  # recording network/test_network_private_endpoint_...
        for kind in CONNECTION_KINDS:
            props.setdefault(kind, [])
            for connection in props[kind]:
                self._fill_connection(ref, kind, connection)
        probe = {"body": body}
        endpoints = endpoints_of(world, probe)
        ips = self._allocate(world, ref, props["subnet"]["id"], endpoints, old)
        props["customDnsConfigs"] = [{"fqdn": e.fqdn, "ipAddresses": [ips[e.fqdn]]} for e in endpoints]

    def _fill_connection(self, ref: ArmRef, kind: str, connection: Json) -> None:
        link = connection.setdefault("properties", {})
        connection["id"] = f"{ref.id}/{kind}/{connection['name']}"
        connection["type"] = f"{PE_TYPE}/{kind}"
        connection["etag"] = f'W/"{new_guid()}"'
        link["provisioningState"] = "Succeeded"
        if kind == "privateLinkServiceConnections":
            link["privateLinkServiceConnectionState"] = {"status": "Approved", "description": "Auto-Approved",
                                                         "actionsRequired": "None"}
        else:  # the target's owner must approve
            link.setdefault("privateLinkServiceConnectionState", {
                "status": "Pending", "description": link.get("requestMessage") or "", "actionsRequired": "None"})

    def _allocate(self, world: World, ref: ArmRef, subnet_id: str, endpoints: list[Endpoint],
                  old: Json) -> dict[str, str]:
        """The first free addresses after the five Azure reserves in every subnet."""
        kept = {c["fqdn"]: c["ipAddresses"][0] for c in old.get("customDnsConfigs") or []}
        used = {ip for pe in world.of_type(PE_TYPE) if pe["id"].lower() != ref.key
                and subnet_of(pe).lower() == subnet_id.lower()
                for c in pe["body"]["properties"].get("customDnsConfigs") or [] for ip in c["ipAddresses"]}
        subnet = world.get(subnet_id)
        assert subnet is not None
        sprops = subnet["body"]["properties"]
        prefix = ipaddress.ip_network(sprops.get("addressPrefix") or sprops["addressPrefixes"][0])
        first, last = int(prefix.network_address) + 4, int(prefix.broadcast_address) - 1
        candidates = (str(ipaddress.ip_address(n)) for n in range(first, last + 1))
        free = (ip for ip in candidates if ip not in used and ip not in kept.values())
        ips: dict[str, str] = {}
        for endpoint in endpoints:
            base = endpoint.fqdn.removeprefix("*.")
            ip = kept.get(endpoint.fqdn) or ips.get(base) or next(free, None)
            if ip is None:
                raise bad_request("SubnetIsFull", f"Subnet {subnet['body']['name']} with address prefix {prefix} does "
                                  "not have enough capacity for the private endpoint's IP addresses.")
            ips[endpoint.fqdn] = ip
        return ips

    def blocking_refs(self, record: Json) -> list[str]:
        subnet = subnet_of(record)
        return [subnet] if subnet else []


PROVIDERS: list[Provider] = [PrivateEndpoint(), PrivateDnsZoneGroup()]
