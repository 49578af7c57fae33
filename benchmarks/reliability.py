"""Reliability through the CLI against `emulator serve` (strict, as in the test suite), in one run:

- kill points: N SIGKILLs spread over a measured deploy by request sequence number, each followed by ONE plain
  `deploy --yes` (as tests/cli/test_chaos.py, one point at a time here): how many converge, and what the re-run
  sends that it must not (a second PUT of an operation in flight, a rewrite of a resource whose write had landed
  before the kill other than those that follow a lost generated secret);
- the fault mix (10 % 429 with Retry-After, 10 % 503, 5 % dropped connections, half before and half after the
  server acts): D deploys from scratch, then a destroy of each under the same mix: how many succeed the first
  time, and how many faults fired.

The harness is the test suite's (tests/cli/chaos.py). Exits non-zero when a figure the tests require is off.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: the tests' harness

from tests.cli.chaos import (
    FAULT_TIME_SCALE,
    KILL_TIME_SCALE,
    PointReport,
    cli,
    deploy_checked,
    destroy_under,
    fault_mix,
    fault_summary,
    kill_points,
    kill_then_rerun,
    measure_deploy,
)
from tests.cli.conftest import make_workspace, served
from tests.conftest import SPECS

FAULT_KINDS = ("429", "503", "dropped before", "dropped after")


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def total(summaries: list[dict[str, int]]) -> Counter[str]:
    """Faults fired over several runs, by kind (`fault_summary` of each)."""
    counts: Counter[str] = Counter()
    for summary in summaries:
        counts.update(summary)
    return counts


def fired(summaries: list[dict[str, int]]) -> str:
    counts = total(summaries)
    return f"{counts.total()} faults fired ({', '.join(f'{kind} {counts[kind]}' for kind in FAULT_KINDS)})"


def kill_figures(root: Path, n: int) -> tuple[list[str], list[str]]:
    """The kill-point figures, and what is off (must be empty)."""
    measured = measure_deploy(root / "measured")
    points = kill_points(measured.writes, n)
    progress(f"measured deploy: {measured.writes} writes in {measured.seconds:.1f} s; kill points {points}")
    reports: list[PointReport] = []
    for k in points:
        reports.append(kill_then_rerun(root / f"kill-{k}", k, measured.landed_writes))
        progress(reports[-1].line())
    kills = [r.kill for r in reports if r.kill is not None and r.kill.killed]
    in_flight = sum(bool(kill.pending) for kill in kills)
    converged = sum(r.converged for r in reports)
    second = sum(len(r.second_puts) for r in reports)
    followed = sum(len(r.followed) for r in reports)
    rewrites = sum(len({d.split(" ")[1] for d in r.rewrites}) for r in reports)
    rows = [
        f"measured deploy                      {measured.writes} writes, {measured.seconds:.1f} s "
        f"(time scale {KILL_TIME_SCALE})",
        f"kill points                          {len(kills)}/{n} SIGKILLs at writes {points[0]}..{points[-1]}, "
        f"{in_flight} with an operation in flight",
        f"  converged after one plain re-run   {converged}/{n}",
        f"  second PUTs of an op in flight     {second}",
        f"  rewrites after a lost secret       {followed} resources on "
        f"{sum(bool(r.followed) for r in reports)} points (allowed)",
        f"  other rewrites of landed writes    {rewrites}",
    ]
    return rows, [r.line() for r in reports if not r.ok]


def fault_figures(root: Path, runs: int) -> tuple[list[str], list[str]]:
    """The fault-mix figures, and what is off (must be empty)."""
    deployed = destroyed = 0
    deploy_fired: list[dict[str, int]] = []
    destroy_fired: list[dict[str, int]] = []
    off: list[str] = []
    for seed in range(1, runs + 1):
        workspace = make_workspace(root / f"faults-{seed}")
        with served(workspace, fault_mix(seed), time_scale=FAULT_TIME_SCALE) as srv:
            deploy = deploy_checked(workspace, srv)
            deploy_fired.append(fault_summary(deploy.log))
            if deploy.result.returncode == 0 and not deploy.out_of_sync:
                deployed += 1
            else:
                off.append(f"seed {seed}: deploy exit {deploy.result.returncode}, not in sync "
                           f"{deploy.out_of_sync}: {deploy.error}")
                finished = cli(workspace, srv, "deploy", "--yes")  # a whole environment for the destroy
                if finished.returncode != 0:
                    off.append(f"seed {seed}: deploy without faults exit {finished.returncode}")
            destroy = destroy_under(workspace, srv, fault_mix(seed))
            destroy_fired.append(fault_summary(destroy.log))
            if destroy.clean:
                destroyed += 1
            else:
                off.append(f"seed {seed}: destroy exit {destroy.result.returncode}, "
                           f"{len(destroy.resources)} resources left, {len(destroy.deleted)} soft-deleted")
        progress(f"seed {seed}: deploy {deploy_fired[-1]}, destroy {destroy_fired[-1]}")
    for what, summaries in (("deploys", deploy_fired), ("destroys", destroy_fired)):
        off += [f"no '{kind}' fault fired in the {what}" for kind in FAULT_KINDS if not total(summaries)[kind]]
    rows = [
        f"fault mix                            10 % 429 + Retry-After, 10 % 503, 5 % dropped "
        f"(time scale {FAULT_TIME_SCALE})",
        f"  deploys from scratch, first time   {deployed}/{runs}; {fired(deploy_fired)}",
        f"  destroys clean, first time         {destroyed}/{runs}; {fired(destroy_fired)}",
    ]
    return rows, off


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kill-points", type=int, default=15, help="SIGKILLs spread over a measured deploy")
    parser.add_argument("--runs", type=int, default=5, help="deploys and destroys under the fault mix")
    parser.add_argument("--keep", action="store_true", help="keep the workspaces (their path is printed)")
    args = parser.parse_args()
    if not SPECS.is_dir():
        raise SystemExit(f"Azure specs not found at {SPECS}: the strict emulator needs them")
    root = Path(tempfile.mkdtemp(prefix="fl-reliability-"))
    try:
        kill_rows, kill_off = kill_figures(root, args.kill_points)
        fault_rows, fault_off = fault_figures(root, args.runs)
    finally:
        if args.keep:
            progress(f"workspaces kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print("\n".join([*kill_rows, *fault_rows]))
    if kill_off or fault_off:
        raise SystemExit("off:\n" + "\n".join(kill_off + fault_off))


if __name__ == "__main__":
    main()
