"""The emulator as a context manager, and its configuration from the environment."""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import Any

from .admin import AdminClient
from .registration import PROFILES
from .server import EmulatorConfig, EmulatorServer

STRICT_ENV = "FOUNDRY_LITELLM_EMULATOR_STRICT"
SPECS_ENV = "FOUNDRY_LITELLM_EMULATOR_SPECS"
REGISTERED_ENV = "FOUNDRY_LITELLM_EMULATOR_REGISTERED"


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
    return EmulatorConfig(data_dir=Path(data_dir), strict=bool(strict), specs_dir=Path(specs) if specs else None,
                          registered=registered, **overrides)


class Emulator:
    """Start an emulator in this process; ``url`` and ``ca_cert`` are what the SDK clients need."""

    def __init__(self, data_dir: Path | str, **options: Any) -> None:
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
