"""Microsoft.DBforPostgreSQL: flexible servers, their databases and advanced threat protection settings.

Sources: openapi.json (PostgreSQL 2025-08-01): every PUT and DELETE answers 202 with Azure-AsyncOperation and
Location; ServerProperties has `state` (Ready, Provisioning, ...) and no provisioningState; version is one of
11-18 (PostgresMajorVersion); administratorLogin is create-only. A missing admin password is refused at once:
MissingRequiredParameter (MicrosoftLearning/mslearn-azure-ai#230); a password that fails the complexity rule
(8-128 characters from three of upper case, lower case, digits and other characters, no three consecutive
characters of the login; Learn quickstart and Azure/reliable-web-app-pattern-java#98) is accepted and the
operation fails later with an opaque InternalServerError (the same issue). Server names are global:
"Specified server name is already used." (Azure/azure-service-operator#2428, azure-cli#11633); a delegated
subnet needs a private DNS zone named *.postgres.database.azure.com (PrivateDnsZoneNameNotValid,
hashicorp/terraform-provider-azurerm#24549). Creation takes about 4.5 minutes (azd 4 m 3 s, Terraform 5 m 6 s).
Server parameters (``configurations``) exist with the server: GET, PUT and PATCH only, no create, no DELETE
(openapi.json); their defaults and the ``system-default``/``user-override`` sources follow Learn "Server
parameters in Azure Database for PostgreSQL" (require_secure_transport on, ssl_min_protocol_version TLSv1.2;
CIS Azure Foundations 5.2.1 audits the former).
Wire forms (Azure CLI recording postgresql/test_postgres_flexible_server_database_mgmt.yaml, api-version
2026-01-01-preview): the 202 of a server or database PUT or DELETE carries both headers and the body
{"operation": "<name>", "startTime": "<when>"}; a server answers systemData.createdAt, replica {role, capacity},
replicaCapacity 6 and a storage with type ("" when none was asked for), iops and tier (the capabilities document's
default tier for its size); a new server holds the databases azure_maintenance, postgres and azure_sys.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

from ..arm import merge_patch
from ..errors import ArmError, bad_request, conflict, not_found
from ..provider import Durations, Json, NameRule, Provider, prop
from ..wire import Fault, Request, Response, json_body
from ..world import World
from .data_common import iso_now, same_name_elsewhere
from .privatelink import connections_to

if TYPE_CHECKING:
    from ..armpath import ArmRef
    from ..provider import ArmCalls

VERSIONS = frozenset({
    "2021-06-01", "2022-01-20-preview", "2022-12-01", "2023-03-01-preview", "2023-06-01-preview",
    "2023-12-01-preview", "2024-03-01-preview", "2024-08-01", "2024-11-01-preview", "2025-01-01-preview",
    "2025-06-01-preview", "2025-08-01", "2026-10-01",
    "2026-01-01-preview",  # Azure CLI recordings postgresql/test_postgres_flexible_server_*.yaml use it
    "2020-02-14-preview",  # the first flexible-server preview (azure-mgmt-rdbms recording, sdk-rdbms__…)
})
SERVER_TYPE = "Microsoft.DBforPostgreSQL/flexibleServers"
MINOR = {"11": "11.22", "12": "12.22", "13": "13.18", "14": "14.15", "15": "15.10", "16": "16.6", "17": "17.2",
         "18": "18.0"}
RESERVED_LOGINS = {"azure_superuser", "azure_pg_admin", "admin", "administrator", "root", "guest", "public"}
STATES = {"Succeeded": "Ready", "Creating": "Provisioning", "Updating": "Updating", "Deleting": "Dropping",
          "Failed": "Disabled"}


def complex_enough(password: str, login: str) -> bool:
    classes = [any(c.isupper() for c in password), any(c.islower() for c in password),
               any(c.isdigit() for c in password), any(not c.isalnum() for c in password)]
    lowered = password.lower()
    login_parts = {login.lower()[i:i + 3] for i in range(max(0, len(login) - 2))}
    shares_login = any(part.isalnum() and part in lowered for part in login_parts)
    return 8 <= len(password) <= 128 and sum(classes) >= 3 and not shares_login


def _unexpected() -> Json:
    return {"code": "InternalServerError", "status": 500,
            "message": "An unexpected error occured while processing the request. "
                       f"Tracking ID: '{uuid.uuid4()}'"}


class _PostgresProvider(Provider):
    api_versions = VERSIONS
    put_style = "async+location+accepted"
    delete_style = "async+location+accepted"
    creating_state = "Creating"
    # The "operation" named in the body of a 202 to PUT and DELETE (the recording); None: a 202 without a body.
    op_names: ClassVar[tuple[str | None, str | None]] = (None, None)

    def handle(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
        if req.method not in ("PUT", "DELETE") or ref.action is not None or ref.is_collection:
            return None
        if req.method == "PUT":
            return self.accepted(arm, ref, arm.put(ref, self, json_body(req), req.api_version or "", fault))
        return self.accepted(arm, ref, arm.delete(ref, self, req.api_version or "", fault, req.query), delete=True)

    def accepted(self, arm: ArmCalls, ref: ArmRef, response: Response, *, delete: bool = False) -> Response:
        """A 202 with the operation's name and start as its body, where the recording shows one."""
        name = self.op_names[1 if delete else 0]
        record = arm.world.get(ref.key)
        op = arm.world.operations.get((record or {}).get("op") or "")
        if response.status == 202 and name is not None and op is not None:
            response.body = {"operation": name, "startTime": _iso_ms(op["start"])}
        return response

    def render(self, world: World, record: Json) -> Json:
        body: Json = copy.deepcopy(record["body"])
        body["properties"].pop("provisioningState", None)  # not part of these resources
        return body


