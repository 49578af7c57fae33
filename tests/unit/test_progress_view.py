"""The progress panel: the critical path's expected remainder, and a panel that never outgrows the terminal."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console

from foundry_litellm.progress_view import ProgressView, clock


@dataclass
class _Step:
    name: str
    title: str
    depends_on: tuple[str, ...] = ()


# a -> b -> d and a -> c -> d: the longest chain decides.
STEPS = [_Step("a", "A"), _Step("b", "B", ("a",)), _Step("c", "C", ("a",)), _Step("d", "D", ("b", "c"))]


def test_the_remainder_follows_the_longest_chain_of_unfinished_steps() -> None:
    view = ProgressView(STEPS, expected={"a": 10, "b": 100, "c": 5, "d": 20})
    assert view.remaining(now=0) == 130  # a + b + d
    view.finished("a", "created", "", 10)
    assert view.remaining(now=0) == 120
    view.finished("b", "created", "", 100)
    assert view.remaining(now=0) == 25  # c + d


def test_a_running_step_counts_what_its_last_duration_leaves() -> None:
    view = ProgressView(STEPS, expected={"a": 10, "b": 100, "c": 5, "d": 20})
    view.finished("a", "created", "", 10)
    view.started("b", "create")
    started = view._running["b"].since
    assert view.remaining(now=started + 40) == 80  # 60 left of b, then d
    assert view.remaining(now=started + 400) == 25  # b overdue: c, then d


def test_no_remainder_is_promised_without_any_known_duration() -> None:
    assert ProgressView(STEPS).remaining(now=0) is None


def _rendered(view: ProgressView, width: int, height: int) -> list[str]:
    console = Console(width=width, height=height, record=True, color_system=None)
    console.print(view.render(height, width))
    return console.export_text().rstrip("\n").splitlines()


def test_every_running_step_is_listed_within_the_terminal_and_finished_ones_are_counted() -> None:
    many = [_Step(f"s{i}", f"Step number {i}") for i in range(116)]
    view = ProgressView(many, title="deploy")
    for i in range(16):
        view.started(f"s{i}", "create")
    for i in range(16, 40):
        view.finished(f"s{i}", "created", "", 1.0)
    view.finished("s40", "failed", "BadRequest: no", 1.0)
    lines = _rendered(view, 80, 24)
    assert len(lines) <= 23
    text = "\n".join(lines)
    assert all(f"Step number {i} " in text for i in range(16))
    assert "24 created" in text and "1 failed" in text and "16 running" in text and "75 waiting" in text
    assert "25/116" in text


def test_more_running_steps_than_rows_say_how_many_are_not_shown() -> None:
    many = [_Step(f"s{i}", f"Step {i}") for i in range(40)]
    view = ProgressView(many)
    for i in range(30):
        view.started(f"s{i}", "create")
    lines = _rendered(view, 80, 12)
    assert len(lines) <= 11
    assert any("more running" in line for line in lines)


def test_clock() -> None:
    assert [clock(5), clock(187), clock(3725)] == ["5s", "3m07s", "1h02m"]


def test_dependencies_may_be_steps_rather_than_names() -> None:
    a = _Step("a", "A")
    b = _Step("b", "B", (a,))  # type: ignore[arg-type]  # the pipeline's steps name their dependencies as steps
    view = ProgressView([a, b], expected={"a": 10, "b": 5})
    assert view.remaining(now=0) == 15
