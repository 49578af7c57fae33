"""A throw-away workspace with a config and stand-in environment, for the benchmarks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def bytecode_env() -> dict[str, str]:
    """The environment of a benchmarked process, with the project's modules compiled as an installed package has
    them (pip compiles at install, as it did the dependencies): with PYTHONDONTWRITEBYTECODE set and no
    ``__pycache__``, every run would compile them again, about 0.2 s before the first request that is not the
    tool's start-up. The ``__pycache__`` directories are git-ignored."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(root / "foundry_litellm"), str(root / "steps")],
                   env=env, check=True, capture_output=True)
    return env


CONFIG = """\
environment = "bench"

[azure]
resource_group = "rg-fl-bench"
location = "eastus2"
"""


class Workspace:
    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="fl-bench-"))
        (self.path / "foundry-litellm.toml").write_text(CONFIG)
        self.env = {**bytecode_env(),
                    "AZURE_SUBSCRIPTION_ID": "00000000-0000-0000-0000-0000000be7c4",
                    "OPENAI_API_KEY": "bench-upstream-key-0123456789abcdef",
                    "OPENAI_API_BASE": "https://bench-upstream.openai.azure.com"}

    def cli(self, *args: str, env: dict[str, str] | None = None) -> tuple[float, subprocess.CompletedProcess[str]]:
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "foundry_litellm", *args], cwd=self.path,
                                env={**self.env, **(env or {})}, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - started
        if result.returncode != 0:
            raise SystemExit(f"foundry-litellm {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return elapsed, result

    @property
    def emulator_dir(self) -> Path:
        return self.path / ".foundry-litellm" / "emulator"

    def requests(self) -> list[dict[str, Any]]:
        log = self.emulator_dir / "requests.jsonl"
        return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]

    def operations(self) -> list[dict[str, Any]]:
        ops: list[dict[str, Any]] = list(json.loads((self.emulator_dir / "world.json").read_text())
                                         ["operations"].values())
        return ops