class FlexibleServer(_PostgresProvider):
    type = SERVER_TYPE
    durations = Durations(create=270, update=60, delete=60)  # update and delete: estimates
    name_rule = NameRule(3, 63, r"[a-z0-9]+(-[a-z0-9]+)*", "lower-case letters, digits and single hyphens, not "
                         "starting or ending with a hyphen", code="InvalidParameterValue")
    top_level = ("tags", "sku", "identity")
    write_only = ("properties.administratorLoginPassword",)
    op_names = ("UpsertServerManagementOperationV2", "DropServerManagementOperation")

    def handle(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
        """A weak password is accepted; the operation then fails (Azure/reliable-web-app-pattern-java#98)."""
        if req.method not in ("PUT", "PATCH") or ref.action is not None or ref.is_collection:
            return super().handle(arm, req, ref, fault)
        try:
            body = json.loads(req.body or b"{}")
        except ValueError:
            return super().handle(arm, req, ref, fault)
        existing = arm.world.get(ref.key)
        password = prop(body, "properties.administratorLoginPassword") if isinstance(body, dict) else None
        if not isinstance(password, str) or (req.method == "PATCH" and existing is None):
            return super().handle(arm, req, ref, fault)
        login = prop(existing or {}, "body.properties.administratorLogin") or \
            prop(body, "properties.administratorLogin") or ""
        if complex_enough(password, str(login)):
            return super().handle(arm, req, ref, fault)
        failing = Fault(fail=_unexpected(), stall=fault.stall)
        if req.method == "PUT":
            return self.accepted(arm, ref, arm.put(ref, self, body, req.api_version or "", failing))
        assert existing is not None
        merged = merge_patch(copy.deepcopy(arm.world.render(existing)), body)
        return arm.put(ref, self, merged, req.api_version or "", failing, patch=True)

    def validate(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        if same_name_elsewhere(world, SERVER_TYPE, ref) is not None:
            raise conflict("ServerNameAlreadyExists", "Specified server name is already used.")
        props = body["properties"]
        version = str(props.get("version") or (existing or {}).get("body", {}).get("properties", {}).get(
            "version", "16"))
        if version not in MINOR:
            raise bad_request("InvalidParameterValue", f"Invalid value given for parameter 'Version'. Specify a "
                              f"valid parameter value ({', '.join(sorted(MINOR, key=int))}).")
        if existing is None:
            self._validate_create(props)
        self._validate_network(world, props)

    def _validate_create(self, props: Json) -> None:
        if (props.get("authConfig") or {}).get("passwordAuth", "Enabled") != "Enabled":
            return
        for field in ("administratorLogin", "administratorLoginPassword"):
            if not props.get(field):
                name = field[0].upper() + field[1:]
                raise bad_request("MissingRequiredParameter", f"Parameter '{name}' must be specified. This "
                                  "parameter cannot be NULL or empty.")
        login = str(props["administratorLogin"])
        if login.lower() in RESERVED_LOGINS or login.lower().startswith("pg_") or \
                not re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]{0,62}", login):
            raise bad_request("InvalidParameterValue", f"The administrator login '{login}' is reserved or invalid: "
                              "it cannot be azure_superuser, azure_pg_admin, admin, administrator, root, guest or "
                              "public, and cannot start with pg_.")

    def _validate_network(self, world: World, props: Json) -> None:
        network = props.get("network") or {}
        subnet_id = network.get("delegatedSubnetResourceId")
        if not subnet_id:
            return
        subnet = world.get(subnet_id)
        services = [(d.get("properties") or {}).get("serviceName", "").lower()
                    for d in (subnet or {}).get("body", {}).get("properties", {}).get("delegations") or []]
        if subnet is None or SERVER_TYPE.lower() not in services:
            raise bad_request("SubnetNotDelegated", f"The subnet {subnet_id} does not exist or is not delegated to "
                              f"{SERVER_TYPE}.")
        zone = str(network.get("privateDnsZoneArmResourceId") or "")
        if not zone.lower().endswith(".postgres.database.azure.com"):
            raise bad_request("PrivateDnsZoneNameNotValid", f"The private DNS zone '{zone.rsplit('/', 1)[-1]}' is "
                              "not valid: its name must end with .postgres.database.azure.com.")

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body["properties"]
        old = (existing or {}).get("body", {}).get("properties", {})
        props.setdefault("version", old.get("version", "16"))
        props["minorVersion"] = MINOR[str(props["version"])]
        if old.get("administratorLogin"):
            props["administratorLogin"] = old["administratorLogin"]  # create-only
        props["fullyQualifiedDomainName"] = f"{ref.name}.postgres.database.azure.com"
        storage = props.setdefault("storage", {})
        storage.setdefault("storageSizeGB", 32)
        storage.setdefault("autoGrow", "Disabled")
        storage.setdefault("type", "")  # the recording: "" for a server created without a storage type
        tier, iops = _default_tier(int(storage["storageSizeGB"]))
        storage.setdefault("tier", tier)
        storage.setdefault("iops", iops)
        delegated = bool((props.get("network") or {}).get("delegatedSubnetResourceId"))
        network = props.setdefault("network", {})
        network.setdefault("publicNetworkAccess", "Disabled" if delegated else "Enabled")
        props.setdefault("authConfig", {"activeDirectoryAuth": "Disabled", "passwordAuth": "Enabled"})
        props.setdefault("dataEncryption", {"type": "SystemManaged"})
        backup = props.setdefault("backup", {})
        backup.setdefault("backupRetentionDays", 7)
        backup.setdefault("geoRedundantBackup", "Disabled")
        backup["earliestRestoreDate"] = old.get("backup", {}).get("earliestRestoreDate") or iso_now(world)
        ha = props.setdefault("highAvailability", {"mode": "Disabled"})
        ha["state"] = "NotEnabled" if ha.get("mode", "Disabled") == "Disabled" else "Healthy"
        props.setdefault("maintenanceWindow", {"customWindow": "Disabled", "dayOfWeek": 0, "startHour": 0,
                                               "startMinute": 0})
        props.setdefault("replicationRole", "Primary")
        props["replicaCapacity"] = 6  # the recording (2026); was 5 in older answers
        props["replica"] = {"role": props["replicationRole"], "capacity": props["replicaCapacity"]}
        created_at = ((existing or {}).get("body", {}).get("systemData") or {}).get("createdAt") or iso_now(world)
        body["systemData"] = {"createdAt": created_at}
        props.setdefault("availabilityZone", old.get("availabilityZone", "1"))

    def committed(self, world: World, ref: ArmRef, record: Json, existing: Json | None) -> None:
        subnet_id = prop(record, "body.properties.network.delegatedSubnetResourceId")
        if subnet_id and existing is None:  # VNet injection holds the subnet (azurerm#10546)
            world.add_link(subnet_id, {"name": "DBforPostgreSQL-flexibleServers", "holder": record["id"],
                                       "linked_type": SERVER_TYPE})

    def completed(self, world: World, record: Json, op: Json) -> None:
        if op["kind"] == "create":
            seed_parameters(world, record)
            seed_databases(world, record)

    def render(self, world: World, record: Json) -> Json:
        body = super().render(world, record)
        body["properties"]["state"] = STATES.get(record["body"]["properties"].get("provisioningState", ""), "Ready")
        body["properties"]["privateEndpointConnections"] = connections_to(world, record)
        return body

    def deleted(self, world: World, record: Json) -> None:
        world.release_links(record["id"])


class Database(_PostgresProvider):
    type = f"{SERVER_TYPE}/databases"
    op_names = ("UpsertServerDatabaseManagementOperation", "DropServerDatabaseManagementOperation")
    durations = Durations(create=10, delete=10)  # estimates
    location = "none"
    lock_parent = True
    name_rule = NameRule(1, 63, r"[a-zA-Z_][a-zA-Z0-9_$-]*", "letters, digits, '_', '$' and '-', starting with a "
                         "letter or '_'", code="InvalidParameterValue")

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        body["properties"].setdefault("charset", "UTF8")
        body["properties"].setdefault("collation", "en_US.utf8")


class ThreatProtection(_PostgresProvider):
    type = f"{SERVER_TYPE}/advancedThreatProtectionSettings"
    durations = Durations(create=10, update=10)  # estimates
    location = "none"
    lock_parent = True

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        old = (existing or {}).get("body", {}).get("properties", {})
        body["properties"]["creationTime"] = old.get("creationTime") or iso_now(world)


# name: (default, data type, allowed values, description); the parameters our steps and tests touch.
PARAMETERS = {
    "require_secure_transport": ("on", "Boolean", "on,off",
                                 "Sets whether client connections to the server are required to use some form of "
                                 "secure transport."),
    "ssl_min_protocol_version": ("TLSv1.2", "Enumeration", "TLSv1.2,TLSv1.3",
                                 "Sets the minimum SSL/TLS protocol version to use."),
    "log_connections": ("on", "Boolean", "on,off", "Logs each successful connection."),
}
PARAMETER_TYPE = f"{SERVER_TYPE}/configurations"
DATABASE_TYPE = f"{SERVER_TYPE}/databases"
# The databases a new server holds (the recording's list, in its order).
SYSTEM_DATABASES = ("azure_maintenance", "postgres", "azure_sys")
# Premium SSD tiers by disk size in GiB: the defaultIopsTier of each storage size in the recording's capabilities
# document (32 GiB P4 120 IOPS ... 4 TiB P50 7500 IOPS) and the managed-disk table above it.
_TIERS = ((32, "P4", 120), (64, "P6", 240), (128, "P10", 500), (256, "P15", 1100), (512, "P20", 2300),
          (1024, "P30", 5000), (2048, "P40", 7500), (4096, "P50", 7500), (8192, "P60", 16000),
          (16384, "P70", 18000), (32767, "P80", 20000))


def _default_tier(size_gb: int) -> tuple[str, int]:
    for limit, tier, iops in _TIERS:
        if size_gb <= limit:
            return tier, iops
    return _TIERS[-1][1], _TIERS[-1][2]


def _iso_ms(ts: float) -> str:
    """A start time as the recording shows it: "2026-04-16T21:21:56.917Z"."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:23] + "Z"


def seed_databases(world: World, server: Json) -> None:
    """The system databases of a new server."""
    for name in SYSTEM_DATABASES:
        rid = f"{server['id']}/databases/{name}"
        if world.get(rid) is None:
            world.store_record({"id": rid, "type": DATABASE_TYPE, "created": world.now(), "op": None, "internal": {},
                                "body": {"id": rid, "name": name, "type": DATABASE_TYPE, "properties": {
                                    "charset": "UTF8", "collation": "en_US.utf8", "provisioningState": "Succeeded"}}})


def seed_parameters(world: World, server: Json) -> None:
    """The server's parameters at their defaults, as a new server has them."""
    for name, (default, data_type, allowed, description) in PARAMETERS.items():
        rid = f"{server['id']}/configurations/{name}"
        if world.get(rid) is not None:
            continue
        world.store_record({"id": rid, "type": PARAMETER_TYPE, "created": world.now(), "op": None, "internal": {},
                            "body": {"id": rid, "name": name, "type": PARAMETER_TYPE, "properties": {
                                "value": default, "description": description, "defaultValue": default,
                                "dataType": data_type, "allowedValues": allowed, "source": "system-default",
                                "isDynamicConfig": True, "isReadOnly": False, "isConfigPendingRestart": False,
                                "provisioningState": "Succeeded"}}})


class ServerParameter(_PostgresProvider):
    type = PARAMETER_TYPE
    durations = Durations(update=20)  # estimate: a dynamic parameter applies without a restart
    location = "none"
    lock_parent = True  # one write at a time per server (modelled, as for databases)
    top_level = ()

    def handle(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
        if req.method == "DELETE":  # the spec has no DELETE for configurations (modelled answer)
            raise ArmError(405, "MethodNotAllowed", "The requested resource does not support http method 'DELETE'.")
        return None

    def validate(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        if existing is None:  # parameters cannot be created; an unknown name is not found (modelled)
            raise not_found(PARAMETER_TYPE, "/".join(ref.names), ref.resource_group)
        old = existing["body"]["properties"]
        value = body["properties"].get("value")
        if not isinstance(value, str) or value.lower() not in _allowed(old):
            raise bad_request("InvalidParameterValue", f"Invalid value given for parameter '{ref.name}'. Specify "
                              f"a valid parameter value ({old['allowedValues']}).")  # modelled code
        if old.get("isReadOnly"):
            raise bad_request("ReadOnlyConfiguration", f"Parameter '{ref.name}' is read-only.")  # modelled code

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        assert existing is not None
        old = existing["body"]["properties"]
        value = _allowed(old)[str(body["properties"]["value"]).lower()]  # Azure's spelling: "ON" is stored "on"
        body["properties"] = {**old, "value": value, "source": "user-override"}
        body["properties"].pop("provisioningState", None)


def _allowed(parameter: Json) -> dict[str, str]:
    """Lower-cased -> canonical spelling of a parameter's allowed values."""
    return {v.lower(): v for v in str(parameter["allowedValues"]).split(",")}


PROVIDERS: list[Provider] = [FlexibleServer(), Database(), ThreatProtection(), ServerParameter()]
