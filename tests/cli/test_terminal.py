"""The CLI at a real terminal (tmux, 80x24 and 160x50): the confirmation is visible, every running step is on
screen, and Ctrl-C says what it interrupted and how to resume, leaving a state the next run resumes from.

Operations are held open by the emulator (``stall_operation``, ``latency_ms``), so a deploy is provably mid-run
when the screen is read or Ctrl-C is sent; every wait polls the screen or the state with a generous bound.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from foundry_litellm import config as config_module
from foundry_litellm.state import StateStore, check_schema
from tests.conftest import SUBSCRIPTION

from .conftest import CONFIG, Workspace, path_key, served
from .terminal import BOUND, SIZES, Pane

STALL_PUTS = {"seed": 0, "rules": [{"method": "PUT", "path": "/subscriptions/", "stall_operation": True}]}


@pytest.fixture
def panes() -> Iterator[list[Pane]]:
    opened: list[Pane] = []
    yield opened
    for pane in opened:
        pane.close()


def _titles(workspace: Workspace) -> dict[str, str]:
    """Step name -> the title the progress view shows."""
    import steps

    loaded = config_module.load(workspace.path / "foundry-litellm.toml", require_openai=False,
                                subscription_id=SUBSCRIPTION)
    return {s.name: s.title for s in steps.pipeline(loaded)}


def _in_progress(workspace: Workspace) -> set[str]:
    try:
        recorded = workspace.state()["steps"]
    except (OSError, ValueError, KeyError):
        return set()
    return {name for name, entry in recorded.items() if entry.get("status") == "in progress"}


def _wait(condition: Any, what: str) -> None:
    give_up = time.monotonic() + BOUND
    while not condition():
        assert time.monotonic() < give_up, f"never happened within {BOUND:.0f}s: {what}"
        time.sleep(0.2)


@pytest.mark.parametrize(("width", "height"), SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_destroy_asks_outside_any_live_display_and_the_question_stays_visible(
        workspace: Workspace, panes: list[Pane], width: int, height: int) -> None:
    """Issue 14, item 1: the [y/N] question was drawn under a live table of 116 waiting rows and scrolled off."""
    assert workspace.run("deploy", "--emulator", "--yes").returncode == 0
    pane = Pane(workspace, ["destroy", "--emulator"], width=width, height=height)
    panes.append(pane)
    screen = pane.wait_for(lambda t: "[y/N]" in t, "the confirmation question")
    flat = " ".join(screen.split())
    assert "Destroy environment 'test'" in flat and "Data in it is lost." in flat
    assert "waiting" not in screen and "running" not in screen, "no progress display while asking"
    assert screen.rstrip().splitlines()[-1].rstrip().endswith("[y/N]:"), "the question is the last line, awaiting"
    pane.keys("y", "Enter")
    assert pane.exit_code() == 0
    assert "destroy:" in pane.history()


@pytest.mark.parametrize(("width", "height"), SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_running_step_is_on_screen_with_counts_and_elapsed_time(
        workspace: Workspace, panes: list[Pane], width: int, height: int) -> None:
    """Issue 14, item 2: the live table was cut at the terminal's height while the long steps ran off-screen."""
    titles = _titles(workspace)
    with served(workspace, STALL_PUTS) as srv:
        pane = Pane(workspace, ["deploy", *srv.endpoint, "--yes"], width=width, height=height)
        panes.append(pane)
        # Every long-running PUT stalls: the steps writing pile up, in flight, until the test lets them go.
        _wait(lambda: len(workspace.pending()) >= 3, "three operations in flight")

        def all_running_shown(screen: str) -> bool:
            running = _in_progress(workspace)
            return len(running) >= 3 and all(titles[name] in screen for name in running)

        screen = pane.wait_for(all_running_shown, "every step in progress")
        assert "running" in screen and "waiting" in screen and "elapsed" in screen
        assert len(screen.rstrip("\n").splitlines()) <= height
        pane.keys("C-c")
        assert pane.exit_code() == 130


def test_ctrl_c_during_deploy_says_what_was_interrupted_and_a_rerun_resumes(
        workspace: Workspace, panes: list[Pane]) -> None:
    """Issue 14, item 3: Ctrl-C printed nothing, exited 130 some seconds later, and the log did not record it."""
    with served(workspace, STALL_PUTS) as srv:
        pane = Pane(workspace, ["deploy", *srv.endpoint, "--yes"], width=160, height=50)
        panes.append(pane)
        _wait(lambda: len(workspace.pending()) >= 3, "three operations in flight")
        pane.keys("C-c")
        assert pane.exit_code() == 130
        text = " ".join(pane.history().split())
        assert "interrupted:" in text and "operation(s) left running in Azure" in text
        assert "run 'foundry-litellm deploy' again to resume" in text
        assert "log: " in text
        pending = workspace.pending()
        assert len(pending) >= 3, "the continuation tokens of the operations in flight stay recorded"
        log = sorted((workspace.state_dir / "logs").glob("*.log"))[-1].read_text()
        assert "interrupt" in log
        # The re-run re-attaches to the operations left in flight: no second PUT to any of them.
        srv.admin.clear_faults()
        srv.admin.release_operations()
        seen = len(srv.admin.requests())
        rerun = workspace.run("deploy", *srv.endpoint, "--yes", "-o", "json", timeout=300)
        assert rerun.returncode == 0, rerun.stderr
        again = {path_key(e) for e in srv.admin.requests(seen) if e["method"] == "PUT"}
        assert not again & set(pending.values()), "an interrupted operation was written again"


