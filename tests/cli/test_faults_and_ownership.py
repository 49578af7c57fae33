"""Transient faults do not fail a deploy; destroy touches only what the tool owns."""

from __future__ import annotations

import json

from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient

from foundry_litellm.emulator import Emulator
from tests.conftest import SUBSCRIPTION, FakeCredential

from .conftest import Workspace, served, writes


def test_transient_faults_at_ten_percent_do_not_fail_a_deploy(workspace: Workspace) -> None:
    faults = {"seed": 7, "rules": [
        {"method": "*", "path": "/subscriptions/", "status": 429, "retry_after": 1, "probability": 0.04},
        {"method": "*", "path": "/subscriptions/", "status": 503, "probability": 0.04},
        {"method": "*", "path": "/subscriptions/", "drop_connection": True, "probability": 0.03},
    ]}
    with served(workspace, faults) as srv:
        result = workspace.run("deploy", *srv.endpoint, "--yes", "-o", "json", timeout=300)
        assert result.returncode == 0, result.stderr
        log = srv.log()
        injected = [e for e in log if "fault" in e]
        assert len(injected) >= 5, "the faults must really have fired"
        assert {e["fault"]["status"] for e in injected} >= {429, 503}
        status = json.loads(workspace.run("status", *srv.endpoint, "-o", "json").stdout)
        assert {s["outcome"] for s in status["steps"]} == {"in sync"}


def test_destroy_keeps_a_group_it_did_not_create_and_foreign_resources(workspace: Workspace) -> None:
    with Emulator(workspace.emulator_dir, time_scale=0.002) as emu:
        kw = {"base_url": emu.url, "connection_verify": str(emu.ca_cert), "polling_interval": 0.02}
        ResourceManagementClient(FakeCredential(), SUBSCRIPTION, **kw).resource_groups.create_or_update(
            "rg-fl-test", {"location": "eastus2", "tags": {"owner": "someone-else"}})
        NetworkManagementClient(FakeCredential(), SUBSCRIPTION, **kw).network_security_groups.begin_create_or_update(
            "rg-fl-test", "their-nsg", {"location": "eastus2"}).result()
    seen = len(workspace.requests())
    deployed = workspace.run("deploy", "--emulator", "--yes", "-o", "json")
    assert deployed.returncode == 0, deployed.stderr
    steps = {s["step"]: s["outcome"] for s in json.loads(deployed.stdout)["steps"]}
    assert steps["resource_group"] == "unchanged"  # adopted, never re-tagged
    assert not [e for e in writes(workspace.requests()[seen:]) if e["path"].lower().endswith("/rg-fl-test")]

    destroyed = workspace.run("destroy", "--emulator", "--yes", "-o", "json")
    assert destroyed.returncode == 0, destroyed.stderr
    outcome = {s["step"]: s["outcome"] for s in json.loads(destroyed.stdout)["steps"]}
    assert outcome["resource_group"] == "kept"
    remaining = sorted(r["body"]["name"] for r in workspace.world()["resources"].values())
    assert remaining == ["rg-fl-test", "their-nsg"]


def test_a_deployer_who_may_not_register_a_namespace_gets_one_clear_error_then_resumes(workspace: Workspace) -> None:
    # Registering needs */register/action at subscription scope (Learn "Azure resource providers and types").
    faults = {"seed": 1, "rules": [{"method": "POST", "path": "/providers/microsoft.app/register$", "status": 403,
                                    "error_code": "AuthorizationFailed", "count": 1}]}
    with served(workspace, faults) as srv:
        failed = workspace.run("deploy", *srv.endpoint, "--yes", "-o", "json", timeout=300)
        assert failed.returncode == 1
        assert "RP Microsoft.App: AuthorizationFailed" in failed.stderr
        assert "az provider register --namespace Microsoft.App" in failed.stderr
        assert "Traceback" not in failed.stderr
        steps = {s["step"]: s["outcome"] for s in json.loads(failed.stdout)["steps"]}
        assert steps["resource_provider:Microsoft.App"] == "failed"
        assert steps["foundry_account"] == "skipped" and steps["container_apps_environment"] == "skipped"
        assert steps["virtual_network"] == "created"  # the other namespaces go on
        resumed = workspace.run("deploy", *srv.endpoint, "--yes", "-o", "json", timeout=300)
        assert resumed.returncode == 0, resumed.stderr


def test_a_connection_lost_on_a_registration_is_retried(workspace: Workspace) -> None:
    # azure-core does not retry a POST whose connection dropped; registering twice is harmless, so we do.
    faults = {"seed": 1, "rules": [{"method": "POST", "path": "/providers/microsoft.network/register$",
                                    "drop_connection": True, "count": 1}]}
    with served(workspace, faults) as srv:
        result = workspace.run("deploy", *srv.endpoint, "--yes", "-o", "json", timeout=300)
        assert result.returncode == 0, result.stderr
        log = srv.log()
        posts = [e for e in log if e["method"] == "POST" and e["path"].endswith("/Microsoft.Network/register")]
        assert [e["status"] for e in posts] == [None, 200]  # dropped, then sent again


def test_a_deployer_who_may_not_read_registrations_is_not_stopped(workspace: Workspace) -> None:
    # Owner of the resource group only: subscription-level reads are refused; the namespaces are registered.
    faults = {"seed": 1, "rules": [{"method": "GET", "path": "/subscriptions/[^/]+/providers/[^/]+$", "status": 403,
                                    "error_code": "AuthorizationFailed", "count": 100}]}
    workspace.env["FOUNDRY_LITELLM_EMULATOR_REGISTERED"] = "all"
    with served(workspace, faults) as srv:
        result = workspace.run("deploy", *srv.endpoint, "--yes", "-o", "json", timeout=300)
        assert result.returncode == 0, result.stderr
        assert "cannot read the registration" in result.stderr
        assert workspace.state()["steps"]["resource_provider:Microsoft.App"]["outputs"] == {"state": "NotReadable"}
