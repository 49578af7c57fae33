"""Role assignments through azure-mgmt-authorization (exact JSON bodies: it is an msrest-style client).

Azure behaviour cited: authorization-RoleAssignmentsCalls.json (2022-04-01; PUT 201/200, DELETE 200 with the
assignment); RoleAssignmentExists for the same scope, principal and role under another name
(Azure/azure-quickstart-templates#4205); PrincipalNotFound right after the identity is created, shorter with
principalType (Azure/azure-quickstart-templates#4945, Azure/ResourceModules#981); RoleAssignmentUpdateNotPermitted
("Tenant ID, application ID, principal ID, and scope are not allowed to be updated."); UnmatchedPrincipalType
(Azure/azure-dev#3581).
"""

from __future__ import annotations

import io
import json
import time
import uuid
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError

from tests.emulator.helpers import SUB, clients, rid

SECRETS_USER = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/" \
               "4633458b-17de-408a-b874-0445c86b69e6"
READER = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/" \
         "21090545-7ca7-4776-b22c-e363652d74d2"


def _assignment(principal: str, role: str = SECRETS_USER, **extra: Any) -> io.BytesIO:
    return io.BytesIO(json.dumps({"properties": {"roleDefinitionId": role, "principalId": principal,
                                                 **extra}}).encode())


def _auth(sdk: dict[str, Any], credential: Any) -> Any:
    from azure.mgmt.authorization import AuthorizationManagementClient

    return AuthorizationManagementClient(credential, SUB, **sdk)


def _age(emulator: Any, principal: str, nominal_seconds: float) -> None:
    """Pretend the principal was created ``nominal_seconds`` ago (Entra replication is time-based)."""
    app = emulator._server.app
    with app.store.lock:
        app.world.data["principals"][principal] = app.world.now() - app.world.scaled(nominal_seconds)
        app.store.save()


@pytest.fixture
def auth(sdk: dict[str, Any], credential: Any, rg: str) -> Any:
    return _auth(sdk, credential)


@pytest.fixture
def principal(c: dict[str, Any], rg: str, emulator: Any) -> str:
    identity = c["msi"].user_assigned_identities.create_or_update(rg, "app-identity", {"location": "eastus"})
    _age(emulator, identity.principal_id, 3600)  # long replicated
    return str(identity.principal_id)


def test_assign_get_list_and_delete_at_group_scope(auth: Any, rg: str, principal: str) -> None:
    scope = rid(rg)
    name = str(uuid.uuid4())
    created = auth.role_assignments.create(scope, name, _assignment(principal, principalType="ServicePrincipal"))
    assert created.id == f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
    assert created.scope == scope and created.principal_type == "ServicePrincipal"
    assert auth.role_assignments.get(scope, name).role_definition_id == SECRETS_USER
    listed = list(auth.role_assignments.list_for_scope(scope, filter=f"principalId eq '{principal}'"))
    assert [a.name for a in listed] == [name]
    # Assignments above a scope apply to it; atScope() leaves out those below.
    assert [a.name for a in auth.role_assignments.list_for_scope(f"/subscriptions/{SUB}")] == [name]
    assert list(auth.role_assignments.list_for_scope(f"/subscriptions/{SUB}", filter="atScope()")) == []
    deleted = auth.role_assignments.delete(scope, name)
    assert deleted.name == name
    with pytest.raises(ResourceNotFoundError):
        auth.role_assignments.get(scope, name)


def test_second_name_for_the_same_assignment_is_roleassignmentexists(auth: Any, rg: str, principal: str) -> None:
    scope = rid(rg)
    first = str(uuid.uuid4())
    auth.role_assignments.create(scope, first, _assignment(principal))
    auth.role_assignments.create(scope, first, _assignment(principal))  # the same name again: fine
    with pytest.raises(ResourceExistsError) as err:
        auth.role_assignments.create(scope, str(uuid.uuid4()), _assignment(principal))
    assert err.value.error.code == "RoleAssignmentExists"
    assert first.replace("-", "") in err.value.error.message
    auth.role_assignments.create(scope, str(uuid.uuid4()), _assignment(principal, READER))  # another role: fine


def test_assignment_cannot_change_principal_or_role(auth: Any, rg: str, principal: str) -> None:
    scope = rid(rg)
    name = str(uuid.uuid4())
    auth.role_assignments.create(scope, name, _assignment(principal))
    with pytest.raises(ResourceExistsError) as err:
        auth.role_assignments.create(scope, name, _assignment(principal, READER))
    assert err.value.error.code == "RoleAssignmentUpdateNotPermitted"


