"""Resource provider registration in a new subscription.

Azure behaviour cited: Learn "Azure resource providers and types" (per-subscription registration; a few providers
registered by default; resources may be created while a provider is 'Registering'); resources.json
(Providers_Get/List/Register, POST register answers 200 with the provider); the 409 body of an unregistered
namespace, on reads too (Azure/msrestazure-for-python#53, microsoft/vscode-apimanagement#457); a Foundry account
with the Agent service injected fails after being accepted when Microsoft.App is not registered
(foundry-samples#853).
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from azure.core.exceptions import HttpResponseError

from tests.conftest import FakeCredential

from .foundry_support import LOCATION, account_body, agent_network, foundry_clients, identity, raw
from .helpers import SUB, vnet_body, wait_until

NEW = {"registered": "new", "time_scale": 0.002}


def _call(emu: Any, method: str, path: str, body: Any = None, api_version: str = "2024-05-01") -> requests.Response:
    return requests.request(method, f"{emu.url}{path}", params={"api-version": api_version}, json=body,
                            headers={"Authorization": "Bearer t"}, verify=str(emu.ca_cert), timeout=10)


def _resources(emu: Any) -> Any:
    from azure.mgmt.resource.resources import ResourceManagementClient

    return ResourceManagementClient(FakeCredential(), SUB, base_url=emu.url, connection_verify=str(emu.ca_cert))


def test_a_new_subscription_has_only_the_default_providers(make_emulator: Any) -> None:
    emu = make_emulator(**NEW)
    assert emu.admin.info()["registered"] == "new"
    providers = _resources(emu).providers
    assert providers.get("Microsoft.Resources").registration_state == "Registered"
    assert providers.get("Microsoft.Authorization").registration_state == "Registered"
    for namespace in ("Microsoft.Network", "Microsoft.App", "Microsoft.ContainerService", "Microsoft.KeyVault"):
        assert providers.get(namespace).registration_state == "NotRegistered", namespace
    listed = {p.namespace: p.registration_state for p in providers.list()}
    assert listed["Microsoft.CognitiveServices"] == "NotRegistered"
    network = providers.get("Microsoft.Network")
    assert "virtualNetworks" in {t.resource_type for t in network.resource_types}


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_any_request_to_an_unregistered_namespace_is_refused(make_emulator: Any, method: str) -> None:
    emu = make_emulator(**NEW)
    assert _call(emu, "PUT", f"/subscriptions/{SUB}/resourcegroups/rg", {"location": "eastus"},
                 "2024-03-01").status_code == 201  # Microsoft.Resources is registered by default
    path = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet"
    answer = _call(emu, method, path, vnet_body() if method == "PUT" else None)
    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "MissingSubscriptionRegistration"
    assert "'Microsoft.Network'" in error["message"]
    assert error["details"][0]["target"] == "Microsoft.Network"
    assert not [r for r in emu.admin.resources() if "virtualNetworks" in r["id"]]


def test_register_answers_registering_and_the_namespace_is_usable_at_once(make_emulator: Any) -> None:
    emu = make_emulator(**NEW)
    providers = _resources(emu).providers
    registering = providers.register("Microsoft.Network")
    assert registering.registration_state == "Registering"
    _call(emu, "PUT", f"/subscriptions/{SUB}/resourcegroups/rg", {"location": "eastus"}, "2024-03-01")
    path = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet"
    assert _call(emu, "PUT", path, vnet_body()).status_code == 201  # Learn: do not wait for 'Registered'
    wait_until(lambda: providers.get("Microsoft.Network").registration_state == "Registered", timeout=5)
    assert providers.register("Microsoft.Network").registration_state == "Registered"  # idempotent


def test_unregister_is_refused_while_resources_of_the_namespace_exist(make_emulator: Any) -> None:
    emu = make_emulator(**NEW)
    providers = _resources(emu).providers
    providers.register("Microsoft.Network")
    _call(emu, "PUT", f"/subscriptions/{SUB}/resourcegroups/rg", {"location": "eastus"}, "2024-03-01")
    path = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet"
    _call(emu, "PUT", path, vnet_body())
    with pytest.raises(HttpResponseError) as err:
        providers.unregister("Microsoft.Network")
    assert err.value.status_code == 409
    assert providers.unregister("Microsoft.KeyVault").registration_state == "NotRegistered"


def test_an_agent_injected_account_fails_late_without_microsoft_app(make_emulator: Any) -> None:
    emu = make_emulator(**NEW)
    providers = _resources(emu).providers
    for namespace in ("Microsoft.Network", "Microsoft.CognitiveServices", "Microsoft.ContainerService",
                      "Microsoft.ManagedIdentity"):
        providers.register(namespace)
    sdk = {"base_url": emu.url, "connection_verify": str(emu.ca_cert), "polling_interval": 0.01}
    c = foundry_clients(sdk, FakeCredential())
    c["rm"].resource_groups.create_or_update("rg", {"location": LOCATION})
    subnet = agent_network(c, "rg")
    ident = identity(c, "rg")
    poller = c["cs"].accounts.begin_create("rg", "ai-foundry-x", raw(account_body(ident.id, "ai-foundry-x",
                                                                                  subnet_id=subnet)))
    with pytest.raises(HttpResponseError) as err:  # accepted, then failed
        poller.result()
    assert "Microsoft.App" in str(err.value)
    providers.register("Microsoft.App")
    assert c["cs"].accounts.get("rg", "ai-foundry-x").properties.provisioning_state == "Failed"
