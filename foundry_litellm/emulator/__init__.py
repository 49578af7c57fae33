"""An emulator of Azure Resource Manager: a local HTTPS server that the unmodified Azure SDK clients talk to.

Use it as a context manager in tests::

    with Emulator(data_dir=tmp_path, time_scale=0.001) as emu:
        client = NetworkManagementClient(cred, sub, base_url=emu.url, connection_verify=str(emu.ca_cert))

or from the command line with ``foundry-litellm emulator serve``. This module stays light (the CLI imports it
for its defaults): the server is imported on first use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DEFAULT_TIME_SCALE", "AdminClient", "Emulator", "EmulatorConfig", "config_from_env"]

from .timescale import DEFAULT_TIME_SCALE


def __getattr__(name: str) -> Any:
    if name in ("Emulator", "config_from_env"):
        from . import embedded

        return getattr(embedded, name)
    if name == "EmulatorConfig":
        from .server import EmulatorConfig

        return EmulatorConfig
    if name == "AdminClient":
        from .admin import AdminClient

        return AdminClient
    raise AttributeError(name)
