"""Ctrl-C during a deploy or destroy, as an event rather than an exception.

A ``KeyboardInterrupt`` raised in the middle of the scheduler would unwind through the thread pool, which then
waits for every operation in flight (minutes against Azure), saying nothing. Instead: the first Ctrl-C sets
``requested``; the runner starts no new step, waits until the operations in flight have their continuation tokens
recorded, and returns what it has, so the command can say what was interrupted and how to resume. A second Ctrl-C
leaves at once: the state file is frozen first (a file rename is atomic, so it is whole), and the next run
re-attaches through the tokens it holds.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from types import FrameType, TracebackType
from typing import Any

from .errors import ToolError

EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells expect
log = logging.getLogger(__name__)


class Interrupted(ToolError):
    """The run stopped on Ctrl-C; what it did is recorded and a re-run resumes."""

    exit_code = EXIT_INTERRUPTED


class Interrupts:
    """Within the block, SIGINT is handled as described above (only in the main thread: Python delivers
    signals there)."""

    def __init__(self, freeze: Any, command: str) -> None:
        self.requested = threading.Event()
        self._freeze = freeze  # called before leaving at once: no thread may write the state after
        self._command = command
        self._previous: Any = None
        self._active = False

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._active = True
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._active:
            signal.signal(signal.SIGINT, self._previous)
            self._active = False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if not self.requested.is_set():
            self.requested.set()  # the runner's loop says so and logs it: no printing from a signal handler
            return
        self._freeze()
        log.warning("second interrupt: leaving at once")
        show_cursor = "\x1b[?25h" if sys.stderr.isatty() else ""
        message = (f"{show_cursor}\ninterrupted again: leaving now. The state file is valid; run "
                   f"'foundry-litellm {self._command}' again to resume (it re-attaches to operations in flight)\n")
        os.write(2, message.encode())
        logging.shutdown()
        os._exit(EXIT_INTERRUPTED)


__all__ = ["EXIT_INTERRUPTED", "Interrupted", "Interrupts"]
