"""The emulator as a context manager, and its configuration from the environment."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import TracebackType
from typing import Any

from .admin import AdminClient
from .authz import parse_roles, roles_from_env
from .registration import PROFILES
from .server import EmulatorConfig, EmulatorServer
from .store import CLAIM_WAIT
from .tails import tails_from
from .throttle import buckets_from
from .timescale import DEFAULT_TIME_SCALE

STRICT_ENV = "FOUNDRY_LITELLM_EMULATOR_STRICT"
SPECS_ENV = "FOUNDRY_LITELLM_EMULATOR_SPECS"
REGISTERED_ENV = "FOUNDRY_LITELLM_EMULATOR_REGISTERED"
THROTTLE_ENV = "FOUNDRY_LITELLM_EMULATOR_THROTTLE"  # JSON: "off" or {"writes": "5/2", ...} (throttle.py)
TAILS_ENV = "FOUNDRY_LITELLM_EMULATOR_TAILS"  # JSON: {"link_release": "15m..2d", ...} (tails.py)
SEED_ENV = "FOUNDRY_LITELLM_EMULATOR_SEED"
CALLER_ROLES_ENV = "FOUNDRY_LITELLM_EMULATOR_CALLER_ROLES"  # "ROLE@SCOPE,ROLE@SCOPE" (authz.py)


def config_from_env(data_dir: Path, **overrides: Any) -> EmulatorConfig:
    """A configuration whose strictness and specs directory default to the environment."""
    strict = overrides.pop("strict", None)
    if strict is None:
        strict = os.environ.get(STRICT_ENV, "").lower() in ("1", "true", "yes")
    specs = overrides.pop("specs_dir", None) or os.environ.get(SPECS_ENV) or None
    if strict and not specs:
        raise ValueError(f"strict mode needs the Azure specs directory ({SPECS_ENV} or --specs)")
    if strict and not Path(specs).is_dir():  # type: ignore[arg-type]
        raise ValueError(f"the Azure specs directory {specs} does not exist")
    registered = overrides.pop("registered", None) or os.environ.get(REGISTERED_ENV) or "new"
    if registered not in PROFILES:
        raise ValueError(f"registered must be one of {', '.join(PROFILES)}, not {registered!r}")
    for key, env in (("throttle", THROTTLE_ENV), ("tails", TAILS_ENV)):
        if overrides.get(key) is None and os.environ.get(env):
            try:
                overrides[key] = json.loads(os.environ[env])
            except ValueError as exc:
                raise ValueError(f"{env} is not JSON: {exc}") from exc
    if overrides.get("seed") is None:
        overrides["seed"] = int(os.environ.get(SEED_ENV) or 0)
    _check(overrides, float(overrides.get("time_scale") or DEFAULT_TIME_SCALE))
    roles = overrides.get("caller_roles")
    if roles is None and os.environ.get(CALLER_ROLES_ENV):
        roles = roles_from_env(os.environ[CALLER_ROLES_ENV])
    elif isinstance(roles, str):
        roles = roles_from_env(roles)
    if roles is not None:
        parse_roles(roles)  # a malformed role is refused (ValueError) before a port is bound
        overrides["caller_roles"] = list(roles)
    return EmulatorConfig(data_dir=Path(data_dir), strict=bool(strict), specs_dir=Path(specs) if specs else None,
                          registered=registered, **overrides)


def _check(overrides: dict[str, Any], time_scale: float) -> None:
    """Refuse a malformed throttle or tail before a port is bound (both errors are ValueErrors)."""
    buckets_from(overrides.get("throttle"), time_scale)
    tails_from(overrides.get("tails"))


class Emulator:
    """Start an emulator in this process; ``url`` and ``ca_cert`` are what the SDK clients need."""

    def __init__(self, data_dir: Path | str, **options: Any) -> None:
        # A CLI killed a moment ago may leave its child emulator (child.py) stopping on the same data dir.
        options.setdefault("claim_wait", CLAIM_WAIT)
        self.config = config_from_env(Path(data_dir), **options)
        self._server: EmulatorServer | None = None

    def start(self) -> Emulator:
        self._server = EmulatorServer(self.config)
        self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    @property
    def url(self) -> str:
        assert self._server is not None, "the emulator is not running"
        return self._server.url

    @property
    def ca_cert(self) -> Path:
        assert self._server is not None, "the emulator is not running"
        return self._server.ca_cert

    @property
    def data_dir(self) -> Path:
        return self.config.data_dir

    @property
    def admin(self) -> AdminClient:
        return AdminClient(self.url, self.ca_cert)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
