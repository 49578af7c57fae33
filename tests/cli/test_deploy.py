"""Deploy, re-deploy, status, outputs and destroy through the CLI against the embedded emulator."""

from __future__ import annotations

import json

from .conftest import REGISTRATION, Workspace, outcomes_of_first_deploy, path_key, writes

# Microsoft.Cache: Azure Managed Redis, on by default (max_replicas 3 > 1).
NAMESPACES = {"Microsoft.App", "Microsoft.Cache", "Microsoft.CognitiveServices", "Microsoft.ContainerService",
              "Microsoft.DBforPostgreSQL", "Microsoft.DocumentDB", "Microsoft.Insights", "Microsoft.KeyVault",
              "Microsoft.ManagedIdentity", "Microsoft.Network", "Microsoft.OperationalInsights", "Microsoft.Search",
              "Microsoft.Storage"}


def _step_count(workspace: Workspace) -> int:
    return len(workspace.state()["steps"])


def test_deploy_creates_everything_then_redeploy_sends_no_write(workspace: Workspace) -> None:
    first = workspace.run("deploy", "--emulator", "--yes", "-o", "json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["outputs"]["config_validation_result"] is True
    assert outcomes_of_first_deploy(report) == {"created"}
    assert len(report["steps"]) == _step_count(workspace)
    # A new subscription: each namespace is registered once, before anything of it is touched, so Azure never
    # answers MissingSubscriptionRegistration (Learn "Azure resource providers and types").
    registered = sorted(e["path"].split("/")[-2] for e in workspace.requests() if e["path"].endswith("/register"))
    assert registered == sorted(NAMESPACES)
    assert not [e for e in workspace.requests() if e["status"] == 409]
    # Reads go by resource id with the api-version of clients.API_VERSIONS, writes through the SDK packages: both
    # must send one version per resource (an SDK upgrade that moves one fails here).
    versions: dict[str, set[str]] = {}
    for entry in workspace.requests():
        versions.setdefault(path_key(entry), set()).add(entry["api_version"])
    assert {path: v for path, v in versions.items() if len(v) > 1} == {}
    seen = len(workspace.requests())

    second = workspace.run("deploy", "--emulator", "--yes", "-o", "json")
    assert second.returncode == 0, second.stderr
    again = workspace.requests()[seen:]
    assert again, "the re-run must read the live resources"
    assert writes(again) == [], [f"{e['method']} {e['path']}" for e in writes(again)]
    assert {s["outcome"] for s in json.loads(second.stdout)["steps"]} == {"unchanged"}


def test_every_resource_carries_the_ownership_tags(workspace: Workspace) -> None:
    assert workspace.run("deploy", "--emulator", "--yes").returncode == 0
    tagged = [r for r in workspace.world()["resources"].values() if "tags" in r["body"]]
    assert tagged
    for record in tagged:
        tags = record["body"]["tags"]
        assert tags.get("managed-by") == "foundry-litellm", record["id"]
        assert tags.get("foundry-litellm-environment") == "test"
        assert tags.get("owner") == "tests"


def test_status_json_reports_in_sync_after_deploy_and_not_deployed_before(workspace: Workspace) -> None:
    before = workspace.run("status", "--emulator", "-o", "json")
    assert before.returncode == 0, before.stderr
    assert {s["outcome"] for s in json.loads(before.stdout)["steps"]} == {"not deployed"}
    assert workspace.run("deploy", "--emulator", "--yes").returncode == 0
    after = workspace.run("status", "--emulator", "-o", "json")
    assert {s["outcome"] for s in json.loads(after.stdout)["steps"]} == {"in sync"}
    assert writes(workspace.requests()[-_step_count(workspace):]) == []


def test_outputs_json_and_env(workspace: Workspace) -> None:
    missing = workspace.run("outputs")
    assert missing.returncode == 1 and "has not been deployed" in missing.stderr
    assert workspace.run("deploy", "--emulator", "--yes").returncode == 0
    as_json = json.loads(workspace.run("outputs", "-o", "json").stdout)
    assert as_json["config_validation_result"] is True
    assert as_json["resource_group"] == "rg-fl-test"
    env_lines = workspace.run("outputs", "-o", "env").stdout.splitlines()
    assert "export CONFIG_VALIDATION_RESULT=true" in env_lines
    assert "export RESOURCE_GROUP=rg-fl-test" in env_lines


def test_destroy_leaves_the_emulator_empty_and_can_run_twice(workspace: Workspace) -> None:
    assert workspace.run("deploy", "--emulator", "--yes").returncode == 0
    gone = workspace.run("destroy", "--emulator", "--yes", "-o", "json")
    assert gone.returncode == 0, gone.stderr
    assert workspace.world()["resources"] == {}
    assert not any(workspace.world()["deleted"].values()), "nothing may stay soft-deleted"
    again = workspace.run("destroy", "--emulator", "--yes", "-o", "json")
    assert again.returncode == 0
    outcomes = {s["step"]: s["outcome"] for s in json.loads(again.stdout)["steps"]}
    assert {o for step, o in outcomes.items() if not step.startswith(REGISTRATION)} == {"absent"}
    assert {o for step, o in outcomes.items() if step.startswith(REGISTRATION)} == {"kept"}  # subscription-wide


def test_destroy_refuses_without_a_terminal_and_without_yes(workspace: Workspace) -> None:
    result = workspace.run("destroy", "--emulator")
    assert result.returncode == 2
    assert "--yes" in result.stderr
    assert workspace.requests() == [], "nothing may be sent before confirmation"


def test_deploy_refuses_without_a_terminal_and_without_yes(workspace: Workspace) -> None:
    """It reads (to know whether there is anything to confirm: a no-op needs no --yes) and writes nothing."""
    result = workspace.run("deploy", "--emulator")
    assert result.returncode == 2
    assert "--yes" in result.stderr
    assert writes(workspace.requests()) == []


def test_plan_on_an_empty_subscription_lists_creates_and_writes_nothing(workspace: Workspace) -> None:
    result = workspace.run("deploy", "--emulator", "--plan", "--detailed-exitcode", "-o", "json")
    assert result.returncode == 4, result.stderr
    plan = json.loads(result.stdout)
    assert plan["changes_pending"] is True
    assert {s["action"] for s in plan["steps"]} == {"create"}
    assert {s["step"] for s in plan["steps"] if s["step"].startswith(REGISTRATION)} == {
        f"{REGISTRATION}{n}" for n in NAMESPACES}
    # Reads in unregistered namespaces are answered 409 MissingSubscriptionRegistration; the SDK's own
    # auto-registration (a POST, then 10 s polls without a bound) must not answer them during a plan.
    assert [e for e in workspace.requests() if e["status"] == 409]
    assert writes(workspace.requests()) == []


def test_python_dash_m_is_the_same_program(workspace: Workspace) -> None:
    result = workspace.run("--help")
    assert result.returncode == 0
    assert "deploy" in result.stdout and "destroy" in result.stdout and "Exit codes" in result.stdout
