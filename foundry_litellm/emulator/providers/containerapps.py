"""Microsoft.App: Container Apps environments (managedEnvironments); the apps live in ``aca_app.py``.

Sources: ManagedEnvironments.json (2026-01-01): PUT 200/201 and DELETE 200/202/204 are long-running; DELETE is
documented as "Delete a Managed Environment if it does not have any container apps". Subnet rules: a
workload-profiles environment needs a subnet delegated to Microsoft.App/environments
(ManagedEnvironmentSubnetDelegationError, MicrosoftDocs/azure-docs PR #119379), a consumption-only one refuses
any delegation (ManagedEnvironmentV1SubnetDelegationNotAllowed, kommodity-io/kommodity PR #439); the subnet must
have a single ``addressPrefix`` (ManagedEnvironmentInvalidNetworkConfiguration "The subnet and its addressPrefix
could not be found", pulumi/pulumi-azure-native#3244) of at least /27, or /23 for consumption-only
(microsoft/azure-container-apps#425). Creating in a VNet takes ~4.5 min (peers §4), ~1 m 40 s without; deleting
5-13 min (azure-container-apps#430); the subnet stays held for a while after the delete (#974).
"""

from __future__ import annotations

import copy
import ipaddress
import re
import uuid
from typing import TYPE_CHECKING

from ..errors import ArmError, bad_request, conflict
from ..provider import Durations, Json, NameRule, Provider, prop, require
from ..wire import Fault, Request, Response
from ..world import World
from . import reach
from .aca_app import ContainerApp
from .aca_common import APP_TYPE, ENV_TYPE, VERSIONS, app_environment_id, infrastructure_subnet, is_workload_profiles
from .common import system_data
from .privatelink import connections_to

if TYPE_CHECKING:
    from ..armpath import ArmRef
    from ..provider import ArmCalls

DELEGATION = "microsoft.app/environments"
# Nominal seconds: VNet-integrated create (peers §4, 1.0 unit); plain create: Waiting at 49 s, Succeeded at 51 s
# (recording containerapp/test_containerapp_env_e2e.yaml; test_containerapp_e2e.yaml first looks at 219 s).
CREATE_IN_VNET = 270.0
CREATE_PLAIN = 50.0
# Deleting: 5-13 min in a VNet (azure-container-apps#430); ~12 s without one (recording
# containerapp/test_containerapp_env_e2e.yaml: ScheduledForDelete, then 404 twelve seconds after the DELETE).
DELETE_IN_VNET = 300.0
DELETE_PLAIN = 12.0
SAL_RELEASE_LAG = 120.0
_GUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_WORDS = ("ashy", "blue", "calm", "wonderful", "gentle", "happy", "icy", "kind", "lively", "proud", "witty")
_NOUNS = ("sky", "river", "hill", "meadow", "stone", "field", "forest", "pond", "wave", "dune", "grass")


def _network_error(detail: str) -> ArmError:
    return bad_request("ManagedEnvironmentInvalidNetworkConfiguration",
                       f"The environment network configuration is invalid: {detail}")


def _invalid_parameter(message: str) -> ArmError:
    # Code and wording of microsoft/azure-container-apps#990 and Azure/azure-cli#27098.
    return bad_request("InvalidRequestParameterWithDetails", message)


