"""A deployer with nothing but Owner on an existing resource group — what README "Running against real Azure" says
is enough — deploys, re-deploys without a write, reads status and destroys; what it may not do at subscription
scope is said once, as a warning naming the action, the scope and the roles."""

from __future__ import annotations

import json

from azure.mgmt.resource.resources import ResourceManagementClient

from tests.conftest import SUBSCRIPTION, FakeCredential

from .conftest import Workspace, served, writes

GROUP = "rg-fl-test"
GROUP_OWNER = f"Owner@/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}"
GROUP_CONTRIBUTOR = f"Contributor@/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}"


def _precreate_group(url: str, ca_cert: str) -> None:
    ResourceManagementClient(FakeCredential(), SUBSCRIPTION, base_url=url, connection_verify=ca_cert) \
        .resource_groups.create_or_update(GROUP, {"location": "eastus2"})


def test_a_resource_group_owner_deploys_redeploys_reads_status_and_destroys(workspace: Workspace) -> None:
    # A subscription that has used these namespaces before: registering one needs a subscription-scope role.
    workspace.env["FOUNDRY_LITELLM_EMULATOR_REGISTERED"] = "all"
    with served(workspace) as srv:
        _precreate_group(srv.url, srv.ca_cert)
        srv.admin.set_caller_roles([GROUP_OWNER])

        checked = workspace.run("validate", *srv.endpoint)
        assert checked.returncode == 0, checked.stderr
        assert "access_check_result: true" in checked.stdout

        deployed = workspace.run("deploy", *srv.endpoint, "--yes", "-o", "json", timeout=300)
        assert deployed.returncode == 0, deployed.stderr
        warnings = json.loads(deployed.stdout)["warnings"]
        # The soft-delete lookups and registration reads live at subscription scope: refused, said once each.
        assert any("Microsoft.KeyVault/locations/deletedVaults/read" in w for w in warnings), warnings
        assert any("deletedAccounts/read" in w for w in warnings), warnings
        assert any("Microsoft.Resources/subscriptions/providers/read" in w for w in warnings), warnings
        assert deployed.stderr.count("warning:") == len(warnings) == len(set(warnings))
        refused = [e for e in srv.log() if e["status"] == 403]
        assert refused and all("/resourcegroups/" not in e["path"].lower() or "/deletedaccounts/" in
                               e["path"].lower() for e in refused), "nothing inside the group may be refused"

        seen = len(srv.log())
        again = workspace.run("deploy", *srv.endpoint, "--yes", "-o", "json", timeout=300)
        assert again.returncode == 0, again.stderr
        assert writes(srv.log()[seen:]) == []
        status = json.loads(workspace.run("status", *srv.endpoint, "-o", "json").stdout)
        assert {s["outcome"] for s in status["steps"]} == {"in sync"}

        destroyed = workspace.run("destroy", *srv.endpoint, "--yes", "-o", "json", timeout=300)
        assert destroyed.returncode == 0, destroyed.stderr
        report = json.loads(destroyed.stdout)
        purge_warnings = [w for w in report["warnings"] if "purge" in w or "deletedAccounts/delete" in w]
        assert any("Microsoft.KeyVault/locations/deletedVaults/purge/action" in w for w in purge_warnings)
        assert any("Microsoft.CognitiveServices/locations/resourceGroups/deletedAccounts/delete" in w
                   for w in purge_warnings)
        outcomes = {s["step"]: s["outcome"] for s in report["steps"]}
        # Held by the soft-deleted account's service association link until a purge: kept, not failed.
        assert outcomes["subnet:agent"] == "kept" and outcomes["virtual_network"] == "kept"
        assert outcomes["resource_group"] == "kept"  # not ours
        assert outcomes["key_vault"] == "deleted" and outcomes["foundry_account"] == "deleted"
        left = {r["type"] for r in srv.admin.resources()}
        assert left <= {"Microsoft.Resources/resourceGroups", "Microsoft.Network/virtualNetworks",
                        "Microsoft.Network/virtualNetworks/subnets", "Microsoft.Network/networkSecurityGroups"}, left


def test_validate_names_the_role_assignment_right_a_group_contributor_lacks(workspace: Workspace) -> None:
    with served(workspace) as srv:
        _precreate_group(srv.url, srv.ca_cert)
        srv.admin.set_caller_roles([GROUP_CONTRIBUTOR])
        seen = len(srv.log())
        checked = workspace.run("validate", *srv.endpoint, "-o", "json")
        assert checked.returncode == 1, checked.stderr
        report = json.loads(checked.stdout)
        assert report["access_check_result"] is False
        assert report["access_missing"] and all("Microsoft.Authorization/roleAssignments/" in m
                                                for m in report["access_missing"])
        assert "Role Based Access Control Administrator" in report["access_missing"][0]
        assert writes(srv.log()[seen:]) == [], "validate only reads"
        planned = workspace.run("deploy", *srv.endpoint, "--plan", "-o", "json")
        assert planned.returncode == 0, planned.stderr
        assert any("Microsoft.Authorization/roleAssignments/write" in w for w in json.loads(planned.stdout)["warnings"])


def test_a_group_owner_whose_group_does_not_exist_is_told_which_right_creates_it(workspace: Workspace) -> None:
    with served(workspace) as srv:
        srv.admin.set_caller_roles([GROUP_OWNER])  # a role given on a group that is not there (yet)
        failed = workspace.run("deploy", *srv.endpoint, "--yes")
        assert failed.returncode == 1
        assert "Resource group: not allowed to perform Microsoft.Resources/subscriptions/resourceGroups/write over " \
               f"/subscriptions/{SUBSCRIPTION}" in failed.stderr, failed.stderr
        assert "az group create" in failed.stderr and "Traceback" not in failed.stderr
