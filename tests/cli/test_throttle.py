"""ARM's throttle through the CLI: past a tightened budget the tool slows down, it does not fail (retry.py
retries a 429 for every method, honouring Retry-After)."""

from __future__ import annotations

import json

from .conftest import Workspace


def test_a_tight_write_budget_slows_deploy_down_rather_than_failing(workspace: Workspace) -> None:
    # A bucket of 5 writes refilled at 5 a real second, for a deployment of about 115 writes sent 16 at a time.
    tight = {"FOUNDRY_LITELLM_EMULATOR_THROTTLE": json.dumps({"writes": "5/5"})}
    done = workspace.run("deploy", "--emulator", "--yes", "-o", "json", extra_env=tight, timeout=300)
    assert done.returncode == 0, done.stderr
    log = workspace.requests()
    throttled = [i for i, e in enumerate(log) if e["status"] == 429]
    assert len(throttled) > 20, "the budget never bit"
    assert all(log[i]["method"] != "GET" for i in throttled)  # reads kept Azure's budget
    for i in throttled:  # each refused write is sent again and lands
        entry = log[i]
        assert any(e["method"] == entry["method"] and e["path"] == entry["path"] and e["status"] < 400
                   for e in log[i + 1:]), entry
    status = json.loads(workspace.run("status", "--emulator", "-o", "json").stdout)
    assert {s["outcome"] for s in status["steps"]} == {"in sync"}
