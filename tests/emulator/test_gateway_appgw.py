"""Application Gateway v2 through azure-mgmt-network: validation, held resources, backend health, Key Vault.

Azure behaviour cited: InvalidResourceReference (Azure/azure-cli#2135), ApplicationGatewaySubnetCannotHaveOther-
Resources, ApplicationGatewayInvalidPublicIpSku (Azure/azure-cli#12059), rule priorities
(aztfm/terraform-azurerm-application-gateway#10), Https listeners (mspnp/template-building-blocks#395), WAF_v2
(hashicorp/terraform-provider-azurerm PR #19304), backend health messages (Learn
"application-gateway-backend-health-troubleshooting"), Host header 404 from Container Apps
(microsoft/azure-container-apps#1240), the late Key Vault failure (hashicorp/terraform-provider-azurerm#12910).
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from tests.emulator import gateway_support as gw
from tests.emulator.helpers import wait_until


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, Any]]]:
    with gw.shared_world(tmp_path_factory.mktemp("agw")) as world:
        yield world


@pytest.fixture
def cl(shared: tuple[Any, dict[str, Any]]) -> dict[str, Any]:
    return shared[1]


@pytest.fixture
def pip(cl: dict[str, Any], request: pytest.FixtureRequest) -> str:
    """A Standard public IP of the test's own (one per gateway, as Azure allows)."""
    return gw.public_ip(cl, "ip-" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:12])


def _code(exc: pytest.ExceptionInfo[HttpResponseError]) -> str:
    return str(exc.value.error.code) if exc.value.error else ""


def _litellm(cl: dict[str, Any]) -> tuple[Any, Any]:
    """An internal environment on "aca" with the LiteLLM app."""
    env = gw.environment(cl, "env-internal")
    app = cl["aca"].container_apps.begin_create_or_update(gw.RG, "litellm", gw.app_body(env.id)).result()
    return env, app


def _private_zone(cl: dict[str, Any], env: Any) -> None:
    """The internal-environment pattern: a zone for the default domain, linked to the VNet, * -> static IP."""
    zone = env.default_domain
    cl["dns"].private_zones.begin_create_or_update(gw.RG, zone, {"location": "global"}).result()
    cl["dns"].virtual_network_links.begin_create_or_update(gw.RG, zone, "vnet", {"location": "global", "properties": {
        "virtualNetwork": {"id": gw.rid(gw.RG, "Microsoft.Network/virtualNetworks/vnet")},
        "registrationEnabled": False}}).result()
    cl["dns"].record_sets.create_or_update(gw.RG, zone, "A", "*", {"properties": {
        "ttl": 300, "aRecords": [{"ipv4Address": env.static_ip}]}})


def _health(cl: dict[str, Any], gateway: str) -> dict[str, tuple[str, str]]:
    """(health, probe log) per backend settings name, or per "pool/settings" for the pools but the first."""
    result = cl["net"].application_gateways.begin_backend_health(gw.RG, gateway).result()
    found = {}
    for i, pool in enumerate(result.backend_address_pools):
        prefix = "" if i == 0 else pool.backend_address_pool.id.rsplit("/", 1)[-1] + "/"
        for entry in pool.backend_http_settings_collection:
            server = entry.servers[0]
            found[prefix + entry.backend_http_settings.id.rsplit("/", 1)[-1]] = (server.health,
                                                                                server.health_probe_log or "")
    return found


def test_backend_health_follows_dns_host_and_path(cl: dict[str, Any], pip: str) -> None:
    env, app = _litellm(cl)
    fqdn = app.configuration.ingress.fqdn
    https = {"port": 443, "protocol": "Https", "pickHostNameFromBackendAddress": True, "requestTimeout": 30}
    settings = {"good": https | {"probe": gw.sub("probes", "live", "agw-health")},
                "authed": https | {"probe": gw.sub("probes", "auth", "agw-health")},
                "default": https,
                "wronghost": {"port": 80, "protocol": "Http", "hostName": "example.com"}}
    body = gw.gateway_body(pip, {"litellm": fqdn, "ghost": f"ghost.{env.default_domain}"}, settings=settings,
                           probes={"live": gw.probe(), "auth": gw.probe("/health")},
                           rules=[("litellm", "good", "r1"), ("litellm", "authed", "r2"), ("litellm", "default", "r3"),
                                  ("litellm", "wronghost", "r4"), ("ghost", "good", "r5")], name="agw-health")
    agw = cl["net"].application_gateways.begin_create_or_update(gw.RG, "agw-health", body).result()
    assert (agw.provisioning_state, agw.operational_state) == ("Succeeded", "Running")

    # The internal environment's names exist only in a private zone: nothing resolves yet.
    health = _health(cl, "agw-health")
    assert health["good"][0] == "Down"
    assert "could not create a probe for this backend" in health["good"][1]

    _private_zone(cl, env)
    health = _health(cl, "agw-health")
    assert health["good"] == ("Up", "Success. Received 200 status code")
    assert health["authed"][0] == "Down" and "Received:401" in health["authed"][1]  # /health needs a key
    assert health["default"] == ("Up", "Success. Received 200 status code")  # "/" serves LiteLLM's Swagger UI
    assert health["wronghost"][0] == "Down" and "Received:404" in health["wronghost"][1]
    # A name in the environment's domain that no app serves: ACA answers 404 (azure-container-apps#1240).
    assert health["ghost/good"][0] == "Down" and "Received:404" in health["ghost/good"][1]


