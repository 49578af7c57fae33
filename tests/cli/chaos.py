"""A harness for chaos tests: the CLI as a subprocess against `emulator serve`, its request log, kills, faults.

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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from foundry_litellm.emulator.admin import AdminClient

from .conftest import CONFIG, Workspace, base_env

Entry = dict[str, Any]

WRITE_METHODS = ("PUT", "PATCH", "POST", "DELETE")
# POST actions that only read: Application Gateway's backend health, the Log Analytics workspace's shared keys.
READ_ONLY_ACTIONS = ("/backendhealth", "/sharedkeys")
# Azure's long-running operation status URLs (Azure-AsyncOperation and Location styles).
OPERATION_POLL = re.compile(r"/operation(statuses|results)/")


# --- a workspace and an emulator served in a subprocess -------------------------------------------------------
def make_workspace(path: Path, config: str = CONFIG) -> Workspace:
    """A workspace in ``path`` (for tests that need several of them, e.g. one per kill point)."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "foundry-litellm.toml").write_text(config)
    return Workspace(path, base_env(path))


@dataclass
class Served:
    """An `emulator serve` subprocess: the CLI's endpoint options, its admin client and its request log."""

    url: str
    ca_cert: str
    data_dir: Path
    proc: subprocess.Popen[str]

    @property
    def endpoint(self) -> list[str]:
        return ["--endpoint", self.url, "--ca-cert", self.ca_cert]

    @property
    def admin(self) -> AdminClient:
        return AdminClient(self.url, self.ca_cert)

    @property
    def log_path(self) -> Path:
        return self.data_dir / "requests.jsonl"

    def log(self) -> list[Entry]:
        """The request log as the emulator has written it so far (a line being written is left out)."""
        if not self.log_path.exists():
            return []
        entries = []
        for line in self.log_path.read_text().splitlines():
            try:
                entries.append(json.loads(line))
            except ValueError:  # the line the server is writing right now
                continue
        return entries

    def log_length(self) -> int:
        """How many requests the log holds (complete lines)."""
        if not self.log_path.exists():
            return 0
        with self.log_path.open("rb") as handle:
            return handle.read().count(b"\n")

    def wait_quiet(self, quiet: float = 0.4, timeout: float = 10.0) -> int:
        """Wait until the log stops growing (requests the server was still handling are logged); its length."""
        deadline = time.monotonic() + timeout
        length = self.log_length()
        still_since = time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            now = self.log_length()
            if now != length:
                length, still_since = now, time.monotonic()
            elif time.monotonic() - still_since >= quiet:
                break
        return length


