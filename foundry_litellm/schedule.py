"""Paths through the step graph, weighted by durations: what the runner orders ready steps by (the longest chain
still ahead of a step first) and what the deploy benchmark judges it against (a lower bound of any schedule).

``deps`` maps every step to the steps it waits for; ``order`` lists the steps so that each comes after its
dependencies (the pipeline's declared order); a step missing from ``weight`` weighs nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence


def earliest_starts(order: Sequence[str], deps: Mapping[str, Iterable[str]], weight: Mapping[str, float],
                    lag: Mapping[tuple[str, str], float] | None = None) -> dict[str, float]:
    """Each step's earliest start with unbounded parallelism: the longest chain of its dependencies' durations, and
    of the ``lag`` a step must leave after a dependency ends ((dependency, step) -> seconds: a role's propagation)."""
    lag = lag or {}
    start: dict[str, float] = {}
    for name in order:
        start[name] = max((start[d] + weight.get(d, 0.0) + lag.get((d, name), 0.0) for d in deps.get(name, ())),
                          default=0.0)
    return start


def tails(order: Sequence[str], deps: Mapping[str, Iterable[str]], weight: Mapping[str, float],
          lag: Mapping[tuple[str, str], float] | None = None,
          serialized: Mapping[str, Iterable[str]] | None = None) -> dict[str, float]:
    """Each step's own duration plus the longest chain of the steps that wait for it (and of the ``lag`` they
    leave after it): the least time the run still needs once the step starts. With ``serialized`` (lock key ->
    steps that write one at a time), at least as long as the step and every step of one key waiting for it,
    directly or not, end to end: a short chain may gate a long queue on one key, which the chains alone miss."""
    lag = lag or {}
    after: dict[str, list[str]] = {name: [] for name in order}
    for name in order:
        for dep in deps.get(name, ()):
            after.setdefault(dep, []).append(name)
    keys_of: dict[str, list[str]] = {}
    for key, names in (serialized or {}).items():
        for name in names:
            keys_of.setdefault(name, []).append(key)
    queued: dict[str, set[str]] = {}  # the steps with a key among each step's transitive dependants
    tail: dict[str, float] = {}
    for name in reversed(order):
        # .get: in a cycle (which the runner then refuses) a later step is not known yet
        tail[name] = weight.get(name, 0.0) + max((lag.get((name, n), 0.0) + tail.get(n, 0.0) for n in after[name]),
                                                 default=0.0)
        if keys_of:
            queued[name] = set()
            for n in after[name]:
                queued[name] |= queued.get(n, set()) | ({n} if n in keys_of else set())
            per_key: dict[str, float] = {}
            for waiting in queued[name]:
                for key in keys_of[waiting]:
                    per_key[key] = per_key.get(key, 0.0) + weight.get(waiting, 0.0)
            tail[name] = max(tail[name], weight.get(name, 0.0) + max(per_key.values(), default=0.0))
    return tail


def one_machine(jobs: Iterable[tuple[float, float]]) -> float:
    """The least makespan of ``(release, duration)`` jobs that run one at a time: earliest release first,
    without preemption, is optimal for it."""
    end = 0.0
    for release, duration in sorted(jobs):
        end = max(end, release) + duration
    return end


def tight_bound(order: Sequence[str], deps: Mapping[str, Iterable[str]], weight: Mapping[str, float],
                serialized: Mapping[str, Iterable[str]],
                lag: Mapping[tuple[str, str], float] | None = None) -> tuple[float, str]:
    """A lower bound of any schedule's makespan, and what sets it ("critical path" or the key): the DAG's critical
    path, or for each set of steps that run one at a time (``serialized``: lock key -> steps), those steps
    scheduled one at a time from their earliest starts, whichever ends last."""
    start = earliest_starts(order, deps, weight, lag)
    best = (max((start[n] + weight.get(n, 0.0) for n in order), default=0.0), "critical path")
    for key, names in serialized.items():
        end = one_machine((start[n], weight.get(n, 0.0)) for n in names)
        if end > best[0]:
            best = (end, key)
    return best
