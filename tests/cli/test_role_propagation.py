"""Role propagation before a project capability host, through the CLI.

The emulator fails a project capability host created before its identity's Cosmos DB / Storage roles have propagated
(foundry_caphosts.py). The tool waits before creating one until the newest of those roles is PROPAGATION_WAIT old
(role_assignment.py, Learn "Troubleshoot Azure RBAC": up to 10 minutes), measured from the assignment's createdOn:
a deploy whose roles were just created waits, one that finds them old (or nothing to do) does not. The Search roles
are created first but not waited for (they "can be assigned before or after", capability_host.py).
"""

from __future__ import annotations

import time
from datetime import datetime

from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

from foundry_litellm.emulator import Emulator
from steps.role_assignment import PROPAGATION_WAIT
from tests.conftest import SUBSCRIPTION, FakeCredential

from .conftest import TIME_SCALE, Workspace, writes

PRE_ROLES = tuple(f"role_assignment:project-1-{r}" for r in ("storage-blob-data-contributor", "cosmos-db-operator"))
SEARCH_ROLES = tuple(f"role_assignment:project-1-{r}" for r in ("search-index-data-contributor",
                                                                  "search-service-contributor"))
WAITING = "waiting for role propagation"


def _created(workspace: Workspace, step: str) -> float:
    return datetime.fromisoformat(workspace.state()["steps"][step]["outputs"]["created_at"]).timestamp()


def _caphost_created(workspace: Workspace) -> float:
    return float(next(r["created"] for r in workspace.world()["resources"].values()
                      if r["type"] == "Microsoft.CognitiveServices/accounts/projects/capabilityHosts"
                      and "/projects/ai-project-1/" in r["id"].lower()))


def _remove_host_and_roles(workspace: Workspace) -> None:
    """As if someone removed the project's grants and its host: the next deploy creates both again."""
    token = workspace.state()["resource_token"]
    with Emulator(workspace.emulator_dir, time_scale=float(TIME_SCALE)) as emu:
        kw = {"base_url": emu.url, "connection_verify": str(emu.ca_cert), "polling_interval": 0.02}
        CognitiveServicesManagementClient(FakeCredential(), SUBSCRIPTION, **kw).project_capability_hosts.begin_delete(
            "rg-fl-test", f"ai-foundry-{token}", "ai-project-1", "caphost-project").result()
        auth = AuthorizationManagementClient(FakeCredential(), SUBSCRIPTION, **kw)
        for step in PRE_ROLES:
            auth.role_assignments.delete_by_id(workspace.state()["steps"][step]["outputs"]["id"])


def test_new_roles_are_waited_for_and_old_ones_are_not(workspace: Workspace) -> None:
    first = workspace.run("deploy", "--emulator", "--yes")
    assert first.returncode == 0, first.stderr
    bound = PROPAGATION_WAIT * float(TIME_SCALE)
    newest = max(_created(workspace, s) for s in PRE_ROLES)
    assert _caphost_created(workspace) >= newest + bound - 0.05  # created once the roles had surely propagated
    # the Search roles exist before the host (assigned first, as the samples do), whatever their age
    assert all(_created(workspace, s) <= _caphost_created(workspace) for s in SEARCH_ROLES)

    _remove_host_and_roles(workspace)
    again = workspace.run("deploy", "--emulator", "--yes")
    assert again.returncode == 0, again.stdout + again.stderr  # without the wait the new host ends Failed
    assert WAITING in again.stdout + again.stderr
    assert _caphost_created(workspace) >= max(_created(workspace, s) for s in PRE_ROLES) + bound - 0.05

    before = len(workspace.requests())
    started = time.monotonic()
    settled = workspace.run("deploy", "--emulator", "--yes")
    assert settled.returncode == 0, settled.stderr
    assert WAITING not in settled.stdout + settled.stderr
    assert not writes(workspace.requests()[before:])  # nothing to create: nothing waited for
    assert time.monotonic() - started < 60