def test_backend_health_through_a_private_endpoint(cl: dict[str, Any], pip: str) -> None:
    customer_id, key = gw.workspace(cl)
    body = gw.environment_body(customer_id, key, internal=False)
    body["properties"]["publicNetworkAccess"] = "Disabled"
    body["properties"]["vnetConfiguration"]["infrastructureSubnetId"] = gw.subnet_id("aca2")
    env = cl["aca"].managed_environments.begin_create_or_update(gw.RG, "env-private", body).result()
    app = cl["aca"].container_apps.begin_create_or_update(gw.RG, "litellm-pe", gw.app_body(env.id)).result()
    settings = {"https": {"port": 443, "protocol": "Https", "pickHostNameFromBackendAddress": True,
                          "probe": gw.sub("probes", "live", "agw-pe")}}
    cl["net"].application_gateways.begin_create_or_update(gw.RG, "agw-pe", gw.gateway_body(
        pip, {"litellm": app.configuration.ingress.fqdn}, settings=settings, probes={"live": gw.probe()},
        name="agw-pe")).result()
    # Public network access is disabled: over the public address the environment answers 403.
    health = _health(cl, "agw-pe")["https"]
    assert health[0] == "Down" and "Received:403" in health[1]

    zone = f"privatelink.{gw.LOCATION}.azurecontainerapps.io"
    cl["dns"].private_zones.begin_create_or_update(gw.RG, zone, {"location": "global"}).result()
    cl["dns"].virtual_network_links.begin_create_or_update(gw.RG, zone, "vnet", {"location": "global", "properties": {
        "virtualNetwork": {"id": gw.rid(gw.RG, "Microsoft.Network/virtualNetworks/vnet")},
        "registrationEnabled": False}}).result()
    cl["net"].private_endpoints.begin_create_or_update(gw.RG, "pe-aca", {"location": gw.LOCATION, "properties": {
        "subnet": {"id": gw.subnet_id("pe")},
        "privateLinkServiceConnections": [{"name": "aca", "properties": {
            "privateLinkServiceId": env.id, "groupIds": ["managedEnvironments"]}}]}}).result()
    cl["net"].private_dns_zone_groups.begin_create_or_update(gw.RG, "pe-aca", "default", {"properties": {
        "privateDnsZoneConfigs": [{"name": "aca", "properties": {
            "privateDnsZoneId": gw.rid(gw.RG, f"Microsoft.Network/privateDnsZones/{zone}")}}]}}).result()
    assert _health(cl, "agw-pe")["https"] == ("Up", "Success. Received 200 status code")


@pytest.mark.parametrize(("edit", "code"), [
    (lambda b: b["properties"]["requestRoutingRules"][0]["properties"].pop("priority"),
     "ApplicationGatewayRequestRoutingRulePriorityCannotBeEmpty"),
    (lambda b: b["properties"]["httpListeners"][0]["properties"].update(frontendPort=gw.sub("frontendPorts", "nope")),
     "InvalidResourceReference"),
    (lambda b: b["properties"]["httpListeners"][0]["properties"].update(protocol="Https"),
     "ApplicationGatewayHttpsListenerMustReferenceSslCert"),
    (lambda b: b["properties"].update(sku={"name": "WAF_v2", "tier": "WAF_v2", "capacity": 1}),
     "ApplicationGatewayFirewallNotConfiguredForSelectedSku"),
    (lambda b: b["properties"]["backendHttpSettingsCollection"][0]["properties"].update(requestTimeout=0),
     "ApplicationGatewayBackendHttpSettingsRequestTimeoutIsInvalid"),
    (lambda b: b["properties"]["probes"][0]["properties"].update(unhealthyThreshold=21),
     "ApplicationGatewayProbeUnhealthyThresholdIsInvalid"),
    (lambda b: b["properties"]["gatewayIPConfigurations"][0]["properties"].update(
        subnet={"id": gw.subnet_id("missing")}), "InvalidResourceReference"),
])
def test_gateway_validation(cl: dict[str, Any], pip: str, edit: Any, code: str) -> None:
    body = gw.gateway_body(pip, {"pool": "app.example.com"}, probes={"p": gw.probe()})
    body["properties"]["backendHttpSettingsCollection"][0]["properties"]["probe"] = gw.sub("probes", "p")
    edit(body)
    with pytest.raises(HttpResponseError) as exc:
        cl["net"].application_gateways.begin_create_or_update(gw.RG, "agw", body).result()
    assert _code(exc) == code


