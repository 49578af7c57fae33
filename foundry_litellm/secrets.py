"""Secret values: generated with ``secrets``, fingerprinted, handed between steps in memory only.

A value never reaches the state file, a log line, an output or an exception text: every value is registered
with the log redactor the moment it exists, and steps pass values to one another through ``SecretValues``,
which lives only as long as the run.
"""

from __future__ import annotations

import hashlib
import secrets
import string
import threading

from . import logs

FINGERPRINT_TAG = "sha256"


def fingerprint(value: str) -> str:
    """SHA-256 of the value, kept in a tag so a changed input is seen without reading the secret back."""
    return hashlib.sha256(value.encode()).hexdigest()


def litellm_key() -> str:
    """``sk-`` and 43 URL-safe characters (256 bits): LiteLLM expects the ``sk-`` prefix."""
    return "sk-" + secrets.token_urlsafe(32)


def password(length: int = 32) -> str:
    """A password that meets Azure's complexity rule (PostgreSQL flexible server: 8-128 characters and at
    least three of upper case, lower case, digits and symbols) — here all four, always."""
    symbols = "-_.~!*"  # safe unescaped in a postgresql:// URL's user-info part except '!' and '*'
    alphabet = string.ascii_letters + string.digits + symbols
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if (any(c.islower() for c in candidate) and any(c.isupper() for c in candidate)
                and any(c.isdigit() for c in candidate) and any(c in symbols for c in candidate)):
            return candidate


class SecretValues:
    """The secret values known in this run (generated now, or read from the environment)."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}
        self._fresh: set[str] = set()
        self._lock = threading.Lock()

    def put(self, name: str, value: str, *, fresh: bool = False) -> None:
        logs.register_secret(value)
        with self._lock:
            self._values[name] = value
            if fresh:
                self._fresh.add(name)

    def get(self, name: str) -> str | None:
        with self._lock:
            return self._values.get(name)

    def generated_now(self, name: str) -> bool:
        """True when this run created the value (so whatever uses it must be updated too)."""
        with self._lock:
            return name in self._fresh
