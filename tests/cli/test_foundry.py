"""The Foundry tier through the CLI: project count changes, capability host replace and failure, the teardown
wait on the agent subnet."""

from __future__ import annotations

import json
import signal
import time

from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

from foundry_litellm.emulator import Emulator
from foundry_litellm.emulator.admin import AdminClient
from tests.conftest import SUBSCRIPTION, FakeCredential

from .conftest import CONFIG, Workspace, served, writes


def _steps(stdout: str) -> dict[str, dict[str, object]]:
    return {s["step"]: s for s in json.loads(stdout)["steps"]}


def _projects(workspace: Workspace) -> list[str]:
    return sorted(r["body"]["name"].rsplit("/", 1)[-1] for r in workspace.world()["resources"].values()
                  if r["type"] == "Microsoft.CognitiveServices/accounts/projects")


def test_three_to_four_to_two_projects(workspace: Workspace) -> None:
    assert workspace.run("deploy", "--emulator", "--yes").returncode == 0
    assert _projects(workspace) == ["ai-project-1", "ai-project-2", "ai-project-3"]

    (workspace.path / "foundry-litellm.toml").write_text(CONFIG + "\n[foundry]\nprojects = 4\n")
    four = workspace.run("deploy", "--emulator", "--yes", "-o", "json")
    assert four.returncode == 0, four.stderr
    created = {n for n, s in _steps(four.stdout).items() if s["outcome"] == "created"}
    assert "foundry_project:4" in created and "capability_host:project-4" in created
    assert not {n for n in created if n.endswith((":1", ":2", ":3", "project-1", "project-2", "project-3"))}
    assert _projects(workspace) == ["ai-project-1", "ai-project-2", "ai-project-3", "ai-project-4"]
    assert len(json.loads(workspace.run("outputs", "-o", "json").stdout)["foundry_project_endpoints"]) == 4

    (workspace.path / "foundry-litellm.toml").write_text(CONFIG + "\n[foundry]\nprojects = 2\n")
    plan = workspace.run("deploy", "--emulator", "--plan", "--detailed-exitcode", "-o", "json")
    assert plan.returncode == 4, plan.stderr
    removals = {n for n, s in _steps(plan.stdout).items() if s["action"] == "delete"}
    assert {"foundry_project:3", "foundry_project:4", "capability_host:project-3", "managed_identity:project-4"} \
        <= removals
    assert not any(n.endswith((":1", ":2", "project-1", "project-2")) for n in removals)

    refused = workspace.run("deploy", "--emulator")  # removing projects needs confirmation: no TTY, no --yes
    assert refused.returncode == 2

    two = workspace.run("deploy", "--emulator", "--yes", "-o", "json")
    assert two.returncode == 0, two.stderr
    assert _projects(workspace) == ["ai-project-1", "ai-project-2"]
    identities = [r["body"]["name"] for r in workspace.world()["resources"].values()
                  if r["type"] == "Microsoft.ManagedIdentity/userAssignedIdentities"]
    assert not [i for i in identities if i.endswith(("project-3", "project-4"))]
    assert not [n for n in workspace.state()["steps"] if n.endswith((":3", ":4", "project-3", "project-4"))]
    assert workspace.run("deploy", "--emulator", "--plan", "--detailed-exitcode").returncode == 0


def test_a_capability_host_changed_behind_the_tools_back_is_planned_as_a_replace(workspace: Workspace) -> None:
    assert workspace.run("deploy", "--emulator", "--yes").returncode == 0
    token = workspace.state()["resource_token"]
    account, project = f"ai-foundry-{token}", "ai-project-1"
    with Emulator(workspace.emulator_dir, time_scale=0.002) as emu:
        client = CognitiveServicesManagementClient(FakeCredential(), SUBSCRIPTION, base_url=emu.url,
                                                   connection_verify=str(emu.ca_cert), polling_interval=0.02)
        hosts = client.project_capability_hosts
        hosts.begin_delete("rg-fl-test", account, project, "caphost-project").result()
        storage = f"storage-{token}-for-{project}"
        body = {"properties": {"threadStorageConnections": [f"cosmos-{token}-for-{project}"],
                               "storageConnections": [storage], "vectorStoreConnections": [storage]}}
        hosts.begin_create_or_update("rg-fl-test", account, project, "caphost-project",
                                     json.dumps(body).encode()).result()
    plan = workspace.run("deploy", "--emulator", "--plan", "--detailed-exitcode", "-o", "json")
    assert plan.returncode == 4
    host = _steps(plan.stdout)["capability_host:project-1"]
    assert host["action"] == "replace"
    assert any(c["path"] == "properties.vectorStoreConnections" for c in host["changes"])  # type: ignore[union-attr]

    seen = len(workspace.requests())
    replaced = workspace.run("deploy", "--emulator", "--yes", "-o", "json")
    assert replaced.returncode == 0, replaced.stderr
    assert _steps(replaced.stdout)["capability_host:project-1"]["outcome"] == "replaced"
    calls = [(e["method"], e["status"]) for e in workspace.requests()[seen:]
             if "/projects/ai-project-1/capabilityhosts/" in e["path"].lower() and e["method"] != "GET"]
    assert calls[0][0] == "DELETE" and calls[-1][0] == "PUT", calls  # delete, wait, create: never an update


