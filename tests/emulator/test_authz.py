"""The caller's rights (authz.py), through the real SDK clients: role assignments at scopes, the action and scope
each request needs, ARM's 403 AuthorizationFailed body and Permissions_ListForResourceGroup.

Azure behaviour cited: Learn "Azure built-in roles" (Owner, Contributor, Reader, User Access Administrator, Role
Based Access Control Administrator); Learn "Azure resource provider operations" (action names); an ``az group
delete`` transcript for the message ("The client '...' with object id '...' does not have authorization to perform
action 'Microsoft.Resources/subscriptions/resourcegroups/delete' over scope '/subscriptions/<sub>/resourcegroups/
<group>' or the scope is invalid. If access was recently granted, please refresh your credentials.").
"""

from __future__ import annotations

import base64
import io
import json
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from foundry_litellm.emulator import AdminClient
from tests.emulator.helpers import SUB, clients, rid, vnet_body

SUB_SCOPE = f"/subscriptions/{SUB}"
MESSAGE = re.compile(r"The client '([0-9a-f-]{36})' with object id '\1' does not have authorization to perform "
                     r"action '([^']+)' over scope '([^']+)' or the scope is invalid\. If access was recently "
                     r"granted, please refresh your credentials\.")
READER_ROLE = f"{SUB_SCOPE}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"


def refused(call: Callable[[], Any]) -> tuple[str, str]:
    """Run ``call``; it must fail with ARM's 403 AuthorizationFailed. Returns (action, scope) of the message."""
    with pytest.raises(HttpResponseError) as err:
        call()
    assert err.value.status_code == 403
    assert err.value.error is not None and err.value.error.code == "AuthorizationFailed"
    match = MESSAGE.fullmatch(err.value.error.message or "")
    assert match is not None, err.value.error.message
    return match.group(2), match.group(3)


def lower(pair: tuple[str, str]) -> tuple[str, str]:
    return pair[0].lower(), pair[1].lower()


@pytest.fixture
def auth(sdk: dict[str, Any], credential: Any) -> Any:
    from azure.mgmt.authorization import AuthorizationManagementClient

    return AuthorizationManagementClient(credential, SUB, **sdk)


@pytest.fixture
def kv(sdk: dict[str, Any], credential: Any) -> Any:
    from azure.mgmt.keyvault import KeyVaultManagementClient

    return KeyVaultManagementClient(credential, SUB, **sdk)


@pytest.fixture
def cs(sdk: dict[str, Any], credential: Any) -> Any:
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

    return CognitiveServicesManagementClient(credential, SUB, **sdk)


@pytest.fixture
def two_groups(c: dict[str, Any]) -> None:
    for group in ("rg1", "rg2"):
        c["rm"].resource_groups.create_or_update(group, {"location": "eastus"})


def _assignment(principal: str, role: str = READER_ROLE) -> io.BytesIO:
    return io.BytesIO(json.dumps({"properties": {"roleDefinitionId": role, "principalId": principal,
                                                 "principalType": "ServicePrincipal"}}).encode())


def _replicated_principal(c: dict[str, Any], emulator: Any) -> str:
    """A managed identity that Entra has long known (role assignments refuse a brand-new one)."""
    identity = c["msi"].user_assigned_identities.create_or_update("rg1", "app-identity", {"location": "eastus"})
    app = emulator._server.app
    with app.store.lock:
        app.world.data["principals"][identity.principal_id] = app.world.now() - app.world.scaled(3600)
        app.store.save()
    return str(identity.principal_id)


