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

    def cli(self, *args: str, env: dict[str, str] | None = None,
            memory: PeakMemory | None = None) -> tuple[float, subprocess.CompletedProcess[str]]:
        """Run the CLI to its end; with ``memory``, sample the peak memory of it and its child processes."""
        command = [sys.executable, "-m", "foundry_litellm", *args]
        started = time.perf_counter()
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            proc = subprocess.Popen(command, cwd=self.path, env={**self.env, **(env or {})}, stdout=out, stderr=err,
                                    text=True)
            if memory is not None:
                memory.follow(proc)
            proc.wait()
            elapsed = time.perf_counter() - started
            out.seek(0)
            err.seek(0)
            result = subprocess.CompletedProcess(command, proc.returncode, out.read(), err.read())
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


class PeakMemory:
    """The peak resident memory (VmHWM) of a process and of every process under it, read from /proc every 20 ms
    while it runs: the CLI's embedded emulator runs in a child process, and both count. Each process's peak is
    kept (VmHWM only grows), so a process that ends between two looks loses at most its last 20 ms."""

    def __init__(self) -> None:
        self.peaks_kb: dict[int, int] = {}

    def follow(self, proc: subprocess.Popen[str]) -> None:
        while proc.poll() is None:
            for pid in self._tree(proc.pid):
                kb = self._hwm_kb(pid)
                if kb:
                    self.peaks_kb[pid] = max(self.peaks_kb.get(pid, 0), kb)
            time.sleep(0.02)

    @property
    def total_mb(self) -> float:
        return sum(self.peaks_kb.values()) / 1024

    @classmethod
    def _tree(cls, pid: int) -> list[int]:
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return [pid]
        return [pid, *(p for child in children for p in cls._tree(int(child)))]

    @staticmethod
    def _hwm_kb(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        except (OSError, ValueError):
            pass
        return 0
