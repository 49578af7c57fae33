"""A harness for chaos tests and benchmarks/reliability.py: the CLI as a subprocess against `emulator serve`, its
request log, kills, faults.

Everything here reads the emulator's request log (``requests.jsonl`` in the served data dir): one entry per
request, in the order the emulator handled them, with ``seq``, ``method``, ``path``, ``status`` (None when the
connection was dropped before an answer) and ``fault`` when a rule fired.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .conftest import Entry, Served, Workspace, is_write, make_workspace, path_key, served, writes

# A whole deploy lasts about 6-10 s at this scale on 2 cores: long enough that the long operations (PostgreSQL,
# Container Apps, Application Gateway, capability hosts) are in flight over many requests.
KILL_TIME_SCALE = "0.004"
FAULT_TIME_SCALE = "0.002"
# Azure's long-running operation status URLs (Azure-AsyncOperation and Location styles).
OPERATION_POLL = re.compile(r"/operation(statuses|results)/")


# --- the CLI against a served emulator ------------------------------------------------------------------------
def cli(workspace: Workspace, srv: Served, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the CLI against the served emulator (the endpoint options are added)."""
    return workspace.run(*args[:1], *srv.endpoint, *args[1:], timeout=timeout)


def status_outcomes(workspace: Workspace, srv: Served) -> dict[str, str]:
    """``status -o json``: each step's outcome (empty when status itself failed to answer JSON)."""
    result = cli(workspace, srv, "status", "-o", "json")
    try:
        return {s["step"]: s["outcome"] for s in json.loads(result.stdout)["steps"]}
    except (ValueError, KeyError):
        return {"(status)": f"exit {result.returncode}: {last_line(result.stderr)}"}


def not_in_sync(outcomes: dict[str, str]) -> dict[str, str]:
    return {step: outcome for step, outcome in outcomes.items() if outcome != "in sync"}


def last_line(text: str) -> str:
    """The CLI's error: its last lines that are not progress (an error line and its hint)."""
    lines = [line for line in text.splitlines() if line.strip()]
    errors = [i for i, line in enumerate(lines) if line.startswith(("error", "Error", "hint"))]
    return " | ".join(lines[errors[0]:] if errors else lines[-1:])


# --- reading the request log ----------------------------------------------------------------------------------
def landed(entry: Entry) -> bool:
    """The emulator carried the request out: a 2xx status was logged. A request dropped before processing logs
    None; one dropped after processing (``drop_connection_after``) logs the real status."""
    status = entry.get("status")
    return status is not None and 200 <= status < 300


def writes_by_path(entries: Iterable[Entry], *, only_landed: bool = False) -> Counter[str]:
    return Counter(path_key(e) for e in entries if is_write(e) and (landed(e) or not only_landed))


def matching(entries: Iterable[Entry], method: str, pattern: str) -> list[Entry]:
    """Requests of ``method`` whose lower-cased path (query stripped) matches the regular expression."""
    regex = re.compile(pattern)
    return [e for e in entries if e["method"] == method and regex.search(path_key(e))]


def fault_summary(entries: Iterable[Entry]) -> dict[str, int]:
    """How many faults of each kind fired: "429", "503", "dropped before", "dropped after"."""
    summary: Counter[str] = Counter()
    for entry in entries:
        fault = entry.get("fault")
        if fault is None:
            continue
        if fault.get("dropped"):
            summary["dropped after" if entry.get("status") is not None else "dropped before"] += 1
        else:
            summary[str(fault.get("status"))] += 1
    return dict(summary)


# --- faults ---------------------------------------------------------------------------------------------------
def fault_mix(seed: int, *, retry_after: float = 0.05) -> dict[str, Any]:
    """Transient faults on every method and path under /subscriptions/: 10 % 429 with a Retry-After, 10 % 503,
    5 % lost connections (half before the server acts, half after it has carried the request out)."""
    everything = {"method": "*", "path": "/subscriptions/"}
    return {"seed": seed, "rules": [
        {**everything, "status": 429, "retry_after": retry_after, "probability": 0.10},
        {**everything, "status": 503, "probability": 0.10},
        {**everything, "drop_connection": True, "probability": 0.025},
        {**everything, "drop_connection_after": True, "probability": 0.025},
    ]}


