"""A run with nothing to do (deploy, deploy --plan, status of a deployed environment): no write, no resource read
twice, and its reads sent together, not one round trip after another (issue 17: a no-op costs about one round
trip of latency, whatever the number of resources)."""

from __future__ import annotations

import difflib
from collections import Counter
from datetime import datetime

from .conftest import Entry, Served, Workspace, is_write, path_key, served

# Latency added to every request of the runs measured: much longer than the CPU time a run spends between its first
# request and its last one (imports, TLS, threads), so that "sent after another's answer came" means a round trip
# the run waited for, not a slow machine.
LATENCY_MS = 10_000


def _span(entry: Entry) -> tuple[float, float]:
    """When the emulator started and finished handling the request (its log has the end and the duration)."""
    end = datetime.fromisoformat(str(entry["time"]).replace("Z", "+00:00")).timestamp()
    return end - float(entry["duration_ms"]) / 1000, end


def rounds(entries: list[Entry]) -> int:
    """The longest chain of requests each sent after the previous one was answered: the round trips the run
    waited for one after another."""
    spans = sorted(_span(e) for e in entries)
    depth: list[int] = []
    for i, (start, _) in enumerate(spans):
        depth.append(1 + max((depth[j] for j in range(i) if spans[j][1] <= start), default=0))
    return max(depth, default=0)


def _run(workspace: Workspace, srv: Served, *args: str) -> list[Entry]:
    seen = srv.wait_quiet()
    result = workspace.run(*args, *srv.endpoint)
    assert result.returncode == 0, result.stderr
    return srv.log()[seen:]


# Each command, and the round trips it may wait for one after another.
COMMANDS: dict[tuple[str, ...], int] = {
    ("deploy", "--yes"): 1,
    ("deploy", "--plan"): 1,  # the caller's permissions are read with the rest
    ("status",): 2,  # Application Gateway's backend health: a POST, then its operation's status
}


def _faults(sent: list[Entry], most_rounds: int) -> dict[str, object]:
    """What a run with nothing to do did wrong: empty when nothing."""
    found: dict[str, object] = {}
    if written := [f"{e['method']} {e['path']}" for e in sent if is_write(e)]:
        found["writes"] = written
    if twice := sorted(url for url, n in Counter(path_key(e) for e in sent).items() if n > 1):
        found["read twice"] = twice
    if (waited := rounds(sent)) > most_rounds:
        first_answer = min(_span(e)[1] for e in sent)
        found[f"{waited} rounds"] = [f"{e['method']} {path_key(e)}" for e in sent if _span(e)[0] >= first_answer]
    return found


def test_a_run_with_nothing_to_do_reads_each_resource_once_in_one_round(workspace: Workspace) -> None:
    with served(workspace) as srv:
        first = workspace.run("deploy", "--yes", *srv.endpoint)
        assert first.returncode == 0, first.stderr
        srv.admin.set_faults({"seed": 0, "rules": [{"latency_ms": LATENCY_MS}]})
        runs = {" ".join(command): _run(workspace, srv, *command) for command in COMMANDS}
    assert all(runs.values())
    found = {name: _faults(sent, most) for (name, sent), most in zip(runs.items(), COMMANDS.values(), strict=True)}
    assert found == {name: {} for name in runs}


def test_a_deploy_with_nothing_to_do_leaves_the_state_file_as_it_was(workspace: Workspace) -> None:
    """No version of the state document is written (the history keeps the last 50: a no-op must not push the
    versions worth rolling back to out of it)."""
    for _ in range(2):  # the second learns what the first could not (registrations done, an adopted resource's id)
        assert workspace.run("deploy", "--emulator", "--yes").returncode == 0
    state_file = workspace.state_dir / "test.json"
    before = state_file.read_text(), sorted(p.name for p in (workspace.state_dir / "history" / "test").iterdir())
    again = workspace.run("deploy", "--emulator", "--yes")
    assert again.returncode == 0, again.stderr
    after = state_file.read_text(), sorted(p.name for p in (workspace.state_dir / "history" / "test").iterdir())
    assert after == before, "\n".join(difflib.unified_diff(before[0].splitlines(), after[0].splitlines(), lineterm=""))
