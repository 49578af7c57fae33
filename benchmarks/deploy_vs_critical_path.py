"""Deploy wall time against the critical path of the emulated durations, at emulator time scale 1/100.

The critical path is the longest chain of the pipeline's dependency graph, each step weighted by the time its
emulated Azure operation took. A ratio near 1 means the runner adds little beyond what Azure itself needs.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _workspace import Workspace

from foundry_litellm import config as config_module

SCALE = 0.01


def critical_path(ws: Workspace, durations: dict[str, float]) -> tuple[float, list[str]]:
    from steps import pipeline

    cfg = config_module.load(ws.path / "foundry-litellm.toml", env=ws.env)
    recorded = json.loads((ws.path / ".foundry-litellm" / "bench.json").read_text())["steps"]
    steps = pipeline(cfg)
    weight = {s.name: durations.get(str(recorded.get(s.name, {}).get("resource_id", "")).lower(), 0.0)
              for s in steps}
    best: dict[str, tuple[float, list[str]]] = {}
    for step in steps:  # the pipeline is declared in dependency order
        before = max((best[d.name] for d in step.depends_on), default=(0.0, []), key=lambda b: b[0])
        best[step.name] = (before[0] + weight[step.name], [*before[1], step.name])
    return max(best.values(), key=lambda b: b[0])


def serialized_bound(ws: Workspace, durations: dict[str, float]) -> tuple[float, str]:
    """The longest total of operations that Azure makes wait for one another (writes under one Foundry account,
    inside one VNet): another lower bound of the deployment's duration."""
    from foundry_litellm.context import RunContext
    from foundry_litellm.names import Names
    from foundry_litellm.state import StateStore
    from steps import pipeline

    cfg = config_module.load(ws.path / "foundry-litellm.toml", env=ws.env)
    state = StateStore(ws.path / ".foundry-litellm", "bench").load()
    ctx = RunContext(cfg, Names.of(cfg), None, state, None)  # type: ignore[arg-type]
    totals: dict[str, float] = {}
    for step in pipeline(cfg):
        rid = str(state.step(step.name).get("resource_id", "")).lower()
        for key in step.lock_keys(ctx):
            totals[key] = totals.get(key, 0.0) + durations.get(rid, 0.0)
    key = max(totals, key=lambda k: totals[k])
    return totals[key], key.rsplit("/", 1)[-1]


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def peak_rss_mb() -> float:
    """The peak resident memory of the deploy (the only child process that has ended so far; the embedded
    emulator runs inside it, so it counts)."""
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    ws = Workspace()
    scale_env = {"FOUNDRY_LITELLM_EMULATOR_TIME_SCALE": str(SCALE)}
    started = time.time()
    wall, _ = ws.cli("deploy", "--emulator", "--yes", env=scale_env)
    durations: dict[str, float] = {}
    for op in ws.operations():
        if op["kind"] in ("create", "update"):
            key = op["resource"].lower()
            durations[key] = max(durations.get(key, 0.0), op["due"] - op["start"])
    path, chain = critical_path(ws, durations)
    serial, lock = serialized_bound(ws, durations)
    requests: list[dict[str, Any]] = ws.requests()
    first, last = _epoch(requests[0]["time"]), _epoch(requests[-1]["time"])
    print(f"time scale {SCALE}: deploy wall {wall:.2f} s, critical path of emulated durations {path:.2f} s")
    print(f"  ratio wall / critical path: {wall / path:.2f}")
    print(f"  start-up before the first request {first - started:.2f} s; pipeline (first to last request) "
          f"{last - first:.2f} s, ratio to the critical path {(last - first) / path:.2f}")
    print(f"  critical path: {' -> '.join(chain)}")
    bound = max(path, serial)
    print(f"  writes Azure serializes under {lock}: {serial:.2f} s; wall / max(critical path, that) = "
          f"{wall / bound:.2f}, pipeline / it = {(last - first) / bound:.2f}")
    print(f"  requests sent: {len(requests)} ({sum(1 for r in requests if r['method'] != 'GET')} writes)")
    print(f"  peak memory (RSS) of the deploy: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