def test_a_failed_capability_host_is_reported_clearly_and_a_rerun_fixes_it(workspace: Workspace) -> None:
    with served(workspace) as srv:
        assert workspace.run("deploy", *srv.endpoint, "--yes").returncode == 0
        # Its roles are long in effect now: a host that fails is not waiting for them, and is not tried twice.
        kw = {"base_url": srv.url, "connection_verify": srv.ca_cert, "polling_interval": 0.02}
        token = workspace.state()["resource_token"]
        CognitiveServicesManagementClient(FakeCredential(), SUBSCRIPTION, **kw).project_capability_hosts.begin_delete(
            "rg-fl-test", f"ai-foundry-{token}", "ai-project-2", "caphost-project").result()
        AdminClient(srv.url, srv.ca_cert).set_faults({"seed": 1, "rules": [{
            "method": "PUT", "path": "/projects/ai-project-2/capabilityhosts/", "fail_operation": True,
            "error_code": "CapabilityHostOperationFailed", "message": "Failed async operation.", "count": 1}]})
        seen = srv.log_length()
        failed = workspace.run("deploy", *srv.endpoint, "--yes")
        assert failed.returncode == 1
        assert [e["method"] for e in srv.log()[seen:] if "/ai-project-2/capabilityhosts/" in e["path"].lower()
                and e["method"] != "GET"] == ["PUT"]
        assert "Project 2 capability host: CapabilityHostOperationFailed" in failed.stderr
        assert failed.stderr.count("Project 2 capability host") == 1, failed.stderr  # said once, not twice
        assert "hint: run deploy again" in failed.stderr
        assert "Traceback" not in failed.stderr
        fixed = workspace.run("deploy", *srv.endpoint, "--yes", "-o", "json")
        assert fixed.returncode == 0, fixed.stderr
        assert _steps(fixed.stdout)["capability_host:project-2"]["outcome"] in ("replaced", "created")
        status = json.loads(workspace.run("status", *srv.endpoint, "-o", "json").stdout)
        assert {s["outcome"] for s in status["steps"]} == {"in sync"}


def test_a_destroy_interrupted_during_the_subnet_wait_resumes(workspace: Workspace) -> None:
    assert workspace.run("deploy", "--emulator", "--yes").returncode == 0
    # At this scale Azure's 20 minutes before it releases the agent subnet last 12 s.
    slow = {"FOUNDRY_LITELLM_EMULATOR_TIME_SCALE": "0.01"}
    proc = workspace.popen("destroy", "--emulator", "--yes", extra_env=slow)
    assert proc.stderr is not None
    deadline = time.monotonic() + 120
    waiting = False
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if "waiting for Azure to release" in line:
            assert "emulated min so far" in line, line  # not wall-clock minutes: the emulator's scaled time
            waiting = True
            break
    assert waiting, "destroy never reached the subnet wait"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert "subnet:agent" in workspace.state()["steps"], "the wait was interrupted before the subnet went"

    resumed = workspace.run("destroy", "--emulator", "--yes", "-o", "json", extra_env=slow, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert workspace.world()["resources"] == {}
    assert not any(workspace.world()["deleted"].values())
    assert writes(workspace.requests())  # (sanity: the log is the one the runs wrote)


def test_an_account_endpoint_added_by_config_is_removed_when_switched_off(workspace: Workspace) -> None:
    private = CONFIG + '\n[foundry]\npublic_network_access = "Disabled"\n'
    (workspace.path / "foundry-litellm.toml").write_text(private)
    first = workspace.run("deploy", "--emulator", "--yes", "-o", "json")
    assert first.returncode == 0, first.stderr
    assert _steps(first.stdout)["private_endpoint:foundry"]["outcome"] == "created"
    account = next(r for r in workspace.world()["resources"].values()
               if r["type"] == "Microsoft.CognitiveServices/accounts")
    assert account["body"]["properties"]["publicNetworkAccess"] == "Disabled"

    (workspace.path / "foundry-litellm.toml").write_text(CONFIG)
    public = workspace.run("deploy", "--emulator", "--yes", "-o", "json")
    assert public.returncode == 0, public.stderr
    steps = _steps(public.stdout)
    assert steps["private_endpoint:foundry"]["outcome"] == "deleted"
    assert steps["foundry_account"]["outcome"] == "updated"
    endpoints = [r["body"]["name"] for r in workspace.world()["resources"].values()
                 if r["type"] == "Microsoft.Network/privateEndpoints"]
    assert not [e for e in endpoints if e.startswith("pe-foundry-")]
    assert "private_endpoint:foundry" not in workspace.state()["steps"]
