"""Requests sent by a no-op re-deploy, by `deploy --plan` and by `status` against the deployed environment (none
may write, and none should read any resource twice) and their wall times, optionally with latency injected into
every request (`emulator serve --latency-ms`). Each line also gives the command's start-up: from its launch to its
first request, against an emulator that is already serving (the tool's own start, as against Azure, without the
embedded emulator's start that `deploy_vs_critical_path.py` counts in its start-up)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: the tests' harness

from _workspace import Workspace

from tests.cli.conftest import is_write, path_key  # POST actions that only read (listKeys, sharedKeys) are not writes

COMMANDS: dict[str, tuple[str, ...]] = {
    "no-op re-deploy": ("deploy", "--yes"),
    "deploy --plan": ("deploy", "--plan"),
    "status": ("status",),
}


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def summary(name: str, wall: float, sent: list[dict[str, Any]], latency_ms: int) -> tuple[int, str]:
    """The line printed for one command, and its number of writes."""
    writes = sum(1 for r in sent if is_write(r))
    per_url = Counter(path_key(r) for r in sent if not is_write(r))
    most, url = max(((n, u) for u, n in per_url.items()), default=(0, ""))
    line = (f"{name}: {wall:.2f} s wall, {len(sent) - writes} reads, {writes} writes, "
            f"at most {most} read(s) of one URL" + (f" ({url})" if most > 1 else ""))
    if latency_ms:
        line += f" at {latency_ms} ms per request ({(len(sent) - writes) * latency_ms / 1000:.1f} s if one by one)"
    return writes, line


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=int, default=0, help="latency the emulator adds to every request")
    parser.add_argument("--runs", type=int, default=1, help="times each command is measured")
    args = parser.parse_args()
    ws = Workspace()
    serve = subprocess.Popen([sys.executable, "-m", "foundry_litellm", "emulator", "serve", "--data-dir",
                              str(ws.path / "srv"), "--latency-ms", str(args.latency_ms)],
                             stdout=subprocess.PIPE, text=True, env=ws.env)
    failed = []
    try:
        assert serve.stdout is not None
        info = json.loads(serve.stdout.readline())
        target = ["--endpoint", info["url"], "--ca-cert", info["ca_cert"]]
        ws.cli("deploy", *target, "--yes")
        log = Path(info["data_dir"]) / "requests.jsonl"
        for _ in range(args.runs):
            for name, command in COMMANDS.items():
                seen = len(log.read_text().splitlines())
                launched = time.time()
                wall, _ = ws.cli(*command, *target)
                sent = [json.loads(line) for line in log.read_text().splitlines()[seen:]]
                writes, line = summary(name, wall, sent, args.latency_ms)
                # the log stamps a request when its answer is written: the latency added to it is not start-up
                first = min(_epoch(r["time"]) - float(r.get("duration_ms") or 0) / 1000 for r in sent)
                print(f"{line}; start-up before the first request {first - launched:.2f} s", flush=True)
                if writes:
                    failed.append(name)
    finally:
        serve.terminate()
        serve.wait(timeout=10)
    if failed:
        raise SystemExit(f"{', '.join(sorted(set(failed)))} must not write")


if __name__ == "__main__":
    main()
