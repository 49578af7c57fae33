"""A real terminal for CLI tests: the CLI runs in a tmux pane of a given size, and tests read what the pane shows
(``capture-pane``), as a user sees it. Conditions are polled with a generous bound, never slept for."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import Workspace

EXIT_LINE = "exit code: "
BOUND = 60.0  # seconds: a loaded two-core machine gets there in a few; this only turns a hang into a failure


def need_tmux() -> str:
    found = shutil.which("tmux")
    if found is None:  # scripts/test installs it (apt); a bare pytest run elsewhere may lack it
        pytest.skip("tmux is not installed")
    return found


class Pane:
    """One tmux server (its own socket) with one pane running ``foundry-litellm <args>`` in a workspace; the
    pane stays open after the command ends, showing ``exit code: N``."""

    def __init__(self, workspace: Workspace, args: list[str], *, width: int, height: int) -> None:
        self._tmux = need_tmux()
        self._socket = str(workspace.path / "tmux.sock")
        script = workspace.path / f"run-{width}x{height}.sh"
        exports = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in workspace.env.items())
        command = shlex.join([sys.executable, "-m", "foundry_litellm", *args])
        # The shell outlives a Ctrl-C (a trap, which its child does not inherit) to print the exit code.
        script.write_text(f"#!/bin/sh\ncd {shlex.quote(str(workspace.path))}\n{exports}export TERM=xterm-256color\n"
                          f"trap true INT\n{command}\necho \"{EXIT_LINE}$?\"\nexec sleep 3600\n")
        script.chmod(0o755)
        # The pane stays after its process ends, whatever the way it ends, so that its last words can be read.
        self._tmux_cmd("new-session", "-d", "-s", "t", "-x", str(width), "-y", str(height), "sleep 3600")
        self._tmux_cmd("set-option", "-t", "t", "remain-on-exit", "on")
        self._tmux_cmd("respawn-pane", "-k", "-t", "t", str(script))
        self.width, self.height = width, height

    def _tmux_cmd(self, *args: str) -> str:
        return subprocess.run([self._tmux, "-S", self._socket, *args], check=True, capture_output=True,
                              text=True, timeout=30).stdout

    def screen(self) -> str:
        """What the pane shows now, line by line."""
        return self._tmux_cmd("capture-pane", "-p", "-t", "t")

    def history(self) -> str:
        """The pane's text including what scrolled off."""
        return self._tmux_cmd("capture-pane", "-p", "-J", "-S", "-2000", "-t", "t")

    def keys(self, *keys: str) -> None:
        self._tmux_cmd("send-keys", "-t", "t", *keys)

    def wait_for(self, condition: Callable[[str], bool], what: str, bound: float = BOUND) -> str:
        """Poll the screen until ``condition`` holds on it; the screen it held on."""
        give_up = time.monotonic() + bound
        while True:
            text = self.screen()
            if condition(text):
                return text
            if time.monotonic() > give_up:
                raise AssertionError(f"never on screen within {bound:.0f}s: {what}\n--- screen ---\n{text}")
            time.sleep(0.2)

    def exit_code(self, bound: float = BOUND) -> int:
        text = self.wait_for(lambda t: EXIT_LINE in t, "the command's exit", bound)
        line = next(line for line in text.splitlines() if line.startswith(EXIT_LINE))
        return int(line[len(EXIT_LINE):].strip())

    def close(self) -> None:
        subprocess.run([self._tmux, "-S", self._socket, "kill-server"], capture_output=True, timeout=30)
        Path(self._socket).unlink(missing_ok=True)


SIZES = [(80, 24), (160, 50)]
