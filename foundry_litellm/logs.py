"""Logging: a DEBUG file per run under the state directory, a quiet console, and secret redaction.

Secret values are registered as soon as they are known; every log record is scrubbed of them before it is
written anywhere, also with --debug.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

_secrets: set[str] = set()
_lock = threading.Lock()
REDACTED = "***"


def register_secret(value: str | None) -> None:
    """From now on ``value`` never appears in a log line, an error message or the state file."""
    if value and len(value) >= 4:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    with _lock:
        values = sorted(_secrets, key=len, reverse=True)
    for value in values:
        if value in text:
            text = text.replace(value, REDACTED)
    return text


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = redact(record.getMessage())
        record.msg, record.args = message, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def setup(state_dir: Path, *, debug: bool) -> Path:
    """Configure logging for one run; returns the path of its log file."""
    log_dir = state_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{os.getpid()}.log"
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    redacting = _RedactingFilter()
    file_handler = logging.FileHandler(path, encoding="utf-8")
    os.chmod(path, 0o600)
    file_handler.setLevel(logging.DEBUG)
    file_handler.addFilter(redacting)
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
    root.addHandler(file_handler)
    console = logging.StreamHandler()
    console.setLevel(logging.DEBUG if debug else logging.ERROR)
    console.addFilter(redacting)
    console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(console)
    # azure-core logs every request at INFO: keep that in the file, out of the console unless --debug.
    logging.getLogger("azure").setLevel(logging.DEBUG if debug else logging.INFO)
    return path
