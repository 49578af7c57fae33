"""Foundry accounts (Microsoft.CognitiveServices/accounts): network injection and its subnet link, soft delete,
restore and purge, subdomain rules. Sources are cited in the provider modules and in the test names' comments."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from tests.emulator.foundry_support import (
    APP_ENV,
    LOCATION,
    account_body,
    agent_network,
    create_account,
    error_code,
    identity,
    raw,
)
from tests.emulator.helpers import rid, wait_until


def _links(c: dict[str, Any], rg: str) -> list[Any]:
    return list(c["net"].subnets.get(rg, "vnet1", "agent").service_association_links or [])


def test_injected_account_gets_endpoints_a_platform_caphost_and_locks_its_subnet(c: dict[str, Any], rg: str) -> None:
    subnet_id = agent_network(c, rg)
    account = create_account(c, rg, "ai-foundry-t1", subnet_id=subnet_id)
    props = account.properties
    assert props.provisioning_state == "Succeeded" and re.fullmatch(r"[0-9a-f]{32}", props.internal_id)
    assert props.endpoint == "https://ai-foundry-t1.cognitiveservices.azure.com/"
    assert props.endpoints["AI Foundry API"] == "https://ai-foundry-t1.services.ai.azure.com/"
    assert props.network_injections[0].subnet_arm_id == subnet_id
    # The platform creates the account capability host itself (foundry-samples PR #753); the name has an '@'.
    caphost = c["cs"].account_capability_hosts.get(rg, "ai-foundry-t1", "ai-foundry-t1@aml_aiagentservice")
    assert caphost.properties.provisioning_state == "Succeeded"
    assert caphost.properties.customer_subnet == subnet_id
    # ... and the legionservicelink that keeps the subnet (foundry-samples#153, PR #276).
    (link,) = _links(c, rg)
    assert link.name == "legionservicelink" and link.linked_resource_type == "Microsoft.App/environments"
    with pytest.raises(HttpResponseError) as err:
        c["net"].subnets.begin_delete(rg, "vnet1", "agent").result()
    assert error_code(err.value) == "InUseSubnetCannotBeDeleted"
    with pytest.raises(HttpResponseError) as err:
        c["net"].virtual_networks.begin_delete(rg, "vnet1").result()
    assert error_code(err.value) == "InUseSubnetCannotBeDeleted"


def test_soft_delete_restore_purge_and_the_delayed_subnet_release(c: dict[str, Any], rg: str) -> None:
    cs = c["cs"]
    subnet_id = agent_network(c, rg)
    first = create_account(c, rg, "acct1", subnet_id=subnet_id)
    ident = identity(c, rg, "id-acct1")
    with pytest.raises(HttpResponseError) as err:  # the capability host goes first (foundry-samples PR #251)
        cs.accounts.begin_delete(rg, "acct1").result()
    assert err.value.status_code == 409 and error_code(err.value) == "CannotDeleteResource"
    cs.account_capability_hosts.begin_delete(rg, "acct1", "acct1@aml_aiagentservice").result()
    cs.accounts.begin_delete(rg, "acct1").result()
    with pytest.raises(ResourceNotFoundError):
        cs.accounts.get(rg, "acct1")
    deleted = cs.deleted_accounts.get(LOCATION, rg, "acct1")
    assert deleted.id.endswith(f"/locations/{LOCATION}/resourceGroups/{rg}/deletedAccounts/acct1")
    assert deleted.properties.deletion_date and deleted.properties.scheduled_purge_date
    assert [d.name for d in cs.deleted_accounts.list()] == ["acct1"]

    body = account_body(ident.id, "acct1", subnet_id=subnet_id)
    with pytest.raises(HttpResponseError) as err:  # Azure/azure-cli#18146
        cs.accounts.begin_create(rg, "acct1", raw(body)).result()
    assert err.value.status_code == 409 and error_code(err.value) == "FlagMustBeSetForRestore"
    with pytest.raises(HttpResponseError) as err:  # the deleted account keeps its subdomain
        cs.accounts.begin_create(rg, "other", raw(body)).result()
    assert err.value.status_code == 409 and error_code(err.value) == "CustomDomainInUse"

    body["properties"]["restore"] = True
    restored = cs.accounts.begin_create(rg, "acct1", raw(body)).result()
    assert restored.properties.internal_id == first.properties.internal_id
    assert restored.properties.endpoints == first.properties.endpoints
    assert len(_links(c, rg)) == 1  # the same link: it never went away
    with pytest.raises(ResourceNotFoundError):
        cs.deleted_accounts.get(LOCATION, rg, "acct1")

    cs.account_capability_hosts.begin_delete(rg, "acct1", "acct1@aml_aiagentservice").result()
    cs.accounts.begin_delete(rg, "acct1").result()
    assert _links(c, rg), "deleting the account is not enough: the link stays until the purge"
    with pytest.raises(ResourceNotFoundError):  # purge names the original location (ansible-collections PR #2287)
        cs.deleted_accounts.begin_purge("westus", rg, "acct1").result()
    cs.deleted_accounts.begin_purge(LOCATION, rg, "acct1").result()
    assert list(cs.deleted_accounts.list()) == []
    purged = time.monotonic()
    assert _links(c, rg), "the link is released some 20 minutes after the purge (TESTING-GUIDE)"
    wait_until(lambda: not _links(c, rg), timeout=10)
    assert time.monotonic() - purged > 1.5  # 20 nominal minutes at the test time scale are 2.4 s
    c["net"].subnets.begin_delete(rg, "vnet1", "agent").result()
    # The subdomain is free again.
    assert create_account(c, rg, "acct1").properties.provisioning_state == "Succeeded"


@pytest.mark.parametrize("case", ["undelegated", "lower-case delegation", "taken"])
def test_an_unusable_agent_subnet_fails_the_create_late(c: dict[str, Any], rg: str, case: str) -> None:
    # Azure/bicep-ptn-aiml-landing-zone#110: the PUT is accepted and the account fails when its capability host
    # cannot be set up. An undelegated subnet reads as an invalid vnet, and so does 'Microsoft.app/environments'
    # (AmlRp compares case-sensitively, PR #111); a subnet held by another account's link is "already in use"
    # (foundry-samples TESTING-GUIDE).
    delegation = {"undelegated": None, "lower-case delegation": "Microsoft.app/environments"}.get(case, APP_ENV)
    subnet_id = agent_network(c, rg, delegation=delegation)
    if case == "taken":
        create_account(c, rg, "holder", subnet_id=subnet_id)
    ident = identity(c, rg)
    poller = c["cs"].accounts.begin_create(rg, "acct2", raw(account_body(ident.id, "acct2", subnet_id=subnet_id)))
    with pytest.raises(HttpResponseError) as err:
        poller.result()
    assert error_code(err.value) == "ResourceProviderExtensionError"
    assert ("Subnet already in use" if case == "taken" else "Invalid vnet resource ID") in str(err.value)
    assert c["cs"].accounts.get(rg, "acct2").properties.provisioning_state == "Failed"
    assert len(_links(c, rg)) == (1 if case == "taken" else 0)


def test_missing_subnet_fails_like_an_invalid_vnet(c: dict[str, Any], rg: str) -> None:
    ident = identity(c, rg)
    missing = rid(rg, "Microsoft.Network/virtualNetworks/nope/subnets/agent")
    poller = c["cs"].accounts.begin_create(rg, "acct3", raw(account_body(ident.id, "acct3", subnet_id=missing)))
    with pytest.raises(HttpResponseError, match="Invalid vnet resource ID"):
        poller.result()


def test_subdomain_and_project_management_rules(c: dict[str, Any], rg: str) -> None:
    cs = c["cs"]
    ident = identity(c, rg)
    with pytest.raises(HttpResponseError) as err:  # microsoft/microsoft-foundry-for-vscode#121
        cs.accounts.begin_create(rg, "acct4", raw(account_body(ident.id, "ai_foundry"))).result()
    assert err.value.status_code == 400 and error_code(err.value) == "CustomDomainInvalid"
    no_identity = account_body(ident.id, "acct4")
    no_identity["identity"] = {"type": "None"}
    with pytest.raises(HttpResponseError) as err:  # project management needs a managed identity
        cs.accounts.begin_create(rg, "acct4", raw(no_identity)).result()
    assert err.value.status_code == 400
    create_account(c, rg, "acct4")
    with pytest.raises(HttpResponseError) as err:  # another account cannot take the same subdomain
        cs.accounts.begin_create(rg, "acct5", raw(account_body(ident.id, "ACCT4"))).result()
    assert error_code(err.value) == "CustomDomainInUse"
    with pytest.raises(HttpResponseError) as err:  # once on, project management stays on
        cs.accounts.begin_update(rg, "acct4", raw({"properties": {"allowProjectManagement": False}})).result()
    assert err.value.status_code == 400
    updated = cs.accounts.begin_update(rg, "acct4", raw({"tags": {"env": "test"}})).result()
    assert updated.tags == {"env": "test"} and updated.properties.allow_project_management is True
    assert [a.name for a in cs.accounts.list_by_resource_group(rg)] == ["acct4"]