def test_the_default_caller_is_owner_everywhere(c: dict[str, Any], admin: AdminClient, auth: Any,
                                                 kv: Any) -> None:
    assert admin.caller()["roles"] == [{"role": "Owner", "scope": "/"}]
    assert admin.info()["caller"]["roles"] == [{"role": "Owner", "scope": "/"}]
    c["rm"].providers.register("Microsoft.Network")
    assert c["rm"].providers.get("Microsoft.Network").namespace == "Microsoft.Network"
    c["rm"].resource_groups.create_or_update("rg1", {"location": "eastus"})
    c["net"].virtual_networks.begin_create_or_update("rg1", "v1", vnet_body()).result()
    assert list(kv.vaults.list_deleted()) == []
    (permission,) = auth.permissions.list_for_resource_group("rg1")
    assert permission.actions == ["*"] and permission.not_actions == []


def test_owner_of_a_group_works_inside_it(c: dict[str, Any], admin: AdminClient, two_groups: None) -> None:
    admin.set_caller_roles([f"Owner@{rid('rg1')}"])
    c["net"].virtual_networks.begin_create_or_update("rg1", "v1", vnet_body()).result()
    assert c["net"].virtual_networks.get("rg1", "v1").name == "v1"
    assert c["rm"].resource_groups.get("rg1").name == "rg1"
    c["rm"].resource_groups.update("rg1", {"tags": {"team": "ai"}})  # an existing group: its own scope
    c["rm"].resource_groups.create_or_update("rg1", {"location": "eastus", "tags": {"team": "ml"}})
    assert [g.name for g in c["rm"].resource_groups.list()] == ["rg1"]  # ARM lists the groups one may read
    c["net"].virtual_networks.begin_delete("rg1", "v1").result()


def test_owner_of_a_group_is_refused_subscription_operations(c: dict[str, Any], admin: AdminClient, kv: Any,
                                                             cs: Any, two_groups: None) -> None:
    admin.set_caller_roles([{"role": "Owner", "scope": rid("rg1")}])
    rm = c["rm"]
    provider_read = ("microsoft.resources/subscriptions/providers/read", SUB_SCOPE.lower())
    assert lower(refused(lambda: list(rm.providers.list()))) == provider_read
    assert lower(refused(lambda: rm.providers.get("Microsoft.Network"))) == provider_read
    assert refused(lambda: rm.providers.register("Microsoft.Network")) == ("Microsoft.Network/register/action",
                                                                           SUB_SCOPE)
    vault = f"{SUB_SCOPE}/providers/Microsoft.KeyVault/locations/eastus/deletedVaults/kv-one"
    assert lower(refused(lambda: kv.vaults.get_deleted("kv-one", "eastus"))) == (
        "microsoft.keyvault/locations/deletedvaults/read", vault.lower())
    assert lower(refused(lambda: kv.vaults.begin_purge_deleted("kv-one", "eastus"))) == (
        "microsoft.keyvault/locations/deletedvaults/purge/action", vault.lower())
    # A deleted account's path names its group, but its scope is the subscription's provider path.
    account = f"{SUB_SCOPE}/providers/Microsoft.CognitiveServices/locations/eastus/resourceGroups/rg1/" \
              "deletedAccounts/ai-one"
    assert lower(refused(lambda: cs.deleted_accounts.get("eastus", "rg1", "ai-one"))) == (
        "microsoft.cognitiveservices/locations/resourcegroups/deletedaccounts/read", account.lower())
    assert lower(refused(lambda: cs.deleted_accounts.begin_purge("eastus", "rg1", "ai-one"))) == (
        "microsoft.cognitiveservices/locations/resourcegroups/deletedaccounts/delete", account.lower())


def test_creating_a_group_needs_the_subscription(c: dict[str, Any], admin: AdminClient) -> None:
    # Even a role at the very scope the new group will have: the group does not exist yet.
    admin.set_caller_roles([f"Owner@{rid('rg-new')}"])
    action, scope = refused(lambda: c["rm"].resource_groups.create_or_update("rg-new", {"location": "eastus"}))
    assert action.lower() == "microsoft.resources/subscriptions/resourcegroups/write"
    assert scope.lower() == rid("rg-new").lower()
    admin.set_caller_roles([f"Contributor@{SUB_SCOPE}"])
    c["rm"].resource_groups.create_or_update("rg-new", {"location": "eastus"})


