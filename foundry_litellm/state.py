"""The state: one JSON document per environment, written as each step finishes, in a backend.

It holds, per step, its status, resource id, outputs, timestamps and the continuation token of a
long-running operation in flight - never a secret. The local backend (``StateStore``) is a file with a lock file
that makes a second concurrent run fail fast; ``blob_state.BlobStateStore`` keeps it in Azure Blob Storage under a
lease. Both keep the versions a write replaced (``history``).
"""

from __future__ import annotations

import contextlib
import copy
import fcntl
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TextIO

from .errors import StateLocked, ToolError

SCHEMA_VERSION = 1
DEFAULT_DIR = Path(".foundry-litellm")
LOCAL_HISTORY = 50  # versions the local backend keeps


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


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


class _Renderer:
    """``render`` of a document whose step entries change one at a time, keeping each entry's text: an indented
    dump is pure Python (the C encoder does not indent), and a deploy saves its whole state some 300 times, each
    re-rendering over a hundred entries for the one that changed — CPU the run's own threads then wait for."""

    def __init__(self) -> None:
        self._entries: dict[str, str] = {}  # step name -> its entry, rendered at the depth it has in the document

    def forget(self, name: str | None = None) -> None:
        """The entry ``name`` changed (None: any may have)."""
        if name is None:
            self._entries.clear()
        else:
            self._entries.pop(name, None)

    def render(self, data: dict[str, Any]) -> str:
        """Exactly ``render(data)``."""
        parts = []
        for key in sorted(data):
            value = data[key]
            if key == "steps" and isinstance(value, dict) and value:
                entries = ",\n".join(f"    {json.dumps(name)}: {self._entry(name, value[name])}"
                                      for name in sorted(value))
                text = "{\n" + entries + "\n  }"
            else:
                text = _indented(value, 1)
            parts.append(f"  {json.dumps(key)}: {text}")
        return "{\n" + ",\n".join(parts) + "\n}\n" if parts else "{}\n"

    def _entry(self, name: str, entry: Any) -> str:
        if name not in self._entries:
            self._entries[name] = _indented(entry, 2)
        return self._entries[name]


def _indented(value: Any, depth: int) -> str:
    """``value`` as ``json.dumps(..., indent=2, sort_keys=True)`` writes it ``depth`` levels deep in a document."""
    return json.dumps(value, indent=2, sort_keys=True).replace("\n", "\n" + "  " * depth)


def parse(text: str, where: str) -> dict[str, Any]:
    """A state document read from ``where``, checked before anything relies on it."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ToolError(f"{where} is not valid JSON: {exc}",
                        hint="restore a previous version ('foundry-litellm state history') or remove it to start "
                             "over") from exc
    check_schema(where, data)
    checked: dict[str, Any] = data
    return checked


def fresh(environment: str, **identity: str) -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, "environment": environment, "created_at": now_iso(),
            "steps": {}, "outputs": {}, **identity}


@dataclass(frozen=True)
class Version:
    """An earlier version of the state document that a write replaced."""

    id: str  # what `state rollback` takes
    saved_at: datetime
    size: int


class Backend(Protocol):
    """Where an environment's state lives, and its lock."""

    environment: str

    def describe(self) -> str: ...

    def acquire(self, operation: str = "run") -> None: ...

    def release(self) -> None: ...

    def holder(self) -> str | None:
        """Who holds the lock now, or None; takes nothing."""

    def exists(self) -> bool: ...

    def load(self, **identity: str) -> State: ...

    def read_text(self) -> str | None: ...

    def write_text(self, text: str) -> None: ...

    def history(self) -> list[Version]: ...

    def read_version(self, version: str) -> str: ...