class ManagedEnvironment(Provider):
    type = ENV_TYPE
    api_versions = VERSIONS
    put_style = "async"
    # Recording containerapp/test_containerapp_env_e2e.yaml: DELETE answers 202 with Location only.
    delete_style = "location"
    durations = Durations(create=CREATE_IN_VNET, update=120, delete=DELETE_IN_VNET)
    # Both recordings (containerapp_e2e, containerapp_env_e2e) show "Waiting" from the PUT until "Succeeded".
    creating_state = "Waiting"
    updating_state = "InfrastructureSetupInProgress"
    deleting_state = "ScheduledForDelete"  # microsoft/azure-container-apps#674
    top_level = ("tags", "identity", "kind")
    write_only = ("properties.appLogsConfiguration.logAnalyticsConfiguration.sharedKey",
                  "properties.appInsightsConfiguration.connectionString",
                  "properties.daprAIConnectionString", "properties.daprAIInstrumentationKey")
    name_rule = NameRule(2, 60, r"[a-z](?:[a-z0-9]|-(?!-))*[a-z0-9]",
                         "lower case letters, digits and single '-', starting with a letter and ending with a "
                         "letter or digit")

    def handle(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
        if ref.action is not None or ref.is_collection:
            return None
        active = arm.world.in_flight(self.busy_keys(arm.world, ref))
        if active is not None and req.method in ("PUT", "PATCH", "DELETE") and \
                not (req.method == "DELETE" and active["kind"] == "delete"):
            # The Container Apps wording of a concurrent write (microsoft/azure-container-apps#1112).
            raise conflict("ManagedEnvironmentOperationInProgress",
                           f"Cannot modify Container Apps environment {ref.name} because another operation is in "
                           "progress.")
        return None

    def put_duration(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> float:
        if existing is not None:
            return self.durations.update
        return CREATE_IN_VNET if infrastructure_subnet(body) else CREATE_PLAIN

    # --- validation ------------------------------------------------------------------------------------
    def validate(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body["properties"]
        if existing is not None:
            _check_create_only(existing["body"], body)
        subnet_id = infrastructure_subnet(body)
        if subnet_id is None:
            require(not prop(props, "vnetConfiguration.internal"), "ManagedEnvironmentInvalidNetworkConfiguration",
                    "The environment network configuration is invalid: an internal environment needs an "
                    "infrastructureSubnetId.")
        elif existing is None:
            _check_subnet(world, ref, subnet_id, workload_profiles=is_workload_profiles(body))
        _check_logs(world, props, existing)

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body["properties"]
        old = existing["body"]["properties"] if existing else {}
        location = body["location"]
        props["defaultDomain"] = old.get("defaultDomain") or _default_domain(location)
        props.pop("staticIp", None)  # read-only: a body copied from GET does not set it
        if old.get("staticIp"):
            props["staticIp"] = old["staticIp"]
        elif not infrastructure_subnet(body):
            # Without a VNet it is known at once: the PUT's 201 ("Waiting") shows it (Azure CLI recording
            # containerapp/test_containerapp_e2e.yaml); in a VNet, once the infrastructure exists (``completed``).
            props["staticIp"] = _static_ip(world, body)
        props.setdefault("zoneRedundant", False)
        props.setdefault("publicNetworkAccess", "Enabled")
        if infrastructure_subnet(body):
            props["vnetConfiguration"].setdefault("internal", False)
        if is_workload_profiles(body):
            props.setdefault("infrastructureResourceGroup", f"ME_{ref.name}_{ref.resource_group}_{location}")
        props["eventStreamEndpoint"] = (f"https://{location}.azurecontainerapps.dev/subscriptions/{ref.subscription}"
                                        f"/resourceGroups/{ref.resource_group}/managedEnvironments/{ref.name}"
                                        "/eventstream")
        props["customDomainConfiguration"] = {
            **(props.get("customDomainConfiguration") or {}),
            "customDomainVerificationId": prop(old, "customDomainConfiguration.customDomainVerificationId")
            or (uuid.uuid4().hex + uuid.uuid4().hex).upper(),  # 64 upper-case hex digits, as recorded
        }
        props.setdefault("peerTrafficConfiguration", {"encryption": {"enabled": False}})

    def committed(self, world: World, ref: ArmRef, record: Json, existing: Json | None) -> None:
        record["internal"]["modified"] = world.now()  # systemData.lastModifiedAt
        subnet_id = infrastructure_subnet(record["body"])
        if subnet_id and is_workload_profiles(record["body"]) and \
                not any(lk["holder"].lower() == ref.key for lk in world.links(subnet_id)):
            # The delegated subnet gets a service association link (reference-inventory §1.16); its name is the
            # one Foundry's ACA-based agent subnet shows, ACA's own is not in the sources.
            world.add_link(subnet_id, {"name": "legionservicelink", "holder": record["id"],
                                       "linked_type": "Microsoft.App/environments"})

    def completed(self, world: World, record: Json, op: Json) -> None:
        props = record["body"]["properties"]
        if not props.get("staticIp"):
            # defaultDomain is known at once, staticIp of a VNet environment only once the infrastructure exists
            # (Azure/azure-cli-extensions#4981: poll both before using the environment).
            props["staticIp"] = _static_ip(world, record["body"])

    def render(self, world: World, record: Json) -> Json:
        body: Json = copy.deepcopy(record["body"])
        body["systemData"] = system_data(record)  # recording containerapp/test_containerapp_e2e.yaml
        connections = connections_to(world, record)
        if connections:
            body["properties"]["privateEndpointConnections"] = connections
        return body

    # --- deletion --------------------------------------------------------------------------------------
    def blocking_refs(self, record: Json) -> list[str]:
        # A consumption-only environment has no link: its infrastructure's NICs hold the subnet instead.
        subnet_id = infrastructure_subnet(record["body"])
        return [subnet_id] if subnet_id and not is_workload_profiles(record["body"]) else []

    def delete_blocker(self, world: World, record: Json, *, cascade: frozenset[str], root: str) -> ArmError | None:
        apps = [a for a in world.of_type(APP_TYPE) if a["id"].lower() not in cascade and
                app_environment_id(a["body"]).lower() == record["id"].lower()]
        if not apps:
            return None
        # The rule is the spec's; code and wording follow ManagedEnvironmentHasBuilders (azure-container-apps#1012).
        return bad_request("ManagedEnvironmentHasContainerApps",
                           f"The specified environment {record['body']['name']} cannot be deleted because it still "
                           f"contains {len(apps)} ContainerApps.")

    def delete_duration(self, world: World, record: Json) -> float:
        return DELETE_IN_VNET if infrastructure_subnet(record["body"]) else DELETE_PLAIN

    def deleted(self, world: World, record: Json) -> None:
        world.release_links(record["id"], after=SAL_RELEASE_LAG)


def _check_create_only(old: Json, new: Json) -> None:
    for path in ("properties.vnetConfiguration.infrastructureSubnetId", "properties.vnetConfiguration.internal",
                 "properties.zoneRedundant"):
        before, after = prop(old, path), prop(new, path)
        if after is not None and before is not None and str(before).lower() != str(after).lower():
            # x-ms-mutability create/read in ManagedEnvironments.json.
            raise _invalid_parameter(f"'{path.split('.', 1)[1]}' cannot be changed after the environment is "
                                     "created.")
    if is_workload_profiles(old) != is_workload_profiles(new):
        raise _invalid_parameter("An environment cannot change between the consumption-only and the "
                                 "workload profiles type.")


def _check_subnet(world: World, ref: ArmRef, subnet_id: str, *, workload_profiles: bool) -> None:
    if not subnet_id.lower().startswith(f"/subscriptions/{ref.subscription}/".lower()):
        # The VNet must be in the environment's subscription (microsoft/azure-container-apps#1534).
        raise _network_error("Invalid vnet resource ID provided, or the virtual network could not be found.")
    subnet = world.get(subnet_id)
    prefix = prop(subnet["body"], "properties.addressPrefix") if subnet else None
    if subnet is None or subnet["type"] != reach.SUBNET_TYPE or not prefix:
        raise _network_error("The subnet and its addressPrefix could not be found.")
    services = [str(prop(d, "properties.serviceName", "")).lower()
                for d in prop(subnet["body"], "properties.delegations", []) or []]
    if workload_profiles and DELEGATION not in services:
        raise bad_request("ManagedEnvironmentSubnetDelegationError",
                          "The subnet of the environment must be delegated to the service "
                          "'Microsoft.App/environments'.")
    if not workload_profiles and services:
        raise bad_request("ManagedEnvironmentV1SubnetDelegationNotAllowed",
                          "The subnet for consumption-only environment must not have delegations. Please remove the "
                          f"delegation '{services[0]}' from the subnet and retry the environment creation.")
    smallest = 27 if workload_profiles else 23  # Learn "custom virtual networks": /27 and /23
    if ipaddress.ip_network(prefix, strict=False).prefixlen > smallest:
        raise _network_error(f"Provided subnet must have a size of at least /{smallest}")
    others = [lk["holder"] for lk in world.links(subnet_id) if lk["holder"].lower() != ref.key]
    others += [u["id"] for u in world.users_of(subnet_id) if u["type"] == ENV_TYPE and u["id"].lower() != ref.key]
    if others:  # one environment per subnet (Learn "custom virtual networks"); the wording is modelled
        raise _network_error(f"The subnet is already used by {others[0]}.")


def _check_logs(world: World, props: Json, existing: Json | None) -> None:
    logs = props.get("appLogsConfiguration") or {}
    destination = logs.get("destination")
    if destination in (None, "", "none", "azure-monitor"):
        return
    if destination != "log-analytics":
        raise _invalid_parameter("AppLogsConfiguration.Destination is invalid. Destination can be 'log-analytics', "
                                 "'azure-monitor' or 'none'.")
    config = logs.get("logAnalyticsConfiguration") or {}
    customer = config.get("customerId")
    if not isinstance(customer, str) or not _GUID.fullmatch(customer):
        raise _invalid_parameter("LogAnalyticsConfiguration.CustomerId is invalid.  CustomerId must be a GUID "
                                 "without additional whiteSpace.")
    key = config.get("sharedKey")
    if key is None and existing is not None and \
            prop(existing["body"], "properties.appLogsConfiguration.logAnalyticsConfiguration.customerId") == customer:
        key = existing["internal"].get("properties.appLogsConfiguration.logAnalyticsConfiguration.sharedKey")
    workspace = next((w for w in world.of_type("Microsoft.OperationalInsights/workspaces")
                      if str(prop(w["body"], "properties.customerId", "")).lower() == customer.lower()), None)
    # Shared keys are refused when the workspace disables local auth (reference-inventory §1.12).
    local_auth = not prop(workspace["body"], "properties.features.disableLocalAuth", False) if workspace else False
    # A key must be given (azure-container-apps#990, #314); its value is not checked against the workspace's keys:
    # a wrong key shows only as logs that never arrive (azure-container-apps#185, "It may have a trailing space").
    if workspace is None or not isinstance(key, str) or not key or not local_auth:
        raise _invalid_parameter("LogAnalyticsConfiguration is invalid.  Must provide a valid "
                                 "LogAnalyticsConfiguration")


def _default_domain(location: str) -> str:
    token = uuid.uuid4().hex
    word = _WORDS[int(token[8:10], 16) % len(_WORDS)] + _NOUNS[int(token[10:12], 16) % len(_NOUNS)]
    # e.g. "ashysky-0108c158.northeurope.azurecontainerapps.io" (microsoft/azure-container-apps#66)
    return f"{word}-{token[:8]}.{location}.azurecontainerapps.io"


def _static_ip(world: World, body: Json) -> str:
    subnet_id = infrastructure_subnet(body)
    if subnet_id and prop(body, "properties.vnetConfiguration.internal"):
        subnet = world.get(subnet_id)
        prefix = prop(subnet["body"], "properties.addressPrefix") if subnet else None
        if prefix:  # an internal environment's load balancer takes an address of its subnet
            network = ipaddress.ip_network(prefix, strict=False)
            return str(network.network_address + network.num_addresses - 2)
    n = world.counter("public-ip")
    return f"20.{64 + (n >> 16) % 64}.{(n >> 8) % 256}.{n % 256}"


PROVIDERS: list[Provider] = [ManagedEnvironment(), ContainerApp()]
