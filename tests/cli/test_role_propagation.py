"""Role propagation before a project capability host, through the CLI.

The emulator fails a project capability host created before its identity's Cosmos DB / Storage roles have propagated
(foundry_caphosts.py; how long propagation takes is the ``role_propagation`` tail, a few minutes by default). The tool
creates the host once the newest of those roles is TYPICAL_PROPAGATION old (role_assignment.py), measured from the
assignment's createdOn: a deploy whose roles were just created waits, one that finds them old (or nothing to do) does
not. When Azure is slower than usual the host ends Failed: the tool deletes it and creates it again once the roles are
PROPAGATION_WAIT old (Learn "Troubleshoot Azure RBAC": up to 10 minutes). The Search roles are created first but not
waited for (they "can be assigned before or after", capability_host.py).
"""

from __future__ import annotations

import json
import time
from datetime import datetime

from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

from foundry_litellm.emulator import Emulator
from foundry_litellm.emulator.embedded import TAILS_ENV
from steps.role_assignment import PROPAGATION_WAIT, TYPICAL_PROPAGATION
from tests.conftest import SUBSCRIPTION, FakeCredential

from .conftest import CONFIG, TIME_SCALE, Workspace, path_key, writes

PRE_ROLES = tuple(f"role_assignment:project-1-{r}" for r in ("storage-blob-data-contributor", "cosmos-db-operator"))
SEARCH_ROLES = tuple(f"role_assignment:project-1-{r}" for r in ("search-index-data-contributor",
                                                                  "search-service-contributor"))
WAITING = "waiting for role propagation"
SLOW_SCALE = "0.01"  # time for the natural gap between the roles and the host (below)


def _created(workspace: Workspace, step: str) -> float:
    return datetime.fromisoformat(workspace.state()["steps"][step]["outputs"]["created_at"]).timestamp()


def _caphost_created(workspace: Workspace) -> float:
    return float(next(r["created"] for r in workspace.world()["resources"].values()
                      if r["type"] == "Microsoft.CognitiveServices/accounts/projects/capabilityHosts"
                      and "/projects/ai-project-1/" in r["id"].lower()))


def _host_writes(workspace: Workspace, method: str) -> list[str]:
    """The paths of the project 1 capability host's writes of ``method`` so far."""
    host = "/projects/ai-project-1/capabilityhosts/caphost-project"
    return [path_key(e) for e in writes(workspace.requests()) if e["method"] == method and path_key(e).endswith(host)]


def _remove_host_and_roles(workspace: Workspace, time_scale: str = TIME_SCALE) -> None:
    """As if someone removed the project's grants and its host: the next deploy creates both again."""
    token = workspace.state()["resource_token"]
    with Emulator(workspace.emulator_dir, time_scale=float(time_scale)) as emu:
        kw = {"base_url": emu.url, "connection_verify": str(emu.ca_cert), "polling_interval": 0.02}
        CognitiveServicesManagementClient(FakeCredential(), SUBSCRIPTION, **kw).project_capability_hosts.begin_delete(
            "rg-fl-test", f"ai-foundry-{token}", "ai-project-1", "caphost-project").result()
        auth = AuthorizationManagementClient(FakeCredential(), SUBSCRIPTION, **kw)
        for step in PRE_ROLES:
            auth.role_assignments.delete_by_id(workspace.state()["steps"][step]["outputs"]["id"])


def test_new_roles_are_waited_for_and_old_ones_are_not(workspace: Workspace) -> None:
    first = workspace.run("deploy", "--emulator", "--yes")
    assert first.returncode == 0, first.stderr
    usual = TYPICAL_PROPAGATION * float(TIME_SCALE)
    newest = max(_created(workspace, s) for s in PRE_ROLES)
    assert _caphost_created(workspace) >= newest + usual - 0.05  # created once the roles had usually propagated
    assert len(_host_writes(workspace, "PUT")) == 1  # and it held: one create
    # the Search roles exist before the host (assigned first, as the samples do), whatever their age
    assert all(_created(workspace, s) <= _caphost_created(workspace) for s in SEARCH_ROLES)

    _remove_host_and_roles(workspace)
    again = workspace.run("deploy", "--emulator", "--yes")
    assert again.returncode == 0, again.stdout + again.stderr  # without the wait the new host ends Failed
    assert WAITING in again.stdout + again.stderr
    assert _caphost_created(workspace) >= max(_created(workspace, s) for s in PRE_ROLES) + usual - 0.05

    before = len(workspace.requests())
    started = time.monotonic()
    settled = workspace.run("deploy", "--emulator", "--yes")
    assert settled.returncode == 0, settled.stderr
    assert WAITING not in settled.stdout + settled.stderr
    assert not writes(workspace.requests()[before:])  # nothing to create: nothing waited for
    assert time.monotonic() - started < 60


def test_a_host_that_fails_while_the_roles_propagate_slowly_is_created_again_after_the_bound(
        workspace: Workspace) -> None:
    # At 1/100 the host's other dependencies (the Search service first) take about 5 emulated minutes after its roles,
    # so a propagation of 9 minutes fails the first host and one of 20 fails the second (created after a failed create
    # and a delete, about 14 minutes after the roles) with a wide margin for a loaded machine.
    (workspace.path / "foundry-litellm.toml").write_text(CONFIG + "\n[foundry]\nprojects = 1\n")
    scale = {"FOUNDRY_LITELLM_EMULATOR_TIME_SCALE": SLOW_SCALE}
    slow = {**scale, TAILS_ENV: json.dumps({"role_propagation": "9m"})}  # over 5 minutes: CromwellOnAzure#98
    deployed = workspace.run("deploy", "--emulator", "--yes", extra_env=slow)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert "ended Failed while its roles may not have taken effect yet" in deployed.stdout + deployed.stderr
    assert len(_host_writes(workspace, "PUT")) == 2 and len(_host_writes(workspace, "DELETE")) == 1
    newest = max(_created(workspace, s) for s in PRE_ROLES)
    assert _caphost_created(workspace) >= newest + PROPAGATION_WAIT * float(SLOW_SCALE) - 0.05

    # Slower than the documented bound: the second host fails too, and the deploy says what to do.
    _remove_host_and_roles(workspace, SLOW_SCALE)
    slower = {**scale, TAILS_ENV: json.dumps({"role_propagation": "20m"})}
    failed = workspace.run("deploy", "--emulator", "--yes", extra_env=slower)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "run deploy again: a failed capability host is deleted and created again" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert len(_host_writes(workspace, "PUT")) == 2 + 2 and len(_host_writes(workspace, "DELETE")) == 1 + 1 + 1
    # The roles are older than that by now: a plain re-run replaces the failed host and succeeds.
    again = workspace.run("deploy", "--emulator", "--yes", extra_env=slower)
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(_host_writes(workspace, "PUT")) == 2 + 2 + 1 and len(_host_writes(workspace, "DELETE")) == 1 + 1 + 1 + 1