def test_gateway_needs_a_dedicated_subnet_and_a_standard_ip(cl: dict[str, Any], pip: str) -> None:
    # A consumption-only environment's infrastructure occupies the "plain" subnet.
    gw.environment(cl, "env-v1", subnet="plain", internal=False, workload_profiles=False)
    gateways = cl["net"].application_gateways
    with pytest.raises(HttpResponseError) as exc:
        gateways.begin_create_or_update(gw.RG, "agw", gw.gateway_body(pip, {"p": "a.example.com"},
                                                                     subnet="plain")).result()
    assert _code(exc) == "ApplicationGatewaySubnetCannotHaveOtherResources"
    basic = gw.public_ip(cl, "basic-ip", sku="Basic")
    with pytest.raises(HttpResponseError) as exc:
        gateways.begin_create_or_update(gw.RG, "agw", gw.gateway_body(basic, {"p": "a.example.com"})).result()
    assert _code(exc) == "ApplicationGatewayInvalidPublicIpSku"


def test_gateway_subnet_nsg_must_admit_the_gateway_manager(cl: dict[str, Any], pip: str) -> None:
    # reference-inventory §1.2 R08: GatewayManager -> * TCP 65200-65535 is what lets a v2 gateway in.
    manager = {"name": "AllowGatewayManagerInbound", "properties": {
        "priority": 100, "direction": "Inbound", "access": "Allow", "protocol": "Tcp", "sourcePortRange": "*",
        "sourceAddressPrefix": "GatewayManager", "destinationPortRange": "65200-65535",
        "destinationAddressPrefix": "*"}}
    for name, rules, prefix in (("nsg-closed", [], "10.0.11.0/24"), ("nsg-appgw", [manager], "10.0.12.0/24")):
        cl["net"].network_security_groups.begin_create_or_update(gw.RG, name, {
            "location": gw.LOCATION, "properties": {"securityRules": rules}}).result()
        cl["net"].subnets.begin_create_or_update(gw.RG, "vnet", name, {"properties": {
            "addressPrefix": prefix,
            "networkSecurityGroup": {"id": gw.rid(gw.RG, f"Microsoft.Network/networkSecurityGroups/{name}")}}}).result()
    gateways = cl["net"].application_gateways
    with pytest.raises(HttpResponseError) as exc:
        gateways.begin_create_or_update(gw.RG, "agw-nsg", gw.gateway_body(
            pip, {"p": "a.example.com"}, subnet="nsg-closed", name="agw-nsg")).result()
    assert _code(exc) == "ApplicationGatewaySubnetInboundTrafficBlockedByNetworkSecurityGroup"
    accepted = gateways.begin_create_or_update(gw.RG, "agw-nsg", gw.gateway_body(
        pip, {"p": "a.example.com"}, subnet="nsg-appgw", name="agw-nsg"), polling=False)
    assert accepted.result().provisioning_state == "Updating"  # accepted; the Network RP says Updating


