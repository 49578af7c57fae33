"""The request log: every request in order, with the body of every write kept verbatim (mode 0600)."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

WRITE_METHODS = frozenset({"PUT", "PATCH", "POST", "DELETE"})


class RequestLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.entries: list[dict[str, Any]] = []
        torn = False
        if path.exists():
            os.chmod(path, 0o600)
            text = path.read_text()
            torn = bool(text) and not text.endswith("\n")
            for line in text.splitlines():
                if line.strip():
                    try:
                        entry = json.loads(line)
                    except ValueError:  # a line torn by a kill: the rest of the log is still good
                        continue
                    entry["seq"] = len(self.entries)
                    self.entries.append(entry)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._file = os.fdopen(fd, "a", encoding="utf-8")
        if torn:  # end the torn line, or the next entry would be glued to it and lost as well
            self._file.write("\n")
            self._file.flush()

    def add(self, entry: dict[str, Any]) -> None:
        with self._lock:
            entry["seq"] = len(self.entries)  # in the file too, so a restarted log numbers the same way
            line = json.dumps(entry, separators=(",", ":"))
            self.entries.append(entry)
            self._file.write(line + "\n")
            self._file.flush()

    def since(self, seq: int = 0) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.entries[seq:])

    def close(self) -> None:
        with self._lock:
            self._file.close()


def body_for_log(method: str, body: bytes) -> Any:
    if method not in WRITE_METHODS or not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")
