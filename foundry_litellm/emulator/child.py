"""The emulator of ``--emulator`` in a process of its own.

In the CLI's process the emulator's request handling would share one interpreter lock with the tool's steps: every
burst of parallel writes would be slowed by its own answers, which no Azure endpoint does, and the deploy benchmark
would measure that. A child process runs on the other core and starts while the CLI reads its configuration and
state. It serves one CLI run and dies with it: on a normal end the CLI stops it (SIGTERM) and waits; if the CLI is
killed, the child sees within 20 ms that it has another parent and stops, and a new run waits for the dying one to
let go of the data directory (``Store.claim``). It is in a session of its own, so a Ctrl-C at the terminal reaches
the CLI only, which may still need its answers to record what is in flight.

Run as ``python -m foundry_litellm.emulator.child DATA_DIR TIME_SCALE PARENT_PID``: one JSON line on stdout when
serving (``url``, ``ca_cert``) or why it cannot (``error``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import IO, Any

from .store import CLAIM_WAIT

READY_TIMEOUT = 60.0


class EmulatorStartError(RuntimeError):
    """The child emulator did not start; the message says why."""


class ChildEmulator:
    """Started at construction; ``url`` and ``ca_cert`` wait for it to serve (the caller overlaps its own start)."""

    def __init__(self, data_dir: Path, *, time_scale: float) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self._stderr: IO[bytes] = (data_dir / "child.log").open("ab")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", __name__, str(data_dir), repr(time_scale), str(os.getpid())],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._stderr, start_new_session=True)
        self._ready: dict[str, str] | None = None

    def _answer(self) -> dict[str, str]:
        if self._ready is None:
            assert self._proc.stdout is not None
            timer = threading.Timer(READY_TIMEOUT, self._proc.kill)  # a child that hangs must not hang the CLI
            timer.start()
            try:
                line = self._proc.stdout.readline()
            finally:
                timer.cancel()
            answer: dict[str, str] = json.loads(line) if line.strip() else \
                {"error": f"it exited; its errors are in {self._stderr.name}"}
            if "error" in answer:
                self.stop()
                raise EmulatorStartError(f"the embedded emulator did not start: {answer['error']}")
            self._ready = answer
        return self._ready

    @property
    def url(self) -> str:
        return self._answer()["url"]

    @property
    def ca_cert(self) -> str:
        return self._answer()["ca_cert"]

    def stop(self) -> None:
        """Stop the child and wait for it: once this returns, its world and request log are on disk."""
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=CLAIM_WAIT)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._stderr.close()


def _say(line: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    data_dir, time_scale, parent = Path(argv[0]), float(argv[1]), int(argv[2])
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    from .embedded import config_from_env
    from .server import EmulatorServer
    from .store import DataDirBusy

    try:
        server = EmulatorServer(config_from_env(data_dir, time_scale=time_scale, claim_wait=CLAIM_WAIT))
    except (ValueError, DataDirBusy, OSError) as exc:
        _say({"error": str(exc)})
        return 2
    server.start()
    _say({"url": server.url, "ca_cert": str(server.ca_cert.resolve())})
    # Wake often: a CLI that ends waits for this process to end first, and one that was killed has left it to
    # another parent (getppid changes), whatever killed it and on any POSIX system.
    while not stop.wait(0.02) and os.getppid() == parent:
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    os._exit(code)  # the world and the request log are closed: the interpreter's teardown would only delay the CLI