def test_owner_of_one_group_cannot_touch_another(c: dict[str, Any], admin: AdminClient, two_groups: None) -> None:
    c["net"].virtual_networks.begin_create_or_update("rg2", "v2", vnet_body()).result()
    admin.set_caller_roles([f"Owner@{rid('rg1')}"])
    net, rm = c["net"], c["rm"]
    v2 = rid("rg2", "Microsoft.Network/virtualNetworks/v2")
    assert refused(lambda: net.virtual_networks.get("rg2", "v2")) == ("Microsoft.Network/virtualNetworks/read", v2)
    assert refused(lambda: net.virtual_networks.begin_create_or_update("rg2", "v3", vnet_body())) == (
        "Microsoft.Network/virtualNetworks/write", rid("rg2", "Microsoft.Network/virtualNetworks/v3"))
    assert refused(lambda: net.virtual_networks.begin_delete("rg2", "v2")) == (
        "Microsoft.Network/virtualNetworks/delete", v2)
    assert lower(refused(lambda: rm.resource_groups.begin_delete("rg2"))) == (
        "microsoft.resources/subscriptions/resourcegroups/delete", rid("rg2").lower())
    # A name that merely starts like the granted group is another scope.
    admin.set_caller_roles([f"Owner@{rid('rg')}"])
    refused(lambda: rm.resource_groups.get("rg1"))


def test_contributor_cannot_assign_roles_but_can_build(c: dict[str, Any], admin: AdminClient, auth: Any,
                                                       emulator: Any, two_groups: None) -> None:
    principal = _replicated_principal(c, emulator)
    admin.set_caller_roles([f"Contributor@{rid('rg1')}"])
    c["net"].virtual_networks.begin_create_or_update("rg1", "v1", vnet_body()).result()
    name = str(uuid.uuid4())
    action, scope = refused(lambda: auth.role_assignments.create(rid("rg1"), name, _assignment(principal)))
    assert action == "Microsoft.Authorization/roleAssignments/write"
    assert scope.lower() == f"{rid('rg1')}/providers/Microsoft.Authorization/roleAssignments/{name}".lower()
    assert list(auth.role_assignments.list_for_scope(rid("rg1"))) == []  # reading them is fine


@pytest.mark.parametrize("role", ["Role Based Access Control Administrator", "User Access Administrator"])
def test_access_administrators_assign_roles_but_build_nothing(c: dict[str, Any], admin: AdminClient, auth: Any,
                                                              emulator: Any, two_groups: None, role: str) -> None:
    principal = _replicated_principal(c, emulator)
    admin.set_caller_roles([f"{role}@{rid('rg1')}"])
    created = auth.role_assignments.create(rid("rg1"), str(uuid.uuid4()), _assignment(principal))
    assert created.principal_id == principal
    assert refused(lambda: c["net"].virtual_networks.begin_create_or_update("rg1", "v1", vnet_body()))[0] == \
        "Microsoft.Network/virtualNetworks/write"


def test_reader_reads_and_writes_nothing(c: dict[str, Any], admin: AdminClient, two_groups: None) -> None:
    c["net"].virtual_networks.begin_create_or_update("rg1", "v1", vnet_body()).result()
    admin.set_caller_roles([f"reader@{SUB_SCOPE}"])  # role names are case-insensitive
    assert c["net"].virtual_networks.get("rg1", "v1").name == "v1"
    assert {p.namespace for p in c["rm"].providers.list()} >= {"Microsoft.Network"}
    assert refused(lambda: c["net"].virtual_networks.begin_create_or_update("rg1", "v1", vnet_body()))[0] == \
        "Microsoft.Network/virtualNetworks/write"
    assert refused(lambda: c["rm"].resource_groups.update("rg1", {"tags": {"a": "b"}}))[0].lower() == \
        "microsoft.resources/subscriptions/resourcegroups/write"
    assert refused(lambda: c["rm"].providers.register("Microsoft.Network"))[0] == \
        "Microsoft.Network/register/action"


