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
        self.env = {**os.environ,
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
