"""The progress view of a long, parallel run, as a fixed-height panel.

A run has over a hundred steps but only a few run at once: listing every step would push the running ones off a
24-line terminal. The panel therefore never grows past the terminal: the running steps are always listed, the
finished ones are counted (failures named), and the last lines hold the overall bar, the elapsed time and, when the
last run's durations are known, the critical path's expected remainder.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

MAX_HEIGHT = 26  # rows of the panel on a tall terminal: room for 16 running steps (the default --parallel)
_FAILED = "failed"


class StepLike(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def depends_on(self) -> Sequence[object]: ...  # steps, or their names


@dataclass
class _Running:
    what: str
    since: float
    detail: str = ""


def clock(seconds: float) -> str:
    """``42s``, ``3m07s``, ``1h02m``: short enough for a footer."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class ProgressView:
    """What the panel shows; fed by the reporter's events from many threads, drawn by rich's refresh thread."""

    def __init__(self, steps: Sequence[StepLike], *, title: str = "", expected: dict[str, float] | None = None,
                 now: float | None = None) -> None:
        self._order = [s.name for s in steps]
        self._titles = {s.name: s.title for s in steps}
        deps = {s.name: [str(getattr(d, "name", d)) for d in s.depends_on] for s in steps}
        self._deps = {name: tuple(d for d in names if d in self._titles) for name, names in deps.items()}
        self._title = title
        self._expected = dict(expected or {})
        self._started = time.monotonic() if now is None else now
        self._running: dict[str, _Running] = {}
        self._done: dict[str, str] = {}  # step -> outcome
        self._failed: dict[str, str] = {}  # step -> why
        self._lock = threading.Lock()

    # --- events ---------------------------------------------------------------------------------------------
    def started(self, name: str, what: str) -> None:
        with self._lock:
            self._running[name] = _Running(what, time.monotonic())

    def progress(self, name: str, message: str) -> None:
        with self._lock:
            running = self._running.get(name)
            if running is None:  # a read waiting on a transient state before the step announced a write
                running = self._running[name] = _Running("reading", time.monotonic())
            running.detail = message

    def finished(self, name: str, outcome: str, why: str, elapsed: float) -> None:
        with self._lock:
            self._running.pop(name, None)
            self._done[name] = outcome
            if outcome == _FAILED:
                self._failed[name] = why

    # --- reading ----------------------------------------------------------------------------------------------
    def remaining(self, now: float | None = None) -> float | None:
        """Expected seconds left on the critical path (the longest chain of unfinished steps, a running step
        counting what its last duration leaves), from the durations of the last runs; None when none is known."""
        now = time.monotonic() if now is None else now
        with self._lock:
            running = {n: r.since for n, r in self._running.items()}
            done = set(self._done)
        finish: dict[str, float] = {}
        known = False
        for name in self._order:  # declared in dependency order
            if name in done:
                finish[name] = 0.0
                continue
            known = known or name in self._expected
            own = self._expected.get(name, 0.0)  # never timed (it never needed a write): quick
            if name in running:
                own = max(0.0, own - (now - running[name]))
            finish[name] = own + max((finish.get(d, 0.0) for d in self._deps[name]), default=0.0)
        return max(finish.values(), default=0.0) if known else None

    def render(self, height: int, width: int) -> RenderableType:
        """The panel, never taller than ``height - 1`` rows (the cursor's line) nor than ``MAX_HEIGHT``."""
        now = time.monotonic()
        panel_height = max(7, min(height - 1, MAX_HEIGHT))
        with self._lock:
            running = sorted(self._running.items(), key=lambda item: item[1].since)
            done = dict(self._done)
            failed = dict(self._failed)
        room = panel_height - 2 - 1 - 2  # borders, the table's header, the footer's two lines
        table = Table(box=None, pad_edge=False, show_header=True, header_style="bold", expand=True)
        # The step's name takes what it needs (it must stay readable on 80 columns); the detail gets the rest.
        table.add_column("running", no_wrap=True, overflow="ellipsis")
        table.add_column("", no_wrap=True, width=8)
        table.add_column("elapsed", justify="right", no_wrap=True, width=7)
        table.add_column("detail", no_wrap=True, overflow="ellipsis", ratio=1)
        shown = running if len(running) <= room else running[: max(0, room - 1)]
        for name, r in shown:
            table.add_row(self._titles.get(name, name), f"[yellow]{r.what}[/]", clock(now - r.since), r.detail)
        if len(shown) < len(running):
            table.add_row(f"[dim]+{len(running) - len(shown)} more running[/]", "", "", "")
        for name, why in list(failed.items())[: max(0, room - len(running))]:
            table.add_row(f"[bold red]{self._titles.get(name, name)}[/]", "[bold red]failed[/]", "", why)
        return Panel(Group(table, self._counts(done, len(running)), self._bar(len(done), now, width)),
                     title=self._title or None, title_align="left", height=panel_height, padding=(0, 1))

    def _counts(self, done: dict[str, str], running: int) -> Text:
        counts: dict[str, int] = {}
        for outcome in done.values():
            counts[outcome] = counts.get(outcome, 0) + 1
        waiting = len(self._order) - len(done) - running
        parts = [f"{n} {outcome}" for outcome, n in sorted(counts.items())]
        text = Text("finished: " + (", ".join(parts) if parts else "none"), overflow="ellipsis", no_wrap=True)
        text.append(f" · {running} running · {waiting} waiting", style="dim")
        return text

    def _bar(self, finished: int, now: float, width: int) -> Table:
        total = len(self._order)
        left = self.remaining(now)
        times = f"{finished}/{total}  elapsed {clock(now - self._started)}"
        if left is not None and finished < total:
            times += f"  ~{clock(left)} left (critical path)"
        grid = Table.grid(expand=True)
        grid.add_column(ratio=1)
        grid.add_column(no_wrap=True)
        grid.add_row(ProgressBar(total=max(total, 1), completed=finished), f" {times}")
        return grid


__all__ = ["MAX_HEIGHT", "ProgressView", "clock"]
