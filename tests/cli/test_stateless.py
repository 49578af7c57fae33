"""The state file is a cache, not the truth: a CI runner that lost it converges without a write.

Ephemeral CI runners start without the previous run's files; every name is derived (uniqueString) and every
secret lives in Key Vault, so a run without state reads Azure and finds everything in place.
"""

from __future__ import annotations

import json

from .conftest import Workspace, writes


def test_a_lost_state_file_costs_reads_only(workspace: Workspace) -> None:
    assert workspace.run("deploy", "--emulator", "--yes").returncode == 0
    outputs = json.loads(workspace.run("outputs", "-o", "json").stdout)
    (workspace.state_dir / "test.json").unlink()
    seen = len(workspace.requests())

    again = workspace.run("deploy", "--emulator", "--yes", "-o", "json")
    assert again.returncode == 0, again.stderr
    assert writes(workspace.requests()[seen:]) == [], [f"{e['method']} {e['path']}"
                                                        for e in writes(workspace.requests()[seen:])]
    assert {s["outcome"] for s in json.loads(again.stdout)["steps"]} == {"unchanged"}
    assert json.loads(workspace.run("outputs", "-o", "json").stdout) == outputs
