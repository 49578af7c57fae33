"""A deploy killed mid-run resumes: no duplicate resources, no second PUT for an operation in flight."""

from __future__ import annotations

import json
import signal
import time

from .conftest import Workspace

SLOW = {"FOUNDRY_LITELLM_EMULATOR_TIME_SCALE": "0.05"}  # operations last 0.25-2 s: a kill catches them in flight


def test_sigkill_mid_deploy_then_rerun_converges_without_a_second_put(workspace: Workspace) -> None:
    proc = workspace.popen("deploy", "--emulator", "--yes", extra_env=SLOW)
    deadline = time.monotonic() + 60
    in_flight: dict[str, str] = {}
    while time.monotonic() < deadline and len(in_flight) < 3:
        in_flight = workspace.pending()
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert in_flight, "the deploy was killed before any operation was in flight"
    state_after_kill = workspace.state()  # the state file survived the kill as valid JSON
    assert state_after_kill["schema_version"] == 1

    rerun = workspace.run("deploy", "--emulator", "--yes", "-o", "json", extra_env=SLOW)
    assert rerun.returncode == 0, rerun.stderr

    # accepted ones: a PUT refused (PrincipalNotFound while Entra replicates a new identity) landed nothing
    puts: dict[str, int] = {}
    for entry in workspace.requests():
        if entry["method"] == "PUT" and entry["status"] < 300:
            key = entry["path"].lower()
            puts[key] = puts.get(key, 0) + 1
    for step, resource_id in in_flight.items():
        assert puts.get(resource_id.lower()) == 1, f"{step}: {puts.get(resource_id.lower())} PUTs"
    assert all(count == 1 for count in puts.values()), {k: v for k, v in puts.items() if v > 1}
    status = json.loads(workspace.run("status", "--emulator", "-o", "json", extra_env=SLOW).stdout)
    assert {s["outcome"] for s in status["steps"]} == {"in sync"}
    ids = [r["id"].lower() for r in workspace.world()["resources"].values()]
    assert len(ids) == len(set(ids))


def test_a_second_concurrent_run_is_refused_with_exit_3(workspace: Workspace) -> None:
    first = workspace.popen("deploy", "--emulator", "--yes", extra_env=SLOW)
    try:
        deadline = time.monotonic() + 30
        while not (workspace.state_dir / "test.lock").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)
        second = workspace.run("status", "--emulator", extra_env=SLOW, timeout=30)
        assert second.returncode == 3, second.stderr
        assert "locked" in second.stderr
    finally:
        first.kill()
        first.wait(timeout=10)
