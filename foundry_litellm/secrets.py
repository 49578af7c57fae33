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


def password(length: int = 32, *, login: str = "") -> str:
    """A password that meets Azure's complexity rule for the PostgreSQL administrator, with all four character
    classes rather than three. An unlucky draw that shares three characters with the login is drawn again:
    Azure accepts it and the server creation fails later (see ``shares_login``)."""
    symbols = "-_.~!*"  # safe unescaped in a postgresql:// URL's user-info part except '!' and '*'
    alphabet = string.ascii_letters + string.digits + symbols
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if (any(c.islower() for c in candidate) and any(c.isupper() for c in candidate)
                and any(c.isdigit() for c in candidate) and any(c in symbols for c in candidate)
                and not shares_login(candidate, login)):
            return candidate


def shares_login(password: str, login: str) -> bool:
    """True when the password holds three or more consecutive alphanumeric characters of the login, in any
    case: Azure's rule "cannot contain all or part of the login name" (Learn, PostgreSQL flexible server
    quickstart). About one random 32-character password in 130 does so with the login ``litellmadmin``."""
    lowered, name = password.lower(), login.lower()
    return any(name[i:i + 3].isalnum() and name[i:i + 3] in lowered for i in range(len(name) - 2))


class SecretValues:
    """The secret values known in this run (generated now, or read from the environment)."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}
        self._fresh: set[str] = set()
        self._delivered: set[tuple[str, str]] = set()
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

    def delivered(self, name: str, user: str) -> None:
        """``user`` (a step) holds the value generated now: Azure confirmed the write that carried it."""
        with self._lock:
            self._delivered.add((name, user))

    def owed(self, name: str, user: str) -> bool:
        """True when this run generated the value and ``user`` has not confirmed it yet. A write-only value
        cannot be read back, so a write whose answer was lost is sent again, with the same value."""
        with self._lock:
            return name in self._fresh and (name, user) not in self._delivered