def test_a_post_action_is_named_after_its_resource(c: dict[str, Any], admin: AdminClient, two_groups: None) -> None:
    c["la"].workspaces.begin_create_or_update("rg1", "logs", {"location": "eastus"}).result()
    admin.set_caller_roles([f"Reader@{rid('rg1')}"])
    assert refused(lambda: c["la"].shared_keys.get_shared_keys("rg1", "logs")) == (
        "Microsoft.OperationalInsights/workspaces/sharedKeys/action",
        rid("rg1", "Microsoft.OperationalInsights/workspaces/logs"))
    admin.set_caller_roles([f"Contributor@{rid('rg1')}"])
    assert c["la"].shared_keys.get_shared_keys("rg1", "logs").primary_shared_key


def test_permissions_list_the_assignments_at_or_above_the_group(c: dict[str, Any], admin: AdminClient, auth: Any,
                                                                two_groups: None) -> None:
    admin.set_caller_roles([f"Reader@{SUB_SCOPE}", f"Contributor@{rid('rg1')}",
                            f"Role Based Access Control Administrator@{rid('rg1')}", f"Owner@{rid('rg2')}",
                            f"Owner@{rid('rg1', 'Microsoft.Network/virtualNetworks/v1')}"])
    found = [(p.actions, p.not_actions, p.data_actions, p.not_data_actions)
             for p in auth.permissions.list_for_resource_group("rg1")]
    assert found[0] == (["*/read"], [], [], [])
    assert found[1][0] == ["*"] and "Microsoft.Authorization/*/Write" in found[1][1]
    assert found[2] == (["Microsoft.Authorization/roleAssignments/write",
                         "Microsoft.Authorization/roleAssignments/delete", "*/read", "Microsoft.Support/*"], [], [], [])
    assert len(found) == 3  # not rg2's, not the one below the group
    (entry,) = admin.requests()[-1:]
    assert entry["path"].lower().endswith("/resourcegroups/rg1/providers/microsoft.authorization/permissions")
    assert entry["api_version"] == "2022-04-01" and entry["status"] == 200


def test_permissions_of_a_missing_group_or_another_caller(c: dict[str, Any], admin: AdminClient, auth: Any,
                                                          two_groups: None) -> None:
    from azure.core.exceptions import ResourceNotFoundError

    with pytest.raises(ResourceNotFoundError) as err:
        list(auth.permissions.list_for_resource_group("rg-none"))
    assert err.value.error is not None and err.value.error.code == "ResourceGroupNotFound"
    admin.set_caller_roles([f"Owner@{rid('rg1')}"])
    assert refused(lambda: list(auth.permissions.list_for_resource_group("rg2"))) == (
        "Microsoft.Authorization/permissions/read",
        f"{SUB_SCOPE}/resourcegroups/rg2/providers/Microsoft.Authorization/permissions")


def test_admin_routes_and_operation_polls_need_no_role(c: dict[str, Any], admin: AdminClient, emulator: Any) -> None:
    from azure.core.rest import HttpRequest

    c["rm"].resource_groups.create_or_update("rg1", {"location": "eastus"})
    c["net"].virtual_networks.begin_create_or_update("rg1", "v1", vnet_body(), polling=False)
    (op,) = admin.operations()
    admin.set_caller_roles([])  # no role at all
    status = c["net"]._client.send_request(HttpRequest(
        "GET", f"{emulator.url}{SUB_SCOPE}/providers/Microsoft.Network/locations/eastus/operationStatuses/{op['id']}",
        params={"api-version": "2024-05-01"}))
    assert status.status_code == 200 and status.json()["name"] == op["id"]  # the poll still answers
    assert admin.info()["caller"]["roles"] == []
    assert admin.resources() and admin.requests()
    refused(lambda: c["rm"].resource_groups.get("rg1"))


