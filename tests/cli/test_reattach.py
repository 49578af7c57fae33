"""Every step's operation in flight is re-attached through its continuation token after a kill: no second write.

A staircase, deterministic without timing: every long-running write (or delete) the emulator accepts stalls
(`stall_operation`), so a run cannot get past the operations it started. Once every stalled operation has its
continuation token in the state file, the CLI is killed, the stalled operations are released, and a plain
re-run resumes — re-attaching to them — and goes one level further before stalling again. Round by round,
every long-running step of the pipeline is killed in flight once and resumed.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from typing import Any

import pytest

from foundry_litellm.emulator.admin import AdminClient

from .conftest import Workspace, path_key, served

STALL_PUTS = {"seed": 0, "rules": [{"method": "PUT", "path": "/subscriptions/", "stall_operation": True}]}
STALL_DELETES = {"seed": 0, "rules": [{"method": "DELETE", "path": "/subscriptions/", "stall_operation": True}]}
# Written again legitimately after a kill: the generated master key lived only in the killed run, so while no
# deploy has finished it is replaced, and the gateway app and the connections follow it; likewise the PostgreSQL
# credentials when the server did not exist yet.
FOLLOW_A_LOST_SECRET = ("/secrets/litellm-master-key", "/containerapps/", "/connections/litellm-gateway-",
                        "/secrets/postgres-admin-password", "/secrets/database-url", "/flexibleservers/psql-")
# Long-running step kinds (their PUT or DELETE answers with an operation to poll) that must each be seen in flight.
# The Foundry project too, though Azure answers its PUT only once done, with no operation to poll (recording
# cognitiveservices/test_project_connections_from_file.yaml): a run killed while the answer is held has no token,
# and the re-run must wait for the project rather than send its PUT again.
LRO_KINDS = {"network_security_group", "virtual_network", "subnet", "private_dns_zone", "private_dns_zone_link",
             "key_vault", "storage_account", "cosmos_account", "search_service", "postgres_server",
             "private_endpoint", "foundry_account", "foundry_project", "capability_host",
             "container_apps_environment", "litellm_app", "application_gateway"}


def _held(admin: AdminClient) -> set[str]:
    """Resources whose synchronous answer is held by a stalled operation: in flight with no token to save."""
    return {op["resource"].lower() for op in admin.operations()
            if op["status"] == "InProgress" and op["stall"] and op.get("held")}


def _stalled(admin: AdminClient) -> dict[str, str]:
    """Resources with a stalled operation, as the state file names them (a purge of a deleted Foundry account is the
    account step's), each with the id the emulator's operation holds (what a release names)."""
    stalled = {}
    for op in admin.operations():
        if op["status"] == "InProgress" and op["stall"]:
            found = re.match(r"(/subscriptions/[^/]+)/providers/(microsoft\.cognitiveservices)/locations/[^/]+"
                             r"(/resourcegroups/[^/]+)/deletedaccounts/(.+)", op["resource"].lower())
            named = f"{found[1]}{found[3]}/providers/{found[2]}/accounts/{found[4]}" if found else op["resource"]
            stalled[named.lower()] = op["resource"]
    return stalled


def _staircase(workspace: Workspace, admin: AdminClient, command: list[str]) -> tuple[set[str], int]:
    """Kill, release, re-run until a run finishes by itself. Returns the steps killed in flight and the rounds.

    A write sent between the last look and the kill is in flight too, only without its token yet (the re-run must
    wait for it rather than send it again): its step counts as killed in flight as well."""
    killed_in_flight: set[str] = set()
    raced: set[str] = set()
    for rounds in range(1, 60):
        # A write the killed run had sent may land after the kill: stalled, with no token saved. It was in flight
        # too; release it, so that the re-run finds it done rather than waiting on it.
        late = set(_stalled(admin)) - set(workspace.pending().values())
        if late:
            raced |= late
            admin.release_operations(sorted(_stalled(admin)[k] for k in late))
        proc = workspace.popen(*command)
        give_up = time.monotonic() + 120  # a round takes seconds; this only turns a hang into a clear failure
        try:
            while proc.poll() is None:
                assert time.monotonic() < give_up, f"stuck: stalled {_stalled(admin)}, pending {workspace.pending()}"
                stalled, pending, held = _stalled(admin), workspace.pending(), _held(admin)
                # Once every stalled operation has its token saved (a held answer has none): kill if a step is in
                # flight for the first time, else let the run go on (a step written again after a lost secret).
                if stalled and set(stalled) - held <= set(pending.values()):
                    if set(pending) - killed_in_flight or held - raced:
                        proc.send_signal(signal.SIGKILL)
                        proc.wait(timeout=10)
                        killed_in_flight |= set(pending)
                        raced |= set(_stalled(admin)) - set(workspace.pending().values())
                        break
                    # only those: a new one may have started since
                    admin.release_operations(sorted(stalled.values()))
                time.sleep(0.05)
            else:
                _out, err = proc.communicate(timeout=10)
                assert proc.returncode == 0, err
                steps = workspace.state()["steps"]
                return killed_in_flight | {name for name, step in steps.items()
                                           if path_key(step.get("resource_id") or "") in raced}, rounds
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        assert admin.release_operations() >= 1
    raise AssertionError("the staircase did not end")


def _writes_per_resource(log: list[dict[str, Any]], method: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in log:
        if entry["method"] == method and entry["status"] is not None and entry["status"] < 400:
            counts[entry["path"].lower()] = counts.get(entry["path"].lower(), 0) + 1
    return counts


@pytest.mark.slow
def test_every_long_running_step_killed_in_flight_is_reattached_without_a_second_put(workspace: Workspace) -> None:
    with served(workspace, STALL_PUTS) as srv:
        admin = srv.admin
        killed, rounds = _staircase(workspace, admin, ["deploy", *srv.endpoint, "--yes"])
        kinds = {name.split(":")[0] for name in killed}
        assert kinds >= LRO_KINDS, f"never killed in flight: {sorted(LRO_KINDS - kinds)}"
        log = srv.log()
        twice = {path: n for path, n in _writes_per_resource(log, "PUT").items()
                 if n > 1 and not any(part in path for part in FOLLOW_A_LOST_SECRET)}
        assert twice == {}, f"written again after {rounds} kills: {twice}"
        admin.clear_faults()
        status = json.loads(workspace.run("status", *srv.endpoint, "-o", "json").stdout)
        assert {s["outcome"] for s in status["steps"]} == {"in sync"}


@pytest.mark.slow
def test_every_deletion_killed_in_flight_is_reattached_and_destroy_ends_clean(workspace: Workspace) -> None:
    with served(workspace) as srv:
        admin = srv.admin
        assert workspace.run("deploy", *srv.endpoint, "--yes").returncode == 0
        admin.set_faults(STALL_DELETES)
        seen = len(admin.requests())
        killed, rounds = _staircase(workspace, admin, ["destroy", *srv.endpoint, "--yes"])
        assert len({name.split(":")[0] for name in killed}) >= 8, killed
        deletes = _writes_per_resource(admin.requests(seen), "DELETE")
        assert {path: n for path, n in deletes.items() if n > 1} == {}, f"deleted twice after {rounds} kills"
        assert admin.resources() == []
        assert admin.deleted() == [], "nothing may stay soft-deleted"
