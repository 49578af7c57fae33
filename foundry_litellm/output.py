"""Progress and results. Progress goes to stderr (a live table on a terminal, timestamped lines in CI logs);
results go to stdout (tables, or JSON with ``--output json``), so pipelines can parse stdout."""

from __future__ import annotations

import json
import sys
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from .runner import Outcome

if TYPE_CHECKING:
    from .context import Managed
    from .runner import StepResult
    from .step import Step

_STYLE: dict[str, str] = {
    Outcome.CREATED: "green", Outcome.UPDATED: "yellow", Outcome.REPLACED: "magenta", Outcome.DELETED: "red",
    Outcome.FAILED: "bold red", Outcome.IN_SYNC: "green", Outcome.DRIFTED: "yellow", Outcome.MISSING: "red",
    Outcome.SKIPPED: "dim", Outcome.UNCHANGED: "dim", Outcome.ABSENT: "dim", Outcome.KEPT: "cyan",
    Outcome.NOT_DEPLOYED: "dim",
}
_QUIET = (Outcome.UNCHANGED, Outcome.IN_SYNC, Outcome.ABSENT, Outcome.NOT_DEPLOYED)  # said without detail


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


class PlainReporter:
    """One timestamped line per event: readable in CI logs, no control characters."""

    def __init__(self, stream: Any = None) -> None:
        self._stream = stream or sys.stderr
        self._lock = threading.Lock()

    def _line(self, text: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self._lock:
            self._stream.write(f"{stamp}  {text}\n")
            self._stream.flush()

    def note(self, message: str) -> None:
        self._line(message)

    def started(self, step: Step, what: str) -> None:
        self._line(f"{step.name}: {what} ...")

    def progress(self, step: Managed, message: str) -> None:
        self._line(f"{step.name}: {message}")

    def finished(self, result: StepResult) -> None:
        detail = f" ({result.error.message})" if result.error else (f" ({result.note})" if result.note else "")
        if result.outcome in _QUIET and not detail:
            detail = ""
        self._line(f"{result.step}: {result.outcome} in {result.elapsed:.1f}s{detail}")

    def close(self) -> None:
        """Nothing to tear down."""


class LiveReporter:
    """A live table of steps on a terminal: state, elapsed time, resource."""

    def __init__(self, steps: list[Step], console: Console | None = None) -> None:
        self._console = console or stderr_console()
        self._order = [s.name for s in steps]
        self._titles = {s.name: s.title for s in steps}
        self._state: dict[str, tuple[str, float | None, float | None, str]] = {
            s.name: ("waiting", None, None, "") for s in steps}
        self._lock = threading.Lock()
        self._live = Live(self._table(), console=self._console, refresh_per_second=4, transient=False,
                          get_renderable=self._table)
        self._live.start()

    def _table(self) -> Table:
        table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
        table.add_column("step")
        table.add_column("state")
        table.add_column("elapsed", justify="right")
        table.add_column("detail", overflow="fold")
        now = time.monotonic()
        with self._lock:
            for name in self._order:
                state, start, end, detail = self._state[name]
                elapsed = "" if start is None else f"{(end or now) - start:.0f}s"
                table.add_row(self._titles[name], f"[{_STYLE.get(state, 'white')}]{state}[/]", elapsed, detail)
        return table

    def note(self, message: str) -> None:
        self._live.console.print(message)

    def started(self, step: Step, what: str) -> None:
        with self._lock:
            self._state[step.name] = (what, time.monotonic(), None, "")

    def progress(self, step: Managed, message: str) -> None:
        with self._lock:
            state, start, end, _ = self._state[step.name]
            self._state[step.name] = (state, start or time.monotonic(), end, message)

    def finished(self, result: StepResult) -> None:
        detail = result.error.message if result.error else (result.note or result.resource_id.split("/")[-1])
        with self._lock:
            _, start, _, _ = self._state[result.step]
            end = time.monotonic()
            self._state[result.step] = (result.outcome, start if start is not None else end - result.elapsed,
                                        end, detail)

    def close(self) -> None:
        self._live.stop()


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    sys.stdout.flush()


def results_json(results: list[StepResult]) -> list[dict[str, Any]]:
    return [{
        "step": r.step, "title": r.title, "outcome": r.outcome,
        "action": r.action.value if r.action else None,
        "changes": [{"path": c.path, "actual": c.actual, "desired": c.desired} for c in r.changes],
        "resource_id": r.resource_id, "elapsed_seconds": round(r.elapsed, 2),
        "error": r.error.message if r.error else None, "note": r.note or None,
    } for r in results]


def results_table(results: list[StepResult], *, title: str, show_all: bool = True) -> Table:
    table = Table(title=title, box=None, header_style="bold", title_justify="left")
    table.add_column("step")
    table.add_column("result")
    table.add_column("detail", overflow="fold")
    for r in results:
        if not show_all and r.outcome in (Outcome.UNCHANGED, Outcome.IN_SYNC, Outcome.ABSENT):
            continue
        detail = r.error.message if r.error else r.note
        if r.changes:
            detail = "; ".join(c.describe() for c in r.changes[:4]) + (" ..." if len(r.changes) > 4 else "")
        outcome = r.action.value if r.outcome is Outcome.PLANNED and r.action else r.outcome
        table.add_row(r.title, f"[{_STYLE.get(outcome, 'white')}]{outcome}[/]", detail or "")
    return table
