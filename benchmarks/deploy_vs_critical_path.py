"""Deploy wall time against lower bounds of any schedule of the emulated durations, at emulator time scale 1/100.

Each step weighs the time its emulated Azure operation took (a step without a long-running operation weighs
nothing). Two lower bounds of the deployment's duration follow:

- the critical path: the longest chain of the pipeline's dependency graph;
- the tight bound: the writes Azure serializes (one lock key: the children of one Foundry account, the subnets and
  endpoints of one VNet) cannot start before their dependencies are done, so each such set is scheduled on its
  own, one write at a time, by earliest release date — a step's release is its earliest start in the graph (the
  longest chain of its dependencies' durations), its processing time its emulated duration. Earliest release
  first, without preemption, is the optimal one-machine schedule with release dates; the bound is the largest such
  completion over the lock keys, or the critical path if larger (``foundry_litellm.schedule.tight_bound``).

"pipeline" is the time from the first request to the last; a ratio near 1 to the tight bound means the runner adds
little beyond what Azure itself needs. Beyond the operations, the tool waits on purpose: a project capability host is
created only once its identity's Cosmos DB and Storage roles are TYPICAL_PROPAGATION old (steps/capability_host.py),
a wait no operation shows. The same bound with that wait after those roles is printed as well ("with role
propagation"); at the emulator's default propagation the wait hides behind the host's other dependencies.

``--timeline`` prints, per step, its earliest possible start against its first request, its write and when its
operation ended (seconds from the first request), to show where time goes.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _workspace import PeakMemory, Workspace

from foundry_litellm import config as config_module
from foundry_litellm.schedule import earliest_starts, tight_bound

SCALE = 0.01


class Graph:
    """The deployed pipeline: its steps in declared order, their dependencies, lock keys and resource ids."""

    def __init__(self, ws: Workspace) -> None:
        from foundry_litellm.context import RunContext
        from foundry_litellm.names import Names
        from foundry_litellm.state import StateStore
        from steps import pipeline

        cfg = config_module.load(ws.path / "foundry-litellm.toml", env=ws.env)
        state = StateStore(ws.path / ".foundry-litellm", "bench").load()
        ctx = RunContext(cfg, Names.of(cfg), None, state, None)  # type: ignore[arg-type]
        steps = pipeline(cfg)
        self.order = [s.name for s in steps]
        self.deps = {s.name: [d.name for d in s.depends_on] for s in steps}
        self.rid = {s.name: str(state.step(s.name).get("resource_id", "")).lower() for s in steps}
        self.locks: dict[str, list[str]] = {}
        for step in steps:
            for key in step.lock_keys(ctx):
                self.locks.setdefault(key.rsplit("/", 1)[-1], []).append(step.name)
        # a project capability host starts TYPICAL_PROPAGATION (scaled) after the roles it waits for are created
        self.propagation = {(dep, step.name): seconds * SCALE for step in steps
                            for dep, seconds in step.start_lags().items()}


def critical_chain(graph: Graph, weight: dict[str, float]) -> tuple[float, list[str]]:
    best: dict[str, tuple[float, list[str]]] = {}
    for name in graph.order:  # the pipeline is declared in dependency order
        before = max((best[d] for d in graph.deps[name]), default=(0.0, []), key=lambda b: b[0])
        best[name] = (before[0] + weight[name], [*before[1], name])
    return max(best.values(), key=lambda b: b[0])


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def timeline(graph: Graph, weight: dict[str, float], ops: dict[str, dict[str, Any]],
             requests: list[dict[str, Any]], first: float) -> None:
    """Per step, seconds from the first request: earliest possible start (DAG, role propagation included), first
    request to its resource, how late that is, the write's start and end in Azure, and when the run saw it end (the
    first poll after its end)."""
    release = earliest_starts(graph.order, graph.deps, weight, graph.propagation)
    seen: dict[str, float] = {}
    for r in requests:
        seen.setdefault(r["path"].lower(), _epoch(r["time"]) - first)
    print(f"  {'step':44} {'release':>7} {'read':>6} {'late':>6} {'write':>6} {'due':>6} {'seen':>6}")
    for name in sorted(graph.order, key=lambda n: seen.get(graph.rid[n], 1e9)):
        op = ops.get(graph.rid[name])
        read = seen.get(graph.rid[name])
        cells = [f"{release[name]:7.2f}", _cell(read), _cell(None if read is None else read - release[name])]
        if op is not None:
            polls = [_epoch(r["time"]) - first for r in requests
                     if op["id"] in r["path"] and _epoch(r["time"]) >= op["due"]]
            cells += [_cell(op["start"] - first), _cell(op["due"] - first), _cell(min(polls, default=None))]
        print(f"  {name[:44]:44} {' '.join(cells)}")


def _cell(value: float | None) -> str:
    return f"{'-':>6}" if value is None else f"{value:6.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--timeline", action="store_true", help="print each step's earliest start against its run")
    args = parser.parse_args()
    ws = Workspace()
    scale_env = {"FOUNDRY_LITELLM_EMULATOR_TIME_SCALE": str(SCALE)}
    started = time.time()
    memory = PeakMemory()
    wall, _ = ws.cli("deploy", "--emulator", "--yes", env=scale_env, memory=memory)
    ops: dict[str, dict[str, Any]] = {}
    for op in ws.operations():
        if op["kind"] in ("create", "update"):
            key = op["resource"].lower()
            if key not in ops or op["due"] - op["start"] > ops[key]["due"] - ops[key]["start"]:
                ops[key] = op
    graph = Graph(ws)
    weight = {n: (ops[graph.rid[n]]["due"] - ops[graph.rid[n]]["start"]) if graph.rid[n] in ops else 0.0
              for n in graph.order}
    path, chain = critical_chain(graph, weight)
    serial = max(((sum(weight[n] for n in names), key) for key, names in graph.locks.items()), default=(0.0, ""))
    tight, why = tight_bound(graph.order, graph.deps, weight, graph.locks)
    waited, waited_why = tight_bound(graph.order, graph.deps, weight, graph.locks, graph.propagation)
    requests: list[dict[str, Any]] = ws.requests()
    # the log stamps a request when its answer is written: the first one arrived ``duration_ms`` before
    first = _epoch(requests[0]["time"]) - float(requests[0].get("duration_ms") or 0) / 1000
    last = _epoch(requests[-1]["time"])
    pipeline = last - first
    print(f"time scale {SCALE}: deploy wall {wall:.2f} s, critical path of emulated durations {path:.2f} s")
    print(f"  ratio wall / critical path: {wall / path:.2f}")
    print(f"  start-up before the first request {first - started:.2f} s; pipeline (first to last request) "
          f"{pipeline:.2f} s, ratio to the critical path {pipeline / path:.2f}")
    print(f"  critical path: {' -> '.join(chain)}")
    bound = max(path, serial[0])
    print(f"  writes Azure serializes under {serial[1]}: {serial[0]:.2f} s; wall / max(critical path, that) = "
          f"{wall / bound:.2f}, pipeline / it = {pipeline / bound:.2f}")
    print(f"  tight bound: {tight:.2f} s (set by {why}: the serialized writes from their earliest starts)")
    print(f"  pipeline / tight bound: {pipeline / tight:.2f}")
    print(f"  wall / tight bound: {wall / tight:.2f}")
    print(f"  with role propagation: tight bound {waited:.2f} s (set by {waited_why}); pipeline / it: "
          f"{pipeline / waited:.2f}, wall / it: {wall / waited:.2f}")
    print(f"  requests sent: {len(requests)} ({sum(1 for r in requests if r['method'] != 'GET')} writes)")
    print(f"  peak memory (RSS) of the deploy, its embedded emulator's process included: {memory.total_mb:.0f} MB "
          f"({' + '.join(f'{kb / 1024:.0f}' for kb in memory.peaks_kb.values())})")
    if args.timeline:
        timeline(graph, weight, ops, requests, first)


if __name__ == "__main__":
    main()
