"""PostgreSQL flexible servers, databases and threat protection through azure-mgmt-postgresqlflexibleservers.

Azure behaviour cited: openapi.json (PostgreSQL 2025-08-01: PUT/DELETE 202 with Azure-AsyncOperation and
Location, `state` instead of provisioningState, versions 11-18); MissingRequiredParameter for a missing admin
password (MicrosoftLearning/mslearn-azure-ai#230); a weak password fails the operation with an opaque
InternalServerError (Azure/reliable-web-app-pattern-java#98); PrivateDnsZoneNameNotValid
(hashicorp/terraform-provider-azurerm#24549); a delegated subnet is held by the server (azurerm#10546).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from tests.emulator.helpers import SUB, log_for, rid, vnet_body

SERVER = {"location": "eastus", "sku": {"name": "Standard_B1ms", "tier": "Burstable"},
          "properties": {"version": "16", "administratorLogin": "myPgAdmin",
                         "administratorLoginPassword": "Str0ng-Passw0rd!", "storage": {"storageSizeGB": 32},
                         "network": {"publicNetworkAccess": "Disabled"}}}


def _server(**props: Any) -> dict[str, Any]:
    body = copy.deepcopy(SERVER)
    body["properties"].update(props)
    return body


@pytest.fixture
def pg(sdk: dict[str, Any], credential: Any, rg: str) -> Any:
    from azure.mgmt.postgresqlflexibleservers import PostgreSQLManagementClient

    return PostgreSQLManagementClient(credential, SUB, **sdk)


def test_server_create_get_database_threat_protection_delete(pg: Any, rg: str, admin: Any) -> None:
    server = pg.servers.begin_create_or_update(rg, "pg-litellm", _server()).result()
    assert server.state == "Ready" and server.version == "16"
    assert server.fully_qualified_domain_name == "pg-litellm.postgres.database.azure.com"
    assert server.administrator_login_password is None  # write-only
    assert [e["status"] for e in log_for(admin, "PUT", "/flexibleServers/pg-litellm")] == [202]
    database = pg.databases.begin_create(rg, "pg-litellm", "litellmdb",
                                         {"properties": {"charset": "UTF8", "collation": "en_US.utf8"}}).result()
    assert database.id == rid(rg, "Microsoft.DBforPostgreSQL/flexibleServers/pg-litellm/databases/litellmdb")
    setting = pg.server_threat_protection_settings.begin_create_or_update(
        rg, "pg-litellm", "Default", {"properties": {"state": "Enabled"}}).result()
    assert setting.state == "Enabled" and setting.creation_time is not None
    pg.servers.begin_delete(rg, "pg-litellm").result()
    with pytest.raises(ResourceNotFoundError):
        pg.databases.get(rg, "pg-litellm", "litellmdb")  # gone with the server
    shown = json.dumps(admin.resources())
    assert "Str0ng-Passw0rd!" not in shown


def test_missing_password_is_refused_at_once(pg: Any, rg: str) -> None:
    body = _server()
    del body["properties"]["administratorLoginPassword"]
    with pytest.raises(HttpResponseError) as err:
        pg.servers.begin_create_or_update(rg, "pg-litellm", body)
    assert err.value.status_code == 400 and err.value.error.code == "MissingRequiredParameter"


@pytest.mark.parametrize("password", ["short1!", "alllowercase1", "NoDigitsOrSymbols", "myPgAdmin-123"])
def test_weak_password_fails_the_operation(pg: Any, rg: str, password: str) -> None:
    poller = pg.servers.begin_create_or_update(rg, "pg-litellm", _server(administratorLoginPassword=password))
    with pytest.raises(HttpResponseError) as err:  # accepted, then the operation fails
        poller.result()
    assert err.value.error.code == "InternalServerError"


def test_version_and_name_rules(pg: Any, rg: str, c: dict[str, Any]) -> None:
    with pytest.raises(HttpResponseError) as err:
        pg.servers.begin_create_or_update(rg, "pg-litellm", _server(version="10"))
    assert err.value.status_code == 400
    with pytest.raises(HttpResponseError) as err:
        pg.servers.begin_create_or_update(rg, "PG_Litellm", _server())
    assert err.value.status_code == 400
    pg.servers.begin_create_or_update(rg, "pg-litellm", _server()).result()
    c["rm"].resource_groups.create_or_update("rg2", {"location": "eastus"})
    with pytest.raises(HttpResponseError) as err:  # server names are global (FQDNs)
        pg.servers.begin_create_or_update("rg2", "pg-litellm", _server())
    assert err.value.status_code == 409 and "already used" in err.value.error.message


def test_vnet_injection_needs_a_delegated_subnet_and_a_postgres_zone(pg: Any, rg: str, c: dict[str, Any]) -> None:
    net = c["net"]
    net.virtual_networks.begin_create_or_update(rg, "v1", vnet_body(subnets={"db": "10.0.2.0/24"})).result()
    subnet = rid(rg, "Microsoft.Network/virtualNetworks/v1/subnets/db")
    zone = rid(rg, "Microsoft.Network/privateDnsZones/litellm.postgres.database.azure.com")
    network = {"delegatedSubnetResourceId": subnet, "privateDnsZoneArmResourceId": zone}
    with pytest.raises(HttpResponseError) as err:  # not delegated yet
        pg.servers.begin_create_or_update(rg, "pg-litellm", _server(network=network))
    assert err.value.status_code == 400
    net.subnets.begin_create_or_update(rg, "v1", "db", {"properties": {"addressPrefix": "10.0.2.0/24", "delegations": [
        {"name": "pg", "properties": {"serviceName": "Microsoft.DBforPostgreSQL/flexibleServers"}}]}}).result()
    bad_zone = dict(network, privateDnsZoneArmResourceId=rid(rg, "Microsoft.Network/privateDnsZones/pg.example"))
    with pytest.raises(HttpResponseError) as err:
        pg.servers.begin_create_or_update(rg, "pg-litellm", _server(network=bad_zone))
    assert err.value.error.code == "PrivateDnsZoneNameNotValid"
    pg.servers.begin_create_or_update(rg, "pg-litellm", _server(network=network)).result()
    with pytest.raises(HttpResponseError) as err:  # the server holds its subnet
        net.subnets.begin_delete(rg, "v1", "db").result()
    assert err.value.error.code == "InUseSubnetCannotBeDeleted"
    pg.servers.begin_delete(rg, "pg-litellm").result()
    net.subnets.begin_delete(rg, "v1", "db").result()


# Server parameters: openapi.json 2025-08-01 (GET/PUT/PATCH only); defaults from Learn "Server parameters in
# Azure Database for PostgreSQL" (require_secure_transport on: CIS Azure Foundations 5.2.1 audits it).
def test_server_parameters_exist_with_the_server_at_their_defaults(pg: Any, rg: str) -> None:
    pg.servers.begin_create_or_update(rg, "pg-litellm", _server()).result()
    tls = pg.configurations.get(rg, "pg-litellm", "require_secure_transport")
    assert (tls.value, tls.default_value, tls.source) == ("on", "on", "system-default")
    assert pg.configurations.get(rg, "pg-litellm", "ssl_min_protocol_version").value == "TLSv1.2"
    names = {c.name for c in pg.configurations.list_by_server(rg, "pg-litellm")}
    assert {"require_secure_transport", "ssl_min_protocol_version"} <= names


def test_server_parameter_update_is_long_running_and_checked(pg: Any, rg: str, admin: Any) -> None:
    pg.servers.begin_create_or_update(rg, "pg-litellm", _server()).result()
    poller = pg.configurations.begin_put(rg, "pg-litellm", "ssl_min_protocol_version",
                                         {"properties": {"value": "TLSv1.3", "source": "user-override"}})
    changed = poller.result()
    assert (changed.value, changed.source, changed.default_value) == ("TLSv1.3", "user-override", "TLSv1.2")
    assert [e["status"] for e in log_for(admin, "PUT", "/configurations/ssl_min_protocol_version")] == [202]
    with pytest.raises(HttpResponseError) as err:
        pg.configurations.begin_put(rg, "pg-litellm", "require_secure_transport", {"properties": {"value": "maybe"}})
    assert err.value.status_code == 400
    with pytest.raises(ResourceNotFoundError):  # parameters are never created
        pg.configurations.begin_put(rg, "pg-litellm", "no_such_parameter", {"properties": {"value": "on"}})


def test_server_parameters_go_with_the_server(pg: Any, rg: str) -> None:
    pg.servers.begin_create_or_update(rg, "pg-litellm", _server()).result()
    pg.servers.begin_delete(rg, "pg-litellm").result()
    with pytest.raises(ResourceNotFoundError):
        pg.configurations.get(rg, "pg-litellm", "require_secure_transport")
