"""Fixtures for driving the real CLI, as a user or a pipeline would, against the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SUBSCRIPTION

CONFIG = """\
environment = "test"

[azure]
resource_group = "rg-fl-test"
location = "eastus2"
tags = { owner = "tests" }
"""
# Fast enough for tests, slow enough that operations are really in flight for a moment.
TIME_SCALE = "0.002"


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

    def requests(self) -> list[dict[str, Any]]:
        log = self.emulator_dir / "requests.jsonl"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]

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


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    (tmp_path / "foundry-litellm.toml").write_text(CONFIG)
    yield Workspace(tmp_path, base_env(tmp_path))


@contextmanager
def served(workspace: Workspace, faults: dict[str, Any] | None = None,
           time_scale: str = TIME_SCALE) -> Iterator[tuple[list[str], Path]]:
    """`foundry-litellm emulator serve` in a subprocess for the block: the CLI's endpoint options and its data dir."""
    args = [sys.executable, "-m", "foundry_litellm", "emulator", "serve", "--data-dir", str(workspace.path / "srv"),
            "--time-scale", time_scale]
    if faults is not None:
        faults_file = workspace.path / "faults.json"
        faults_file.write_text(json.dumps(faults))
        args += ["--faults", str(faults_file)]
    proc = subprocess.Popen(args, env=workspace.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        yield ["--endpoint", info["url"], "--ca-cert", info["ca_cert"]], Path(info["data_dir"])
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def writes(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Requests that change something (backend health is a POST that only reads)."""
    return [e for e in entries if e["method"] in ("PUT", "PATCH", "POST", "DELETE")
            and not e["path"].lower().endswith("/backendhealth")]


# There before an environment's first deploy: the account capability host Azure creates for a network-injected
# Foundry account (deploy adopts it) and the PostgreSQL parameters that come with the server, already as wanted.
PREEXISTING = ("capability_host:account", "postgres_parameter:")
# Subscription-wide: destroy leaves the registrations, so a later first deploy finds them.
REGISTRATION = "resource_provider:"


def outcomes_of_first_deploy(report: dict[str, Any], *, registered: bool = False) -> set[str]:
    """Outcomes of the steps that a first deploy must create (in a subscription already registered or not)."""
    skipped = PREEXISTING + ((REGISTRATION,) if registered else ())
    return {s["outcome"] for s in report["steps"] if not s["step"].startswith(skipped)}
