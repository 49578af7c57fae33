"""Chaos: a deploy SIGKILLed at many points converges with one plain re-run that rewrites nothing it need not;
deploy and destroy under a mix of transient faults succeed the first time."""

from __future__ import annotations

import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .chaos import (
    PointReport,
    cli,
    deploy_and_kill,
    deploy_under,
    fault_mix,
    fault_summary,
    judge_rerun,
    kill_points,
    last_line,
    make_workspace,
    not_in_sync,
    serve,
    status_outcomes,
    writes_by_path,
)
from .conftest import Workspace

# A whole deploy lasts about 6-10 s at this scale on 2 cores: long enough that the long operations (PostgreSQL,
# Container Apps, Application Gateway, capability hosts) are in flight over many requests.
KILL_TIME_SCALE = "0.004"
KILL_POINTS = 12
FAULT_TIME_SCALE = "0.002"
SEEDS = (1, 2, 3)


def _measure(path: Path) -> tuple[int, Counter[str], float]:
    """One whole deploy: its request count, the landed writes per resource path, its wall time."""
    workspace = make_workspace(path)
    with serve(workspace, time_scale=KILL_TIME_SCALE) as served:
        started = time.monotonic()
        result = cli(workspace, served, "deploy", "--yes")
        elapsed = time.monotonic() - started
        assert result.returncode == 0, result.stderr
        log = served.log()
    return len(log), writes_by_path(log, only_landed=True), elapsed


def _kill_then_rerun(path: Path, kill_after: int, expected: Counter[str]) -> PointReport:
    report = PointReport(kill_after)
    workspace = make_workspace(path)
    try:
        with serve(workspace, time_scale=KILL_TIME_SCALE) as served:
            report.kill = kill = deploy_and_kill(workspace, served, kill_after)
            if not kill.killed:
                report.error = f"the deploy ended (exit {kill.returncode}) before request {kill_after}"
                return report
            rerun = cli(workspace, served, "deploy", "--yes", "-o", "json")
            report.rerun_returncode = rerun.returncode
            if rerun.returncode != 0:
                report.rerun_error = last_line(rerun.stderr)
            log = served.log()
            before, after = log[:kill.boundary], log[kill.boundary:]
            report.second_puts, report.rewrites, report.followed = judge_rerun(before, after, kill.pending,
                                                                               expected)
            report.out_of_sync = not_in_sync(status_outcomes(workspace, served))
    except Exception as exc:  # one broken point must not hide the others' reports
        report.error = f"{type(exc).__name__}: {exc}"
    return report


@pytest.mark.slow
def test_sigkill_at_many_points_then_plain_rerun_converges(tmp_path: Path) -> None:
    """Kill points are request sequence numbers spread over a measured run, not seconds: a loaded machine runs
    slower but sends the same requests in about the same order, so the same points are hit."""
    # The measured runs go two at a time, as the kill points do: the same load, about the same request count.
    with ThreadPoolExecutor(max_workers=2) as pool:
        measured = list(pool.map(_measure, [tmp_path / "measured-1", tmp_path / "measured-2"]))
    requests = min(m[0] for m in measured)
    expected = measured[0][1]
    points = kill_points(requests, KILL_POINTS)
    assert len(points) >= 12 and len(set(points)) == len(points)

    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(pool.map(lambda k: _kill_then_rerun(tmp_path / f"kill-{k}", k, expected), points))

    converged = sum(r.converged for r in reports)
    header = (f"measured: {[m[0] for m in measured]} requests in {[round(m[2], 1) for m in measured]} s; "
              f"converged {converged}/{len(reports)}, clean {sum(r.ok for r in reports)}/{len(reports)}")
    table = "\n".join([header, *(r.line() for r in reports)])
    print(table)
    assert all(r.kill is not None and r.kill.killed for r in reports), table
    assert all(r.ok for r in reports), table


@pytest.mark.parametrize("seed", SEEDS)
def test_deploy_under_the_fault_mix_succeeds_the_first_time(workspace: Workspace, seed: int) -> None:
    deploy = deploy_under(workspace, fault_mix(seed), time_scale=FAULT_TIME_SCALE)
    fired = fault_summary(deploy.log)
    assert deploy.result.returncode == 0, f"faults {fired}: {deploy.error}"
    assert {"429", "503", "dropped before", "dropped after"} <= set(fired), f"the faults must really fire: {fired}"
    assert deploy.out_of_sync == {}


@pytest.mark.parametrize("seed", SEEDS)
def test_destroy_under_the_fault_mix_ends_clean_the_first_time(workspace: Workspace, seed: int) -> None:
    with serve(workspace, time_scale=FAULT_TIME_SCALE) as served:
        deployed = cli(workspace, served, "deploy", "--yes")
        assert deployed.returncode == 0, deployed.stderr
        seen = served.log_length()
        served.admin.set_faults(fault_mix(seed))
        destroyed = cli(workspace, served, "destroy", "--yes", "-o", "json", timeout=600)
        fired = fault_summary(served.log()[seen:])
        served.admin.clear_faults()
        resources = served.admin.resources()
        deleted = served.admin.deleted()
    assert destroyed.returncode == 0, f"faults {fired}: {last_line(destroyed.stderr)}"
    assert {"429", "503", "dropped before", "dropped after"} <= set(fired), f"the faults must really fire: {fired}"
    outcomes = {s["step"]: s["outcome"] for s in json.loads(destroyed.stdout)["steps"]}
    assert "failed" not in outcomes.values()
    # The resource group is the tool's own (it created it): nothing may remain, nothing stay soft-deleted.
    assert [r["id"] for r in resources] == []
    assert deleted == []
