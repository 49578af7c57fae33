"""Chaos: a deploy SIGKILLed at many points converges with one plain re-run that rewrites nothing it need not;
deploy and destroy under a mix of transient faults succeed the first time."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .chaos import (
    FAULT_TIME_SCALE,
    cli,
    deploy_under,
    destroy_under,
    fault_mix,
    fault_summary,
    kill_points,
    kill_then_rerun,
    last_line,
    measure_deploy,
)
from .conftest import Workspace, served

KILL_POINTS = 12
SEEDS = (1, 2, 3)


@pytest.mark.slow
def test_sigkill_at_many_points_then_plain_rerun_converges(tmp_path: Path) -> None:
    """Kill points are write sequence numbers spread over a measured run, not seconds nor requests: a loaded machine
    runs slower and polls a different number of times, but sends the same writes in about the same order, so the
    same points are hit."""
    # The measured runs go two at a time, as the kill points do: the same load, about the same request count.
    with ThreadPoolExecutor(max_workers=2) as pool:
        measured = list(pool.map(measure_deploy, [tmp_path / "measured-1", tmp_path / "measured-2"]))
    requests = min(m.writes for m in measured)
    expected = measured[0].landed_writes
    points = kill_points(requests, KILL_POINTS)
    assert len(points) >= 12 and len(set(points)) == len(points)

    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(pool.map(lambda k: kill_then_rerun(tmp_path / f"kill-{k}", k, expected), points))

    converged = sum(r.converged for r in reports)
    header = (f"measured: {[m.writes for m in measured]} writes in {[round(m.seconds, 1) for m in measured]} s; "
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
    with served(workspace, time_scale=FAULT_TIME_SCALE) as srv:
        deployed = cli(workspace, srv, "deploy", "--yes")
        assert deployed.returncode == 0, deployed.stderr
        destroyed = destroy_under(workspace, srv, fault_mix(seed))
    fired = fault_summary(destroyed.log)
    assert destroyed.result.returncode == 0, f"faults {fired}: {last_line(destroyed.result.stderr)}"
    assert {"429", "503", "dropped before", "dropped after"} <= set(fired), f"the faults must really fire: {fired}"
    assert "failed" not in destroyed.outcomes.values()
    # The resource group is the tool's own (it created it): nothing may remain, nothing stay soft-deleted.
    assert destroyed.resources == []
    assert destroyed.deleted == []
