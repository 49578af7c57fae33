"""Fixtures for driving the real CLI, as a user or a pipeline would, against the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from foundry_litellm.emulator.admin import AdminClient
from tests.conftest import SUBSCRIPTION
from tests.tools import stop

CONFIG = """\
environment = "test"

[azure]
resource_group = "rg-fl-test"
location = "eastus2"
tags = { owner = "tests" }
"""
# Fast enough for tests, slow enough that operations are really in flight for a moment.
TIME_SCALE = "0.002"

Entry = dict[str, Any]  # one request of an emulator's log (requests.jsonl)
WRITE_METHODS = ("PUT", "PATCH", "POST", "DELETE")
# POST actions that only read: Application Gateway's backend health, the Log Analytics workspace's shared keys, the
# Redis database's access keys.
READ_ONLY_ACTIONS = ("/backendhealth", "/sharedkeys", "/listkeys")


def read_log(path: Path) -> list[Entry]:
    """An emulator's request log as written so far: one entry per request, in the order they were handled (a
    line the server is writing right now is left out)."""
    if not path.exists():
        return []
    entries = []
    for line in path.read_text().splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue
    return entries


@dataclass
class Workspace:
    path: Path
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 180, extra_env: dict[str, str] | None = None,
            stdin: Any = subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "foundry_litellm", *args], cwd=self.path,
                              env={**self.env, **(extra_env or {})}, capture_output=True, text=True,
                              timeout=timeout, stdin=stdin)

    def popen(self, *args: str, extra_env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "foundry_litellm", *args], cwd=self.path,
                                env={**self.env, **(extra_env or {})}, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)

    @property
    def state_dir(self) -> Path:
        return self.path / ".foundry-litellm"

    @property
    def emulator_dir(self) -> Path:
        return self.state_dir / "emulator"

    def state(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.state_dir / "test.json").read_text())
        return data

    def pending(self) -> dict[str, str]:
        """Steps the state file records with a long-running operation in flight: step -> resource path (as
        `path_key`); empty while there is no state file yet."""
        try:
            steps = self.state()["steps"]
        except (OSError, ValueError, KeyError):
            return {}
        return {name: path_key(s["pending"]["resource_id"]) for name, s in steps.items()
                if (s.get("pending") or {}).get("token")}

    def requests(self) -> list[Entry]:
        """The request log of the in-process emulator (``--emulator``)."""
        return read_log(self.emulator_dir / "requests.jsonl")

    def world(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.emulator_dir / "world.json").read_text())
        return data


def base_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FOUNDRY_LITELLM_", "OPENAI_", "AZURE_"))}
    env.update({
        "HOME": str(home),
        "AZURE_SUBSCRIPTION_ID": SUBSCRIPTION,
        "OPENAI_API_KEY": "upstream-key-for-tests-0123456789",
        "OPENAI_API_BASE": "https://tests-upstream.openai.azure.com",
        "FOUNDRY_LITELLM_EMULATOR_TIME_SCALE": TIME_SCALE,
        "FOUNDRY_LITELLM_EMULATOR_STRICT": os.environ["FOUNDRY_LITELLM_EMULATOR_STRICT"],
        "FOUNDRY_LITELLM_EMULATOR_SPECS": os.environ["FOUNDRY_LITELLM_EMULATOR_SPECS"],
        "PYTHONUNBUFFERED": "1",
    })
    return env


def make_workspace(path: Path, config: str = CONFIG) -> Workspace:
    """A workspace in ``path``: its config and an environment of its own (tests that need several of them, e.g.
    one per kill point, call this directly)."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "foundry-litellm.toml").write_text(config)
    return Workspace(path, base_env(path))


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    yield make_workspace(tmp_path)


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
        return read_log(self.log_path)

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
def served(workspace: Workspace, faults: dict[str, Any] | None = None,
           time_scale: str = TIME_SCALE) -> Iterator[Served]:
    """`foundry-litellm emulator serve` in a subprocess for the block, its data dir under the workspace."""
    args = [sys.executable, "-m", "foundry_litellm", "emulator", "serve", "--data-dir", str(workspace.path / "srv"),
            "--time-scale", time_scale]
    if faults is not None:
        faults_file = workspace.path / "faults.json"
        faults_file.write_text(json.dumps(faults))
        args += ["--faults", str(faults_file)]
    stderr_path = workspace.path / "serve.stderr"
    with stderr_path.open("w") as stderr:
        proc = subprocess.Popen(args, env=workspace.env, stdout=subprocess.PIPE, stderr=stderr, text=True)
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line, f"emulator serve did not start: {stderr_path.read_text()}"
            info = json.loads(line)
            yield Served(info["url"], info["ca_cert"], Path(info["data_dir"]), proc)
        finally:
            stop(proc)


def path_key(entry_or_path: Entry | str) -> str:
    """The resource path of a request: lower-cased, query stripped (ARM ids are case-insensitive)."""
    path = entry_or_path if isinstance(entry_or_path, str) else entry_or_path["path"]
    return path.split("?", 1)[0].lower().rstrip("/")


def is_write(entry: Entry) -> bool:
    """A request that changes something (POST actions that only read are not writes)."""
    return entry["method"] in WRITE_METHODS and not path_key(entry).endswith(READ_ONLY_ACTIONS)


def writes(entries: Iterable[Entry]) -> list[Entry]:
    return [e for e in entries if is_write(e)]


# There before an environment's first deploy: the account capability host Azure creates for a network-injected
# Foundry account (deploy adopts it) and the PostgreSQL parameters that come with the server, already as wanted.
PREEXISTING = ("capability_host:account", "postgres_parameter:")
# Subscription-wide: destroy leaves the registrations, so a later first deploy finds them.
REGISTRATION = "resource_provider:"


def outcomes_of_first_deploy(report: dict[str, Any], *, registered: bool = False) -> set[str]:
    """Outcomes of the steps that a first deploy must create (in a subscription already registered or not)."""
    skipped = PREEXISTING + ((REGISTRATION,) if registered else ())
    return {s["outcome"] for s in report["steps"] if not s["step"].startswith(skipped)}