def test_gateway_holds_its_subnet_and_public_ip(shared: tuple[Any, dict[str, Any]], cl: dict[str, Any],
                                                pip: str) -> None:
    cl["net"].application_gateways.begin_create_or_update(
        gw.RG, "agw-solo", gw.gateway_body(pip, {"p": "a.example.com"}, subnet="agw-solo")).result()
    with pytest.raises(HttpResponseError) as exc:
        cl["net"].subnets.begin_delete(gw.RG, "vnet", "agw-solo").result()
    assert _code(exc) == "InUseSubnetCannotBeDeleted"
    with pytest.raises(HttpResponseError) as exc:
        cl["net"].public_ip_addresses.begin_delete(gw.RG, pip.rsplit("/", 1)[-1]).result()
    assert _code(exc) == "PublicIPAddressCannotBeDeleted"
    cl["net"].application_gateways.begin_delete(gw.RG, "agw-solo").result()
    cl["net"].public_ip_addresses.begin_delete(gw.RG, pip.rsplit("/", 1)[-1]).result()
    cl["net"].subnets.begin_delete(gw.RG, "vnet", "agw-solo").result()
    # ~7.5 min to create (peers §4); deleting: Deleting at 90 s, gone at 120 s (recording
    # network/test_network_app_gateway_no_wait.yaml).
    kind = "Microsoft.Network/applicationGateways"
    assert 450.0 in gw.nominal_seconds(shared[0], kind, "create")
    assert gw.nominal_seconds(shared[0], kind, "delete") == [105.0]


def test_gateway_tags_patch_is_synchronous(cl: dict[str, Any], pip: str) -> None:
    gateways = cl["net"].application_gateways
    body = gw.gateway_body(pip, {"p": "a.example.com"}, name="agw-tags")
    gateways.begin_create_or_update(gw.RG, "agw-tags", body).result()
    assert gateways.update_tags(gw.RG, "agw-tags", {"tags": {"env": "dev"}}).tags == {"env": "dev"}


def test_key_vault_certificate_without_access_fails_late(make_emulator: Any, credential: Any) -> None:
    emu = make_emulator(time_scale=0.0005)
    cl = gw.all_clients(gw.sdk_kwargs(emu), credential)
    gw.network(cl)
    uami = gw.identity(cl, "agw-id")
    url = gw.vault(cl, "kv-agwcert1", "cert")
    body = gw.gateway_body(gw.public_ip(cl), {"p": "a.example.com"})
    body["identity"] = {"type": "UserAssigned", "userAssignedIdentities": {uami.id: {}}}
    body["properties"]["sslCertificates"] = [{"name": "cert", "properties": {"keyVaultSecretId": url}}]
    with pytest.raises(HttpResponseError) as exc:
        cl["net"].application_gateways.begin_create_or_update(gw.RG, "agw", body).result()
    assert "ApplicationGatewayKeyVaultSecretException" in str(exc.value)
    assert "Access denied for KeyVault Secret" in str(exc.value)
    op = next(o for o in emu.admin.operations() if o["type"] == "Microsoft.Network/applicationGateways")
    assert (op["due"] - op["start"]) / 0.0005 == pytest.approx(27 * 60)  # 25-30 min late (azurerm#12910)
    assert cl["net"].application_gateways.get(gw.RG, "agw").provisioning_state == "Failed"

    # With the role granted (and propagated) the same write succeeds.
    vault_id = gw.rid(gw.RG, "Microsoft.KeyVault/vaults/kv-agwcert1")
    gw.grant_secrets_user(cl, vault_id, uami.principal_id, "1b2e3c4d-0000-4000-8000-000000000002")
    retry = copy.deepcopy(body)
    agw = wait_until(lambda: cl["net"].application_gateways.begin_create_or_update(gw.RG, "agw", retry).result(), 10)
    assert agw.provisioning_state == "Succeeded"


def test_the_late_key_vault_failure_comes_when_the_rp_gives_up_whatever_the_tail(make_emulator: Any,
                                                                                 credential: Any) -> None:
    """The write fails after the RP's 25-30 min of retries (azurerm#12910): a drawn App Gateway tail, which
    lengthens writes that succeed (tails.py), does not move it."""
    emu = make_emulator(time_scale=0.0005, tails={"app_gateway": "30m"})
    cl = gw.all_clients(gw.sdk_kwargs(emu), credential)
    gw.network(cl)
    uami = gw.identity(cl, "agw-id")
    body = gw.gateway_body(gw.public_ip(cl), {"p": "a.example.com"})
    body["identity"] = {"type": "UserAssigned", "userAssignedIdentities": {uami.id: {}}}
    body["properties"]["sslCertificates"] = [
        {"name": "cert", "properties": {"keyVaultSecretId": gw.vault(cl, "kv-agwtail1", "cert")}}]
    with pytest.raises(HttpResponseError) as exc:
        cl["net"].application_gateways.begin_create_or_update(gw.RG, "agw", body).result()
    assert "ApplicationGatewayKeyVaultSecretException" in str(exc.value)
    op = next(o for o in emu.admin.operations() if o["type"] == "Microsoft.Network/applicationGateways")
    assert (op["due"] - op["start"]) / 0.0005 == pytest.approx(27 * 60)
