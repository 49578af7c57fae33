"""`--emulator` runs its emulator in a child process (foundry_litellm/emulator/child.py): it ends with the command,
also when the command is killed, and the next command finds the data directory free and the world as it was."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from .conftest import Workspace, writes


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text(errors="replace").replace("\0", " ")
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_the_emulator_of_a_killed_command_stops_and_the_next_command_serves_the_same_world(
        workspace: Workspace) -> None:
    proc = workspace.popen("deploy", "--emulator", "--yes")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not writes(workspace.requests()):
        time.sleep(0.05)
    assert writes(workspace.requests()), "the deploy never wrote"
    emulators = _children(proc.pid)
    assert len(emulators) == 1, emulators
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    gone_by = time.monotonic() + 10  # it notices within 20 ms; a loaded machine may take longer to schedule it
    while time.monotonic() < gone_by and _alive(emulators[0]):
        time.sleep(0.02)
    assert not _alive(emulators[0]), "the killed command's emulator is still running"

    resumed = workspace.run("deploy", "--emulator", "--yes")
    assert resumed.returncode == 0, resumed.stderr
    status = workspace.run("status", "--emulator")
    assert status.returncode == 0, status.stderr
    left = [pid for pid in map(int, filter(str.isdigit, os.listdir("/proc")))
            if _alive(pid) and str(workspace.emulator_dir) in _command_line(pid)]
    assert left == [], "an emulator outlived its command"