def test_malformed_ids_are_refused(auth: Any, rg: str, principal: str) -> None:
    scope = rid(rg)
    cases = [("not-a-guid", _assignment(principal), "InvalidRoleAssignmentId"),
             (str(uuid.uuid4()), _assignment(principal, "4633458b-17de-408a-b874-0445c86b69e6"),
              "InvalidRoleDefinitionId"),
             (str(uuid.uuid4()), _assignment(principal, principalType="User"), "UnmatchedPrincipalType")]
    for name, body, code in cases:
        with pytest.raises(HttpResponseError) as err:
            auth.role_assignments.create(scope, name, body)
        assert err.value.status_code == 400 and err.value.error.code == code


def test_unknown_principal_is_principalnotfound(auth: Any, rg: str) -> None:
    with pytest.raises(HttpResponseError) as err:
        auth.role_assignments.create(rid(rg), str(uuid.uuid4()), _assignment(str(uuid.uuid4()),
                                                                             principalType="ServicePrincipal"))
    assert err.value.status_code == 400 and err.value.error.code == "PrincipalNotFound"


def test_new_principal_replicates_sooner_with_principal_type(make_emulator: Any, credential: Any) -> None:
    emu = make_emulator(time_scale=1.0)  # real seconds: the windows are 10 s and 60 s, and _age moves time
    sdk = {"base_url": emu.url, "connection_verify": str(emu.ca_cert), "polling_interval": 0.02}
    cl = clients(sdk, credential)
    cl["rm"].resource_groups.create_or_update("rg1", {"location": "eastus"})
    principal = cl["msi"].user_assigned_identities.create_or_update("rg1", "fresh", {"location": "eastus"}
                                                                     ).principal_id
    auth, scope = _auth(sdk, credential), rid("rg1")
    for extra in ({}, {"principalType": "ServicePrincipal"}):
        with pytest.raises(HttpResponseError) as err:  # at once: Entra does not know it yet
            auth.role_assignments.create(scope, str(uuid.uuid4()), _assignment(principal, **extra))
        assert err.value.error.code == "PrincipalNotFound" and "principalType" in err.value.error.message
    _age(emu, principal, 20)  # past the residual window, inside the untyped one
    with pytest.raises(HttpResponseError) as err:
        auth.role_assignments.create(scope, str(uuid.uuid4()), _assignment(principal))
    assert err.value.error.code == "PrincipalNotFound"
    auth.role_assignments.create(scope, str(uuid.uuid4()), _assignment(principal, principalType="ServicePrincipal"))
    _age(emu, principal, 61)
    auth.role_assignments.create(scope, str(uuid.uuid4()), _assignment(principal, READER))


def test_replication_window_passes_with_time(make_emulator: Any, credential: Any) -> None:
    from azure.mgmt.msi import ManagedServiceIdentityClient
    from azure.mgmt.resource.resources import ResourceManagementClient

    emu = make_emulator(time_scale=0.02)  # 60 nominal seconds: 1.2 s, ample even on a loaded machine
    sdk = {"base_url": emu.url, "connection_verify": str(emu.ca_cert), "polling_interval": 0.02}
    ResourceManagementClient(credential, SUB, **sdk).resource_groups.create_or_update("rg1", {"location": "eastus"})
    principal = ManagedServiceIdentityClient(credential, SUB, **sdk).user_assigned_identities.create_or_update(
        "rg1", "fresh", {"location": "eastus"}).principal_id
    auth = _auth(sdk, credential)
    with pytest.raises(HttpResponseError):
        auth.role_assignments.create(rid("rg1"), str(uuid.uuid4()), _assignment(principal))
    time.sleep(1.25)
    auth.role_assignments.create(rid("rg1"), str(uuid.uuid4()), _assignment(principal))


def test_system_assigned_identity_and_resource_scope(auth: Any, rg: str, sdk: dict[str, Any], credential: Any,
                                                     emulator: Any) -> None:
    from azure.mgmt.search import SearchManagementClient
    from azure.mgmt.search.models import Identity, SearchService, Sku

    search = SearchManagementClient(credential, SUB, **sdk)
    service = search.services.begin_create_or_update(rg, "project-search", SearchService(
        location="eastus", sku=Sku(name="basic"), identity=Identity(type="SystemAssigned"))).result()
    principal = service.identity.principal_id
    _age(emulator, principal, 3600)
    scope = str(service.id)
    name = str(uuid.uuid4())
    auth.role_assignments.create(scope, name, _assignment(principal, principalType="ServicePrincipal",
                                                          condition="@Resource[x] StringEquals 'y'"))
    got = auth.role_assignments.get(scope, name)
    assert got.condition_version == "2.0"
    with pytest.raises(ResourceNotFoundError):  # the scope must exist
        auth.role_assignments.create(rid(rg, "Microsoft.Search/searchServices/nope"), str(uuid.uuid4()),
                                     _assignment(principal))
    search.services.delete(rg, "project-search")  # assignments go with their scope
    with pytest.raises(ResourceNotFoundError):
        auth.role_assignments.get(scope, name)