def test_a_second_ctrl_c_leaves_at_once_with_a_valid_state(workspace: Workspace, panes: list[Pane]) -> None:
    """Issue 14, item 3: the first Ctrl-C waits for a write just sent to be answered; the second does not."""
    slow_vnet = {"seed": 0, "rules": [{"method": "PUT", "path": "/virtualnetworks/vnet-[^/?]+(\\?|$)",
                                       "latency_ms": 600_000}]}
    with served(workspace, slow_vnet) as srv:
        pane = Pane(workspace, ["deploy", *srv.endpoint, "--yes"], width=160, height=50)
        panes.append(pane)
        _wait(lambda: "virtual_network" in _in_progress(workspace), "the VNet's PUT sent")
        started = time.monotonic()
        pane.keys("C-c")
        # Two signals sent together are one (signals do not queue): the second follows the first's answer.
        pane.wait_for(lambda t: "Ctrl-C again to leave at once" in t, "the first interrupt's answer")
        pane.keys("C-c")
        assert pane.exit_code() == 130
        assert time.monotonic() - started < BOUND  # far from the 600 s the answer would take
        text = " ".join(pane.history().split())
        assert "interrupted again: leaving now" in text
        data = json.loads((workspace.state_dir / "test.json").read_text())
        check_schema(workspace.state_dir / "test.json", data)
        assert StateStore(workspace.state_dir, "test").holder() is None, "the lock is released"


@pytest.mark.parametrize(("width", "height"), SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_deploy_asks_after_its_plan_and_counts_right_above_the_question(
        workspace: Workspace, panes: list[Pane], width: int, height: int) -> None:
    assert workspace.run("deploy", "--emulator", "--yes").returncode == 0
    (workspace.path / "foundry-litellm.toml").write_text(CONFIG.replace('owner = "tests"', 'owner = "others"'))
    pane = Pane(workspace, ["deploy", "--emulator"], width=width, height=height)
    panes.append(pane)
    screen = pane.wait_for(lambda t: "[y/N]" in t, "the confirmation question")
    lines = [line.strip() for line in screen.rstrip().splitlines()]
    asked = next(i for i, line in enumerate(lines) if line.startswith("Apply these changes"))
    assert re.fullmatch(r"plan: 0 to create, \d+ to update, 0 to delete, \d+ unchanged", lines[asked - 1])
    assert "running" not in screen, "no progress display while asking"
    pane.keys("n", "Enter")
    assert pane.exit_code() == 2
    assert "error: cancelled" in pane.screen()


def test_ctrl_c_during_destroy_says_how_to_resume_and_a_rerun_ends_clean(
        workspace: Workspace, panes: list[Pane]) -> None:
    stall_deletes = {"seed": 0, "rules": [{"method": "DELETE", "path": "/subscriptions/", "stall_operation": True}]}
    with served(workspace) as srv:
        assert workspace.run("deploy", *srv.endpoint, "--yes").returncode == 0
        srv.admin.set_faults(stall_deletes)
        pane = Pane(workspace, ["destroy", *srv.endpoint, "--yes"], width=80, height=24)
        panes.append(pane)
        _wait(lambda: len(workspace.pending()) >= 2, "two deletions in flight")
        pane.keys("C-c")
        assert pane.exit_code() == 130
        text = " ".join(pane.history().split())
        assert "interrupted:" in text and "run 'foundry-litellm destroy' again to resume" in text
        assert workspace.pending(), "the deletions in flight keep their tokens"
        srv.admin.clear_faults()
        srv.admin.release_operations()
        rerun = workspace.run("destroy", *srv.endpoint, "--yes", timeout=300)
        assert rerun.returncode == 0, rerun.stderr
        assert srv.admin.resources() == []


def test_a_deploy_after_a_destroy_shows_the_critical_paths_expected_remainder(
        workspace: Workspace, panes: list[Pane]) -> None:
    """Issue 14, item 2: the step durations of the last deploy outlive a destroy and drive the estimate."""
    with served(workspace) as srv:
        assert workspace.run("deploy", *srv.endpoint, "--yes").returncode == 0
        assert workspace.run("destroy", *srv.endpoint, "--yes").returncode == 0
        durations = workspace.state()["durations"]
        assert len(durations) > 50 and all(seconds >= 0 for seconds in durations.values())
        srv.admin.set_faults(STALL_PUTS)
        pane = Pane(workspace, ["deploy", *srv.endpoint, "--yes"], width=80, height=24)
        panes.append(pane)
        screen = pane.wait_for(lambda t: "left (critical path)" in t, "the expected remainder")
        assert re.search(r"elapsed \d+s  ~\d+(m\d\ds|s) left \(critical path\)", screen), screen
        pane.keys("C-c")
        assert pane.exit_code() == 130
