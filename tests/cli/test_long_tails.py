"""Long tails through the CLI: the agent subnet's link held past destroy's bound, and a capability host or an
Application Gateway that takes hours (peers-and-pain-points §2.4: 15 min to 2 days; a capability host timing out
after ~2.5 h, foundry-samples#810; Application Gateway listener changes of 20+ minutes, Azure/azure-cli#2134) —
within the step's timeout (re-attached after a kill) and past it (deploy stops, the next deploy re-attaches)."""

from __future__ import annotations

import json
import signal
import time
from typing import Any

import pytest

from foundry_litellm.emulator.admin import AdminClient
from foundry_litellm.emulator.embedded import TAILS_ENV

from .chaos import cli, not_in_sync, status_outcomes
from .conftest import CONFIG, Workspace, path_key, served


def test_a_subnet_held_past_the_bound_stops_destroy_and_a_later_destroy_finishes(workspace: Workspace) -> None:
    (workspace.path / "foundry-litellm.toml").write_text(CONFIG + "\n[foundry]\nsubnet_release_timeout_minutes = 60\n")
    deployed = workspace.run("deploy", "--emulator", "--yes")
    assert deployed.returncode == 0, deployed.stderr
    assert not [e for e in workspace.requests() if e["status"] == 429]  # Azure's budget: never noticed
    # At 0.002, destroy's bound of 60 minutes is 7.2 s; the link goes 2 h (14.4 s) after the purge.
    held = {"FOUNDRY_LITELLM_EMULATOR_TAILS": json.dumps({"link_release": "2h"})}
    stopped = workspace.run("destroy", "--emulator", "--yes", extra_env=held)
    assert stopped.returncode == 1, stopped.stderr
    errors = [line for line in stopped.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, stopped.stderr
    assert "still held by legionservicelink after 60 minutes" in errors[0]
    assert "hint: Azure releases it on its own" in stopped.stderr and "run destroy again later" in stopped.stderr
    assert "Traceback" not in stopped.stderr
    steps = workspace.state()["steps"]  # the state is still valid JSON and still holds what is left
    assert "subnet:agent" in steps and "virtual_network" in steps
    assert "foundry_account" not in steps

    links = [lk for held_links in workspace.world()["links"].values() for lk in held_links]
    release_at = max(lk["release_at"] for lk in links if lk.get("release_at") is not None)
    time.sleep(max(0.0, release_at - time.time()) + 0.2)
    finished = workspace.run("destroy", "--emulator", "--yes", extra_env=held)
    assert finished.returncode == 0, finished.stderr
    assert workspace.world()["resources"] == {}
    assert not any(workspace.world()["deleted"].values())


def test_a_capability_host_with_a_long_tail_is_reattached_after_a_kill(workspace: Workspace) -> None:
    # An emulated hour more for each capability host (7.2 s at 0.002: within the step's bound, see below), one
    # project to keep the test short.
    (workspace.path / "foundry-litellm.toml").write_text(CONFIG + "\n[foundry]\nprojects = 1\n")
    slow = {"FOUNDRY_LITELLM_EMULATOR_TAILS": json.dumps({"capability_host": "1h"})}
    proc = workspace.popen("deploy", "--emulator", "--yes", extra_env=slow)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and "capability_host:project-1" not in workspace.pending():
        time.sleep(0.2)
    assert "capability_host:project-1" in workspace.pending(), "deploy never reached the capability host"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    token = workspace.state()["steps"]["capability_host:project-1"]["pending"]["token"]
    assert token

    seen = len(workspace.requests())
    resumed = workspace.run("deploy", "--emulator", "--yes", "-o", "json", extra_env=slow, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "re-attaching to the write left in flight" in resumed.stderr
    puts = [e for e in workspace.requests()[seen:] if e["method"] == "PUT"
            and e["path"].lower().endswith("/projects/ai-project-1/capabilityhosts/caphost-project")]
    assert puts == [], "the capability host was written again instead of re-attached"
    assert not (workspace.state()["steps"]["capability_host:project-1"].get("pending") or {})


# --- a long tail past the step's timeout: deploy stops, keeps the token, and the next deploy re-attaches -----------
# The engine bounds each operation by the step's timeout scaled to the target's time scale, with a floor of 30 real
# seconds (RunContext.real_seconds). At 0.002 a capability host's 180 minutes (steps/capability_host.py: the
# platform's own timeout is about 2.5 h, foundry-samples#810) and an Application Gateway's 90 minutes (azurerm's
# create default; listener changes of 20+ minutes, Azure/azure-cli#2134) are 21.6 s and 10.8 s: the floor, 30 s,
# applies to both. A tail of 6 h (43.2 s at 0.002) outlives it by some 13 s, room for a loaded machine.
BEYOND_THE_TIMEOUT = "6h"
PROJECT_HOST = "/projects/ai-project-1/capabilityhosts/caphost-project"
APP_GATEWAY = "/providers/microsoft.network/applicationgateways/"


def _operation(admin: AdminClient, path: str) -> dict[str, Any]:
    """The latest create or update the emulator holds for the resource whose id contains ``path``."""
    ops = [op for op in admin.operations() if op["kind"] in ("create", "update") and path in op["resource"].lower()]
    assert ops, f"no operation on {path}"
    return max(ops, key=lambda op: op["start"])


def _wait_until_done(admin: AdminClient, path: str, limit: float = 90) -> dict[str, Any]:
    """Poll the emulator's operations (each admin call moves its clock on) until that operation has ended."""
    give_up = time.monotonic() + limit
    while (op := _operation(admin, path))["status"] == "InProgress":
        assert time.monotonic() < give_up, f"the operation on {path} never ended: {op}"
        time.sleep(0.5)
    return op


def _outlives_the_timeout(workspace: Workspace, tail: str, path: str, step: str, title: str, hint: str) -> None:
    """Deploy against a served emulator whose ``tail`` puts the write of ``step`` (resource ``path``) past the
    step's timeout: one error naming the step, ``hint``, the token kept; once Azure is done, a second deploy
    re-attaches (no second PUT) and finishes."""
    workspace.env[TAILS_ENV] = json.dumps({tail: BEYOND_THE_TIMEOUT})  # `emulator serve` reads it, as --*-tail
    with served(workspace) as srv:
        stopped = cli(workspace, srv, "deploy", "--yes")
        assert stopped.returncode == 1, stopped.stderr
        errors = [line for line in stopped.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, stopped.stderr
        assert title in errors[0] and "did not finish within its timeout" in errors[0], errors[0]
        hints = [line for line in stopped.stderr.splitlines() if line.startswith("hint:")]
        assert hints and hint in hints[0], stopped.stderr
        assert "Traceback" not in stopped.stderr
        assert _operation(srv.admin, path)["status"] == "InProgress"  # deploy gave up at its bound, not at the end
        pending = workspace.state()["steps"][step].get("pending") or {}
        assert pending.get("token"), workspace.state()["steps"][step]
        assert path in path_key(pending["resource_id"]), pending

        # A tail is not a stall: nothing to release, Azure finishes on its own; the next deploy comes after.
        assert _wait_until_done(srv.admin, path)["status"] == "Succeeded"
        seen = srv.wait_quiet()
        resumed = cli(workspace, srv, "deploy", "--yes")
        assert resumed.returncode == 0, resumed.stderr
        assert "re-attaching to the write left in flight" in resumed.stderr
        puts = [e for e in srv.log()[seen:] if e["method"] == "PUT" and path in path_key(e["path"])]
        assert puts == [], "the resource was written again instead of re-attached"
        assert not (workspace.state()["steps"][step].get("pending") or {})
        assert not_in_sync(status_outcomes(workspace, srv)) == {}


@pytest.mark.slow
def test_a_capability_host_past_its_timeout_stops_deploy_and_the_next_deploy_reattaches(workspace: Workspace) -> None:
    # One project: its capability host is the only one written (the platform makes the account's for the
    # network-injected account), so the tail delays that one write.
    (workspace.path / "foundry-litellm.toml").write_text(CONFIG + "\n[foundry]\nprojects = 1\n")
    # A timeout is not a failure: the hint is the re-attach one, not the failed-host recovery.
    _outlives_the_timeout(workspace, "capability_host", PROJECT_HOST, "capability_host:project-1",
                          "Project 1 capability host",
                          hint="run the same command again later: it re-attaches to the operation")


@pytest.mark.slow
def test_an_app_gateway_past_its_timeout_stops_deploy_and_the_next_deploy_reattaches(workspace: Workspace) -> None:
    (workspace.path / "foundry-litellm.toml").write_text(CONFIG + "\n[foundry]\nprojects = 1\n")
    _outlives_the_timeout(workspace, "app_gateway", APP_GATEWAY, "application_gateway", "Application Gateway",
                          hint="run the same command again later: it re-attaches to the operation")