def test_the_client_is_the_oid_of_a_jwt(admin: AdminClient, emulator: Any) -> None:
    from azure.core.credentials import AccessToken
    from azure.mgmt.resource.resources import ResourceManagementClient

    oid = str(uuid.uuid4())
    claims = base64.urlsafe_b64encode(json.dumps({"oid": oid}).encode()).decode().rstrip("=")

    class JwtCredential:
        def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
            return AccessToken(f"eyJhbGciOiJub25lIn0.{claims}.sig", int(time.time()) + 3600)

    admin.set_caller_roles([])
    rm = ResourceManagementClient(JwtCredential(), SUB, base_url=emulator.url,
                                  connection_verify=str(emulator.ca_cert))
    with pytest.raises(HttpResponseError) as err:
        rm.resource_groups.get("rg1")
    assert err.value.error is not None
    assert f"The client '{oid}' with object id '{oid}' does not" in (err.value.error.message or "")


def test_a_malformed_caller_is_refused(admin: AdminClient) -> None:
    import urllib.error

    for body in ([{"role": "Janitor", "scope": SUB_SCOPE}], ["Owner@rg1"], "Owner"):
        with pytest.raises(urllib.error.HTTPError) as err:
            admin.set_caller_roles(body)
        assert err.value.code == 400
    assert admin.caller()["roles"] == [{"role": "Owner", "scope": "/"}]  # unchanged


def test_roles_from_the_constructor_and_the_environment(make_emulator: Any, credential: Any, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from foundry_litellm.emulator.authz import RoleSpecError

    emu = make_emulator(caller_roles=[f"Reader@{SUB_SCOPE}", f"Owner@{rid('rg1')}"])
    assert emu.admin.caller()["roles"] == [{"role": "Reader", "scope": SUB_SCOPE},
                                           {"role": "Owner", "scope": rid("rg1")}]
    monkeypatch.setenv("FOUNDRY_LITELLM_EMULATOR_CALLER_ROLES",
                       f"User Access Administrator@{SUB_SCOPE}, b24988ac-6180-42a0-ab88-20f7382dd24c@/")
    emu = make_emulator()
    assert emu.admin.caller()["roles"] == [{"role": "User Access Administrator", "scope": SUB_SCOPE},
                                           {"role": "Contributor", "scope": "/"}]
    cl = clients({"base_url": emu.url, "connection_verify": str(emu.ca_cert)}, credential)
    cl["rm"].resource_groups.create_or_update("rg1", {"location": "eastus"})
    with pytest.raises(RoleSpecError):
        make_emulator(caller_roles=["Owner"])


def test_serve_takes_caller_roles(serve: Any, tmp_path: Path, credential: Any) -> None:
    proc = serve("--caller-role", f"Reader@{SUB_SCOPE}", "--caller-role", f"Owner@{rid('rg1')}",
                 data_dir=tmp_path / "d")
    proc.ready()
    admin = AdminClient(proc.url, proc.ca_cert)
    assert admin.info()["caller"]["roles"] == [{"role": "Reader", "scope": SUB_SCOPE},
                                               {"role": "Owner", "scope": rid("rg1")}]
    rm = clients(proc.sdk(), credential)["rm"]
    refused(lambda: rm.resource_groups.create_or_update("rg1", {"location": "eastus"}))
    admin.set_caller_roles([{"role": "Owner", "scope": SUB_SCOPE}])
    rm.resource_groups.create_or_update("rg1", {"location": "eastus"})
    wrong = serve("--caller-role", "Janitor@/", data_dir=tmp_path / "e")
    out, err = wrong.proc.communicate(timeout=60)
    assert wrong.proc.returncode == 2 and out == "" and "Janitor" in err