@contextmanager
def serve(workspace: Workspace, faults: dict[str, Any] | None = None, *, time_scale: str) -> Iterator[Served]:
    """`foundry-litellm emulator serve` for the block, with its data dir under the workspace."""
    args = [sys.executable, "-m", "foundry_litellm", "emulator", "serve", "--data-dir", str(workspace.path / "srv"),
            "--time-scale", time_scale]
    if faults is not None:
        faults_file = workspace.path / "faults.json"
        faults_file.write_text(json.dumps(faults))
        args += ["--faults", str(faults_file)]
    stderr = (workspace.path / "serve.stderr").open("w")
    proc = subprocess.Popen(args, env=workspace.env, stdout=subprocess.PIPE, stderr=stderr, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line, f"emulator serve did not start: {(workspace.path / 'serve.stderr').read_text()}"
        info = json.loads(line)
        yield Served(info["url"], info["ca_cert"], Path(info["data_dir"]), proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        stderr.close()


def cli(workspace: Workspace, served: Served, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the CLI against the served emulator (the endpoint options are added)."""
    return workspace.run(*args[:1], *served.endpoint, *args[1:], timeout=timeout)


def status_outcomes(workspace: Workspace, served: Served) -> dict[str, str]:
    """``status -o json``: each step's outcome (empty when status itself failed to answer JSON)."""
    result = cli(workspace, served, "status", "-o", "json")
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
def path_key(entry_or_path: Entry | str) -> str:
    """The resource path of a request: lower-cased, query stripped (ARM ids are case-insensitive)."""
    path = entry_or_path if isinstance(entry_or_path, str) else entry_or_path["path"]
    return path.split("?", 1)[0].lower().rstrip("/")


def is_write(entry: Entry) -> bool:
    """A request that changes something (POST actions that only read are not writes)."""
    return entry["method"] in WRITE_METHODS and not path_key(entry).endswith(READ_ONLY_ACTIONS)


def landed(entry: Entry) -> bool:
    """The emulator carried the request out: a 2xx status was logged. A request dropped before processing logs
    None; one dropped after processing (``drop_connection_after``) logs the real status."""
    status = entry.get("status")
    return status is not None and 200 <= status < 300


def writes(entries: Iterable[Entry]) -> list[Entry]:
    return [e for e in entries if is_write(e)]


def writes_by_path(entries: Iterable[Entry], *, only_landed: bool = False) -> Counter[str]:
    return Counter(path_key(e) for e in entries if is_write(e) and (landed(e) or not only_landed))


def matching(entries: Iterable[Entry], method: str, pattern: str) -> list[Entry]:
    """Requests of ``method`` whose lower-cased path (query stripped) matches the regular expression."""
    regex = re.compile(pattern)
    return [e for e in entries if e["method"] == method and regex.search(path_key(e))]


def second_puts(entries: Iterable[Entry]) -> dict[str, int]:
    """Resource paths that received more than one PUT that landed."""
    counts = Counter(path_key(e) for e in entries if e["method"] == "PUT" and landed(e))
    return {path: n for path, n in counts.items() if n > 1}


def faulted(entries: Iterable[Entry]) -> list[Entry]:
    """Requests a fault rule fired on."""
    return [e for e in entries if "fault" in e]


def fault_summary(entries: Iterable[Entry]) -> dict[str, int]:
    """How many faults of each kind fired: "429", "503", "dropped before", "dropped after"."""
    summary: Counter[str] = Counter()
    for entry in faulted(entries):
        fault = entry["fault"]
        if fault.get("dropped"):
            summary["dropped after" if entry.get("status") is not None else "dropped before"] += 1
        else:
            summary[str(fault.get("status"))] += 1
    return dict(summary)


def statuses(entries: Iterable[Entry]) -> list[int | None]:
    return [e.get("status") for e in entries]


@dataclass
class Outcome:
    result: subprocess.CompletedProcess[str]
    log: list[Entry]  # every request of the deploy
    out_of_sync: dict[str, str]  # what `status` (run without faults) finds not in sync

    @property
    def error(self) -> str:
        return last_line(self.result.stderr)


def deploy_under(workspace: Workspace, faults: dict[str, Any] | None, *, time_scale: str) -> Outcome:
    """A deploy from scratch under a fault document; then the faults are cleared and `status` checks the end
    state (status is not what is under test, so it does not run on its own luck)."""
    with serve(workspace, faults, time_scale=time_scale) as served:
        result = cli(workspace, served, "deploy", "--yes", "-o", "json", timeout=600)
        log = served.log()
        served.admin.clear_faults()
        return Outcome(result, log, not_in_sync(status_outcomes(workspace, served)))


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


# --- killing a deploy at a request sequence number -------------------------------------------------------------
def pending_tokens(workspace: Workspace) -> dict[str, str]:
    """Steps the state file records with a long-running operation in flight: step -> resource path."""
    path = workspace.state_dir / "test.json"
    if not path.exists():
        return {}
    try:
        steps = json.loads(path.read_text())["steps"]
    except (ValueError, KeyError):
        return {}
    return {name: path_key(s["pending"]["resource_id"]) for name, s in steps.items()
            if (s.get("pending") or {}).get("token")}


@dataclass
class Kill:
    killed: bool  # False: the deploy ended before the log reached the kill point
    seen_at_kill: int  # log length observed when SIGKILL was sent
    boundary: int  # log length once the server had handled everything the killed run sent
    pending: dict[str, str]  # read right after the kill
    returncode: int | None


def deploy_and_kill(workspace: Workspace, served: Served, kill_after: int, *, timeout: float = 300) -> Kill:
    """Start ``deploy --yes``, SIGKILL it once the request log holds ``kill_after`` entries."""
    out = (workspace.path / "killed.stdout").open("w")
    err = (workspace.path / "killed.stderr").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "foundry_litellm", "deploy", *served.endpoint, "--yes"],
                            cwd=workspace.path, env=workspace.env, stdout=out, stderr=err,
                            stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        seen = 0
        while proc.poll() is None and time.monotonic() < deadline:
            seen = served.log_length()
            if seen >= kill_after:
                break
            time.sleep(0.005)
        killed = proc.poll() is None
        if killed:
            proc.kill()  # SIGKILL: no handler, no clean-up, as a CI runner losing its agent
        proc.wait(timeout=30)
        pending = pending_tokens(workspace)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        out.close()
        err.close()
    return Kill(killed, seen, served.wait_quiet(), pending, proc.returncode)


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
            f"killed at {kill.seen_at_kill} (boundary {kill.boundary})"
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

    second: list[str] = []
    in_flight = set(pending.values())
    for i, entry in enumerate(rerun_writes):
        path = path_key(entry)
        if entry["method"] == "PUT" and path in in_flight and not follows_new_master_key(path, i):
            second.append(f"{entry['method']} {path} ({entry.get('status')})")

    rewrites: list[str] = []
    followed: list[str] = []
    for i, entry in enumerate(rerun_writes):
        path = path_key(entry)
        if path not in done:
            continue
        if GENERATED_SECRETS.search(path) or follows_new_master_key(path, i):
            followed.append(path)
            continue
        rewrites.append(f"{entry['method']} {path} ({entry.get('status')})")
    return sorted(set(second)), sorted(set(rewrites)), sorted(set(followed))


def kill_points(measured_requests: int, n: int) -> list[int]:
    """``n`` request sequence numbers spread uniformly over a run of ``measured_requests`` requests (its ends
    excluded: a kill before the first request or after the last tests nothing)."""
    return [max(1, round(measured_requests * (i + 1) / (n + 1))) for i in range(n)]
