"""Requests sent by a no-op re-deploy (it must write nothing), and its wall time, optionally with latency."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _workspace import Workspace


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=int, default=0, help="latency the emulator adds to every request")
    args = parser.parse_args()
    ws = Workspace()
    ws.cli("deploy", "--emulator", "--yes")
    seen = len(ws.requests())
    env = {}
    if args.latency_ms:
        # The embedded emulator reads its latency from the environment only in this benchmark's own process
        # tree: run the re-deploy against `emulator serve --latency-ms` instead.
        env["FOUNDRY_LITELLM_EMULATOR_LATENCY_MS"] = str(args.latency_ms)
    wall, _ = ws.cli("deploy", "--emulator", "--yes", env=env)
    again = ws.requests()[seen:]
    reads = sum(1 for r in again if r["method"] == "GET")
    writes = len(again) - reads
    print(f"no-op re-deploy: {reads} reads, {writes} writes, {wall:.2f} s wall"
          + (f" at {args.latency_ms} ms per request" if args.latency_ms else ""))
    if writes:
        raise SystemExit("a no-op re-deploy must not write")


if __name__ == "__main__":
    main()
