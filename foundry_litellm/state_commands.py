"""``foundry-litellm state ...``: read, replace, list, roll back, unlock and migrate an environment's state, in
whichever backend the configuration names. Every change is made under the state's lock and validated first."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import config as config_module
from .blob_state import BlobStateStore, describe_holder
from .config import Config
from .errors import ConfigError, ToolError
from .state import Backend, StateStore, parse
from .state_backends import open_backend

Confirm = Callable[[str, bool], None]


def backend_of(config_path: Path | None, state_dir: Path, subscription: str | None) -> tuple[Config, Backend]:
    config = config_module.load(config_path, require_openai=False, subscription_id=subscription)
    return config, open_backend(config.state, config.environment, state_dir)


def pull(backend: Backend) -> str:
    text = backend.read_text()
    if not text:
        raise ToolError(f"environment '{backend.environment}' has no state at {backend.describe()}")
    return text


def checked(text: str, where: str, environment: str) -> str:
    """``text`` if it is a state document of ``environment`` this tool can read; else one clear error."""
    data = parse(text, where)
    if data.get("environment") != environment:
        raise ToolError(f"{where} is the state of environment '{data.get('environment')}', not '{environment}'")
    return text


def replace(backend: Backend, text: str, what: str, *, yes: bool, confirm: Confirm) -> None:
    """Write ``text`` as the state, under the lock (the version it replaces stays in the history)."""
    confirm(f"Replace the state of '{backend.environment}' at {backend.describe()} with {what}?", yes)
    backend.acquire(what.split(" ", 1)[0])
    try:
        backend.write_text(text)
    finally:
        backend.release()


def listing(backend: Backend) -> list[dict[str, Any]]:
    data = parse(pull(backend), backend.describe())
    steps = data.get("steps") or {}
    return [{"step": name, "status": entry.get("status", ""), "resource_id": entry.get("resource_id", "")}
            for name, entry in sorted(steps.items())]


def unlock(backend: Backend, lock_id: str, *, yes: bool, confirm: Confirm) -> str:
    if not isinstance(backend, BlobStateStore):
        raise ToolError("the local backend's lock is held by a running process and ends with it: nothing to unlock",
                        hint="stop that process; its pid is in the lock file")
    holder = backend.holder_details()
    if holder:
        confirm(f"Break the lock of {describe_holder(holder)}? Only do so if that run is dead.", yes)
    backend.unlock(lock_id)
    return describe_holder(holder)


def migrate(config: Config, state_dir: Path, to: str, *, yes: bool, confirm: Confirm) -> tuple[Backend, Backend]:
    """Copy the state, byte for byte, from the other backend to ``to`` (locked on both sides); the source stays."""
    if to == "azure_blob" and not config.state.storage_account:
        raise ConfigError("state.storage_account", "is needed to migrate to azure_blob")
    other = "local" if to == "azure_blob" else "azure_blob"
    source = open_backend(config.state.model_copy(update={"backend": other}), config.environment, state_dir)
    target = open_backend(config.state.model_copy(update={"backend": to}), config.environment, state_dir)
    text = checked(pull(source), source.describe(), config.environment)
    if target.read_text():
        confirm(f"{target.describe()} already holds a state; replace it with {source.describe()}'s?", yes)
    source.acquire("migrate")
    try:
        target.acquire("migrate")
        try:
            text = checked(pull(source), source.describe(), config.environment)  # as it is under the lock
            target.write_text(text)
            if target.read_text() != text:
                raise ToolError(f"{target.describe()} does not read back what was written; nothing else changed")
        finally:
            target.release()
    finally:
        source.release()
    return source, target


def is_local(backend: Backend) -> bool:
    return isinstance(backend, StateStore)