class State:
    """A thread-safe view of the state document; every change is saved through ``save`` before the call that made it
    returns. Writes are serialized and coalesce: a change staged while another write is in progress is saved by the
    next write, which holds every change staged meanwhile (one write for many concurrent steps, none stale)."""

    def __init__(self, data: dict[str, Any], save: Callable[[str], None]) -> None:
        self._data = data
        self._write = save
        self._lock = threading.RLock()  # the document
        self._write_lock = threading.Lock()  # one write at a time, in order
        self._frozen = False
        self._staged = 0  # changes made so far
        self._text = ""  # the document as of change ``_staged``
        self._written = 0  # the newest change the backend holds
        self._renderer = _Renderer()

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
            if _restates(self._data["steps"].get(name), fields):
                return
            entry = self._data["steps"].setdefault(name, {})
            entry.update(fields)
            self._renderer.forget(name)
            change = self._stage()
        self._save(change)

    def record_duration(self, name: str, seconds: float) -> None:
        """How long a step's write took, kept apart from its entry so that it outlives a destroy: the progress
        view of a later deploy estimates its critical path from it."""
        with self._lock:
            durations = self._data.setdefault("durations", {})
            if not isinstance(durations, dict):
                return
            durations[name] = round(seconds, 1)
            change = self._stage()
        self._save(change)

    def durations(self) -> dict[str, float]:
        """Real seconds of each step's last timed write (``record_duration``; a hand-edited odd value is left out)."""
        with self._lock:
            durations = self._data.get("durations")
            if not isinstance(durations, dict):
                return {}
            return {str(k): float(v) for k, v in durations.items() if isinstance(v, int | float)}

    def drop_step(self, name: str) -> None:
        with self._lock:
            self._data["steps"].pop(name, None)
            self._renderer.forget(name)
            change = self._stage()
        self._save(change)

    def set(self, key: str, value: Any) -> None:
        with self._lock:
            if key in self._data and self._data[key] == value:
                return  # nothing new: the file and its history stay as they are
            self._data[key] = value
            if key == "steps":
                self._renderer.forget()
            change = self._stage()
        self._save(change)

    def _stage(self) -> int:
        """Under ``_lock``: the document with this change, rendered; the change's number (0: frozen, not saved)."""
        if self._frozen:
            return 0
        self._data["updated_at"] = now_iso()
        self._staged += 1
        self._text = self._renderer.render(self._data)
        return self._staged

    def _save(self, change: int) -> None:
        """Return once the backend holds ``change``: written by this thread, or by one that wrote a later document
        while this one waited for its turn."""
        with self._write_lock:
            if self._frozen or self._written >= change:
                return
            with self._lock:
                latest, text = self._staged, self._text
            self._write(text)
            self._written = latest


# When a step last finished: not news by itself.
_STAMPS = frozenset({"finished_at"})


def _restates(entry: dict[str, Any] | None, fields: dict[str, Any]) -> bool:
    """True when ``fields`` would change nothing in ``entry`` but its time stamps (a step found as wanted): such an
    update is not saved, so a run with nothing to do neither spends a write of the whole document per step nor
    fills the history of versions (``StateStore``) with copies of the same state."""
    return entry is not None and all(key in entry and entry[key] == value
                                     for key, value in fields.items() if key not in _STAMPS)


class StateStore:
    """The local backend: ``<directory>/<environment>.json``, its lock file, and the versions writes replaced in
    ``<directory>/history/<environment>/`` (hard links: keeping one costs no copy)."""

    def __init__(self, directory: Path, environment: str) -> None:
        self.directory = directory
        self.environment = environment
        self.path = directory / f"{environment}.json"
        self._lock_path = directory / f"{environment}.lock"
        self._history = directory / "history" / environment
        self._lock_handle: TextIO | None = None

    def describe(self) -> str:
        return str(self.path)

    def acquire(self, operation: str = "run") -> None:
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
        handle.write(f"pid {os.getpid()} ({operation}) since {now_iso()}\n")
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
        text = self.read_text()
        data = parse(text, str(self.path)) if text is not None else fresh(self.environment, **identity)
        return State(data, self.write_text)

    def read_text(self) -> str | None:
        return self.path.read_text() if self.path.exists() else None

    def write_text(self, text: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            self._keep(self.path)
        write_atomic(self.path, text)

    def _keep(self, path: Path) -> None:
        self._history.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        with contextlib.suppress(FileExistsError):
            os.link(path, self._history / f"{stamp}.json")
        for old in sorted(self._history.glob("*.json"))[:-LOCAL_HISTORY]:
            old.unlink(missing_ok=True)

    def history(self) -> list[Version]:
        found = [Version(p.stem, datetime.strptime(p.stem, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC), p.stat().st_size)
                 for p in self._history.glob("*.json")] if self._history.is_dir() else []
        return sorted(found, key=lambda v: v.saved_at, reverse=True)

    def read_version(self, version: str) -> str:
        path = self._history / f"{version}.json"
        if "/" in version or not path.is_file():
            raise ToolError(f"no version {version} of environment '{self.environment}' in {self._history}",
                            hint="'foundry-litellm state history' lists them")
        return path.read_text()


def check_schema(where: str, data: Any) -> None:
    """One clear error for a state file of the wrong shape (hand-edited, or another tool's), before any use."""
    def bad(problem: str) -> ToolError:
        return ToolError(f"{where} is not a foundry-litellm state: {problem}",
                         hint="restore an earlier version ('foundry-litellm state history'), or move it away to "
                              "start over (a deploy then adopts what exists)")

    if not isinstance(data, dict):
        raise bad(f"it holds a JSON {type(data).__name__}, not an object")
    if "schema_version" not in data:
        raise bad("it has no schema_version")
    if data["schema_version"] != SCHEMA_VERSION:
        raise ToolError(f"{where} has schema version {data['schema_version']!r}; this tool reads version "
                        f"{SCHEMA_VERSION}", hint="use the foundry-litellm release that wrote it")
    if not isinstance(data.get("steps"), dict):
        raise bad("'steps' must be an object of step name -> entry")
    wrong = sorted(name for name, entry in data["steps"].items() if not isinstance(entry, dict))
    if wrong:
        raise bad(f"the entry of step '{wrong[0]}' must be an object")
    if not isinstance(data.get("outputs", {}), dict):
        raise bad("'outputs' must be an object")