@dataclass
class Outcome:
    result: subprocess.CompletedProcess[str]
    log: list[Entry]  # every request of the run
    out_of_sync: dict[str, str]  # what `status` (run without faults) finds not in sync

    @property
    def error(self) -> str:
        return last_line(self.result.stderr)


def deploy_checked(workspace: Workspace, srv: Served) -> Outcome:
    """A deploy under whatever faults the emulator holds; then the faults are cleared and `status` checks the end
    state (status is not what is under test, so it does not run on its own luck)."""
    seen = srv.log_length()
    result = cli(workspace, srv, "deploy", "--yes", "-o", "json", timeout=600)
    log = srv.log()[seen:]
    srv.admin.clear_faults()
    return Outcome(result, log, not_in_sync(status_outcomes(workspace, srv)))


def deploy_under(workspace: Workspace, faults: dict[str, Any] | None, *, time_scale: str) -> Outcome:
    """A deploy from scratch under a fault document, checked by `status` (`deploy_checked`)."""
    with served(workspace, faults, time_scale=time_scale) as srv:
        return deploy_checked(workspace, srv)


@dataclass
class Destroyed:
    result: subprocess.CompletedProcess[str]
    log: list[Entry]  # every request of the destroy
    resources: list[str]  # ids the emulator still holds
    deleted: list[dict[str, Any]]  # what stays soft-deleted

    @property
    def outcomes(self) -> dict[str, str]:
        """Each step's outcome, from the report on stdout (a destroy that exits 0 prints one)."""
        return {s["step"]: s["outcome"] for s in json.loads(self.result.stdout)["steps"]}

    @property
    def clean(self) -> bool:
        """Exit 0, nothing failed, nothing left: the resource group is the tool's own (it created it)."""
        return (self.result.returncode == 0 and "failed" not in self.outcomes.values() and not self.resources
                and not self.deleted)


def destroy_under(workspace: Workspace, srv: Served, faults: dict[str, Any]) -> Destroyed:
    """``destroy --yes`` of what is deployed, under a fault document; then the faults are cleared and the
    emulator tells what remains."""
    seen = srv.log_length()
    srv.admin.set_faults(faults)
    result = cli(workspace, srv, "destroy", "--yes", "-o", "json", timeout=600)
    log = srv.log()[seen:]
    srv.admin.clear_faults()
    return Destroyed(result, log, [r["id"] for r in srv.admin.resources()], srv.admin.deleted())


# --- killing a deploy at a request sequence number -------------------------------------------------------------
@dataclass
class Kill:
    killed: bool  # False: the deploy ended before the log reached the kill point
    seen_at_kill: int  # writes in the log when SIGKILL was sent
    boundary: int  # log length once the server had handled everything the killed run sent
    pending: dict[str, str]  # read right after the kill
    returncode: int | None


def deploy_and_kill(workspace: Workspace, srv: Served, kill_after: int, *, timeout: float = 300) -> Kill:
    """Start ``deploy --yes``, SIGKILL it once the request log holds ``kill_after`` writes. Writes, not requests:
    how many polls a run sends depends on the machine's load, the writes it sends do not."""
    out = (workspace.path / "killed.stdout").open("w")
    err = (workspace.path / "killed.stderr").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "foundry_litellm", "deploy", *srv.endpoint, "--yes"],
                            cwd=workspace.path, env=workspace.env, stdout=out, stderr=err,
                            stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        seen = 0
        while proc.poll() is None and time.monotonic() < deadline:
            seen = len(writes(srv.log()))
            if seen >= kill_after:
                break
            time.sleep(0.005)
        killed = proc.poll() is None
        if killed:
            proc.kill()  # SIGKILL: no handler, no clean-up, as a CI runner losing its agent
        proc.wait(timeout=30)
        pending = workspace.pending()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        out.close()
        err.close()
    return Kill(killed, seen, srv.wait_quiet(), pending, proc.returncode)


