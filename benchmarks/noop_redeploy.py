"""Requests sent by a no-op re-deploy (it must write nothing) and its wall time, optionally with latency
injected into every request (`emulator serve --latency-ms`)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: the tests' harness

from _workspace import Workspace

from tests.cli.conftest import is_write  # POST actions that only read (listKeys, sharedKeys) are not writes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=int, default=0, help="latency the emulator adds to every request")
    args = parser.parse_args()
    ws = Workspace()
    serve = subprocess.Popen([sys.executable, "-m", "foundry_litellm", "emulator", "serve", "--data-dir",
                              str(ws.path / "srv"), "--latency-ms", str(args.latency_ms)],
                             stdout=subprocess.PIPE, text=True, env=ws.env)
    try:
        assert serve.stdout is not None
        info = json.loads(serve.stdout.readline())
        target = ["--endpoint", info["url"], "--ca-cert", info["ca_cert"]]
        ws.cli("deploy", *target, "--yes")
        log = Path(info["data_dir"]) / "requests.jsonl"
        seen = len(log.read_text().splitlines())
        wall, _ = ws.cli("deploy", *target, "--yes")
        again = [json.loads(line) for line in log.read_text().splitlines()[seen:]]
    finally:
        serve.terminate()
        serve.wait(timeout=10)
    writes = sum(1 for r in again if is_write(r))
    reads = len(again) - writes
    print(f"no-op re-deploy: {reads} reads, {writes} writes, {wall:.2f} s wall"
          + (f" at {args.latency_ms} ms per request ({reads * args.latency_ms / 1000:.1f} s if sent one by one)"
             if args.latency_ms else ""))
    if writes:
        raise SystemExit("a no-op re-deploy must not write")


if __name__ == "__main__":
    main()
