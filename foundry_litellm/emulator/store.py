"""Durable storage of the emulator's world: one JSON document, replaced atomically on every change."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
import time
from pathlib import Path
from typing import Any, TextIO

SCHEMA_VERSION = 1


def empty_world() -> dict[str, Any]:
    return {
        "version": SCHEMA_VERSION,
        "resources": {},  # lower-cased id -> record
        "operations": {},  # operation id -> operation
        "deleted": {},  # soft-deleted items, keyed by kind and lower-cased name
        "links": {},  # lower-cased subnet id -> service association links
        "principals": {},  # principal id -> creation time (for the replication delay)
        "counters": {},
    }


# Seconds an embedded emulator waits for the data dir: the child of a CLI killed a moment ago (child.py) only finishes
# the request at hand before it lets go.
CLAIM_WAIT = 15.0


class DataDirBusy(RuntimeError):
    """Another emulator process serves the same data dir."""


class Store:
    """The world document and the lock that guards it.

    Every mutation happens under ``lock``; ``save()`` writes a temporary file, fsyncs it and renames it over
    the old one, so a kill at any moment leaves either the old or the new world on disk, never a torn one.
    """

    def __init__(self, data_dir: Path, *, fsync: bool = True, claim_wait: float | None = None) -> None:
        """With ``claim_wait``, the data dir is claimed (``claim``) before the world is read: whoever held it may
        have saved until it let go."""
        self.data_dir = data_dir
        self.path = data_dir / "world.json"
        self.lock = threading.RLock()
        self._fsync = fsync
        self._dir_lock: TextIO | None = None
        data_dir.mkdir(parents=True, exist_ok=True)
        if claim_wait is not None:
            self.claim(wait=claim_wait)
        self.data: dict[str, Any] = self._load()

    def claim(self, *, wait: float = 0.0) -> None:
        """Hold the data dir for this process, so two servers never write one world; if another holds it, wait up to
        ``wait`` seconds for it to let go (the child of a CLI killed a moment ago is still stopping)."""
        handle = (self.data_dir / "emulator.lock").open("w")
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as exc:
                if time.monotonic() >= deadline:
                    handle.close()
                    raise DataDirBusy(f"another emulator is serving {self.data_dir}") from exc
                time.sleep(0.02)
        self._dir_lock = handle

    def release(self) -> None:
        if self._dir_lock is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._dir_lock.fileno(), fcntl.LOCK_UN)
            self._dir_lock.close()
            self._dir_lock = None

    def _load(self) -> dict[str, Any]:
        if not self.path.exists():
            return empty_world()
        data: dict[str, Any] = json.loads(self.path.read_text())
        if data.get("version") != SCHEMA_VERSION:
            raise RuntimeError(f"{self.path}: unsupported emulator world version {data.get('version')}")
        for key, value in empty_world().items():
            data.setdefault(key, value)
        return data

    def rollback(self) -> None:
        """Forget unsaved changes: the last saved world is the truth again."""
        with self.lock:
            self.data = self._load()

    def save(self) -> None:
        with self.lock:
            payload = json.dumps(self.data, separators=(",", ":"), sort_keys=True)
            tmp = self.path.with_name(f".world.{os.getpid()}.{threading.get_ident()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                data = payload.encode()
                while data:
                    data = data[os.write(fd, data) :]
                if self._fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