# --- what a re-run after a kill may write -----------------------------------------------------------------------
GENERATED_SECRETS = re.compile(r"/providers/microsoft\.keyvault/vaults/[^/]+/secrets/"
                               r"(litellm-master-key|postgres-admin-password|database-url)$")
MASTER_KEY = re.compile(r"/providers/microsoft\.keyvault/vaults/[^/]+/secrets/litellm-master-key$")
# What carries the LiteLLM master key: the gateway app (its revision resolves the key) and the ModelGateway
# connections (their credential is the key).
MASTER_KEY_FOLLOWERS = (re.compile(r"/providers/microsoft\.app/containerapps/[^/]+$"),
                        re.compile(r"/providers/microsoft\.cognitiveservices/accounts/[^/]+/connections/"
                                   r"litellm-gateway-[^/]+$"))


@dataclass
class PointReport:
    kill_after: int
    kill: Kill | None = None
    rerun_returncode: int | None = None
    rerun_error: str = ""
    out_of_sync: dict[str, str] = field(default_factory=dict)
    second_puts: list[str] = field(default_factory=list)
    rewrites: list[str] = field(default_factory=list)
    followed: list[str] = field(default_factory=list)  # rewrites allowed: a lost generated secret and its users
    error: str = ""

    @property
    def converged(self) -> bool:
        return self.rerun_returncode == 0 and not self.out_of_sync

    @property
    def ok(self) -> bool:
        return (self.kill is not None and self.kill.killed and self.converged and not self.second_puts
                and not self.rewrites and not self.error)

    def line(self) -> str:
        kill = self.kill
        where = "not killed" if kill is None or not kill.killed else \
            f"killed at write {kill.seen_at_kill} (log boundary {kill.boundary})"
        text = (f"k={self.kill_after:4d} {where}; in flight {sorted(kill.pending) if kill else []}; "
                f"converged {'yes' if self.converged else 'no'} (rerun exit {self.rerun_returncode})")
        if self.rerun_error:
            text += f" [{self.rerun_error}]"
        if self.out_of_sync:
            text += f"; not in sync {self.out_of_sync}"
        if self.second_puts:
            text += f"; second PUT to in-flight {self.second_puts}"
        if self.rewrites:
            text += f"; rewrites {self.rewrites}"
        if self.followed:
            text += f"; lost secret followed by {[p.rsplit('/', 1)[-1] for p in self.followed]}"
        if self.error:
            text += f"; error {self.error}"
        return text


