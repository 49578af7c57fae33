"""The state file: one JSON document per environment, written atomically as each step finishes.

It holds, per step, its status, resource id, outputs, timestamps and the continuation token of a
long-running operation in flight - never a secret. A lock file makes a second concurrent run fail fast.
"""

from __future__ import annotations

import contextlib
import copy
import fcntl
import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from .errors import StateLocked, ToolError

SCHEMA_VERSION = 1
DEFAULT_DIR = Path(".foundry-litellm")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def write_atomic(path: Path, text: str) -> None:
    """Temporary file, fsync, rename: a kill leaves the old or the new file, never half of one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        data = text.encode()
        while data:
            data = data[os.write(fd, data) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


class State:
    """A thread-safe view of the state document; every change is saved at once."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self._data = data
        self._lock = threading.RLock()
        self._frozen = False

    def freeze(self) -> None:
        """Write nothing more: an interrupted run leaves the file as it stands, while threads it abandons may
        still be finishing (what they would learn, the next run reads live)."""
        self._frozen = True

    @property
    def data(self) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._data)

    def step(self, name: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._data["steps"].get(name, {}))

    def update_step(self, name: str, **fields: Any) -> None:
        with self._lock:
            entry = self._data["steps"].setdefault(name, {})
            entry.update(fields)
            self._save()

    def record_duration(self, name: str, seconds: float) -> None:
        """How long a step's write took, kept apart from its entry so that it outlives a destroy: the progress
        view of a later deploy estimates its critical path from it."""
        with self._lock:
            durations = self._data.setdefault("durations", {})
            if isinstance(durations, dict):
                durations[name] = round(seconds, 1)
                self._save()

    def drop_step(self, name: str) -> None:
        with self._lock:
            self._data["steps"].pop(name, None)
            self._save()

    def set(self, key: str, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._save()

    def _save(self) -> None:
        if self._frozen:
            return
        self._data["updated_at"] = now_iso()
        write_atomic(self.path, json.dumps(self._data, indent=2, sort_keys=True) + "\n")


class StateStore:
    def __init__(self, directory: Path, environment: str) -> None:
        self.directory = directory
        self.environment = environment
        self.path = directory / f"{environment}.json"
        self._lock_path = directory / f"{environment}.lock"
        self._lock_handle: TextIO | None = None

    def acquire(self) -> None:
        """Hold the environment's lock for this run, or fail at once (exit 3)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        handle = self._lock_path.open("a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise StateLocked(f"environment '{self.environment}' is locked by {holder}",
                              hint=f"wait for that run to finish; the lock is {self._lock_path}") from exc
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {now_iso()}\n")
        handle.flush()
        self._lock_handle = handle

    def holder(self) -> str | None:
        """Who holds the environment's lock now (``pid N since T``), or None when no run does; takes nothing."""
        if not self._lock_path.exists():
            return None
        with self._lock_path.open("a+") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                return handle.read().strip() or "another process"
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return None

    def release(self) -> None:
        if self._lock_handle is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_handle.fileno(), fcntl.LOCK_UN)
            self._lock_handle.close()
            self._lock_handle = None

    def exists(self) -> bool:
        return self.path.exists()

    def load(self, **identity: str) -> State:
        """The environment's state, or a fresh one carrying ``identity`` (subscription, group, ...)."""
        if self.path.exists():
            try:
                data = json.loads(self.path.read_text())
            except ValueError as exc:
                raise ToolError(f"{self.path} is not valid JSON: {exc}",
                                hint="restore it from a backup or remove it to start over") from exc
            check_schema(self.path, data)
            return State(self.path, data)
        data = {"schema_version": SCHEMA_VERSION, "environment": self.environment, "created_at": now_iso(),
                "steps": {}, "outputs": {}, **identity}
        return State(self.path, data)


def check_schema(path: Path, data: Any) -> None:
    """One clear error for a state file of the wrong shape (hand-edited, or another tool's), before any use."""
    def bad(problem: str) -> ToolError:
        return ToolError(f"{path} is not a foundry-litellm state file: {problem}",
                         hint="restore it from a backup, or move it away to start over (a deploy then adopts "
                              "what exists)")

    if not isinstance(data, dict):
        raise bad(f"it holds a JSON {type(data).__name__}, not an object")
    if "schema_version" not in data:
        raise bad("it has no schema_version")
    if data["schema_version"] != SCHEMA_VERSION:
        raise ToolError(f"{path} has schema version {data['schema_version']!r}; this tool reads version "
                        f"{SCHEMA_VERSION}", hint="use the foundry-litellm release that wrote it")
    if not isinstance(data.get("steps"), dict):
        raise bad("'steps' must be an object of step name -> entry")
    wrong = sorted(name for name, entry in data["steps"].items() if not isinstance(entry, dict))
    if wrong:
        raise bad(f"the entry of step '{wrong[0]}' must be an object")
    if not isinstance(data.get("outputs", {}), dict):
        raise bad("'outputs' must be an object")