def judge_rerun(before: list[Entry], rerun: list[Entry], pending: dict[str, str],
                expected: Counter[str]) -> tuple[list[str], list[str], list[str]]:
    """Second PUTs to operations in flight at the kill, rewrites of resources done before it, and the rewrites
    allowed because they follow a lost generated secret (paths).

    A resource path is *done before the kill* when every write the path receives in a whole uninterrupted
    deploy (``expected``, counted from the measured run; today one per path) had landed before the kill: the
    emulator logged a 2xx for it, so Azure holds what was sent. Whether its long-running operation had finished
    does not matter: a write that landed is either recorded with its continuation token (the re-run re-attaches)
    or, killed before the token was saved, found Creating/Updating by the re-run's read, which waits for it
    (RunContext.settle) — in neither case may the same write be sent again, and with no fault injected nothing
    makes that operation fail. Counting a landed write as done is therefore both simple (the log alone decides)
    and sound (no legitimate re-run write is flagged), and stricter than waiting for a terminal state.

    A done path may be written again only when it follows a generated secret that the killed run wrote but whose
    value died with it (the management plane never returns a value; README "Secrets"):
    - ``litellm-master-key``, ``postgres-admin-password``, ``database-url`` themselves (regenerated);
    - the LiteLLM app and the ``litellm-gateway-*`` ModelGateway connections, when the re-run did write a new
      master key (they carry it);
    - the PostgreSQL server, only when it did not exist at the kill: that is, when no write of it had landed,
      which makes it not done; a server that existed is never rewritten.

    Second PUT: a resource the state file recorded with a token right after the kill (``pending``) must get no
    PUT in the re-run: the re-run re-attaches to that operation. The one exception is a follower of a master key
    the re-run wrote before that PUT: a new body (a new key), not the same operation sent twice.
    """
    landed_before = writes_by_path(before, only_landed=True)
    done = {path for path, n in landed_before.items() if n >= expected.get(path, 1)}
    rerun_writes = [e for e in rerun if is_write(e)]
    master_key_at = next((i for i, e in enumerate(rerun_writes) if landed(e) and MASTER_KEY.search(path_key(e))),
                         None)

    def follows_new_master_key(path: str, index: int) -> bool:
        return master_key_at is not None and master_key_at < index and \
            any(r.search(path) for r in MASTER_KEY_FOLLOWERS)

    in_flight = set(pending.values())
    second: list[str] = []
    rewrites: list[str] = []
    followed: list[str] = []
    for i, entry in enumerate(rerun_writes):
        path = path_key(entry)
        follows = follows_new_master_key(path, i)
        described = f"{entry['method']} {path} ({entry.get('status')})"
        if entry["method"] == "PUT" and path in in_flight and not follows:
            second.append(described)
        if path not in done:
            continue
        if follows or GENERATED_SECRETS.search(path):
            followed.append(path)
        else:
            rewrites.append(described)
    return sorted(set(second)), sorted(set(rewrites)), sorted(set(followed))


def kill_points(measured_writes: int, n: int) -> list[int]:
    """``n`` write sequence numbers spread uniformly over a run of ``measured_writes`` writes (its ends excluded: a
    kill before the first write or after the last tests nothing)."""
    return [max(1, round(measured_writes * (i + 1) / (n + 1))) for i in range(n)]


@dataclass
class Measured:
    writes: int  # how many writes a whole deploy sends (its polls vary with the machine's load; these do not)
    landed_writes: Counter[str]  # per resource path (what judge_rerun calls ``expected``)
    seconds: float


def measure_deploy(path: Path) -> Measured:
    """One whole deploy in a new workspace at ``path``: the run the kill points are spread over."""
    workspace = make_workspace(path)
    with served(workspace, time_scale=KILL_TIME_SCALE) as srv:
        started = time.monotonic()
        result = cli(workspace, srv, "deploy", "--yes")
        elapsed = time.monotonic() - started
        assert result.returncode == 0, result.stderr
        log = srv.log()
    return Measured(len(writes(log)), writes_by_path(log, only_landed=True), elapsed)


def kill_then_rerun(path: Path, kill_after: int, expected: Counter[str]) -> PointReport:
    """In a new workspace at ``path``: a deploy SIGKILLed at request ``kill_after``, then ONE plain re-run,
    judged from the request log (`judge_rerun`) and by `status`."""
    report = PointReport(kill_after)
    workspace = make_workspace(path)
    try:
        with served(workspace, time_scale=KILL_TIME_SCALE) as srv:
            report.kill = kill = deploy_and_kill(workspace, srv, kill_after)
            if not kill.killed:
                report.error = f"the deploy ended (exit {kill.returncode}) before request {kill_after}"
                return report
            rerun = cli(workspace, srv, "deploy", "--yes", "-o", "json")
            report.rerun_returncode = rerun.returncode
            if rerun.returncode != 0:
                report.rerun_error = last_line(rerun.stderr)
            log = srv.log()
            before, after = log[:kill.boundary], log[kill.boundary:]
            report.second_puts, report.rewrites, report.followed = judge_rerun(before, after, kill.pending,
                                                                               expected)
            report.out_of_sync = not_in_sync(status_outcomes(workspace, srv))
    except Exception as exc:  # one broken point must not hide the others' reports
        report.error = f"{type(exc).__name__}: {exc}"
    return report
