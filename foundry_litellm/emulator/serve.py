"""``foundry-litellm emulator serve``: run the emulator until SIGINT or SIGTERM."""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from .embedded import config_from_env
from .faults import parse_rules
from .server import EmulatorServer


def serve(data_dir: Path, *, host: str, port: int, time_scale: float, latency_ms: int,
          faults_file: Path | None, strict: bool | None, specs_dir: Path | None, registered: str | None = None,
          throttle: Any = None, tails: dict[str, str] | None = None, seed: int | None = None,
          caller_roles: list[str] | None = None) -> int:
    faults = None
    if faults_file is not None:
        faults = json.loads(faults_file.read_text())
        parse_rules(faults)  # refuse a malformed document before binding the port
    config = config_from_env(data_dir, host=host, port=port, time_scale=time_scale, latency_ms=latency_ms,
                             faults=faults, strict=strict, specs_dir=specs_dir, registered=registered,
                             throttle=throttle, tails=tails or None, seed=seed, caller_roles=caller_roles or None)
    server = EmulatorServer(config)
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    server.start()
    line = {"url": server.url, "ca_cert": str(server.ca_cert.resolve()), "data_dir": str(data_dir.resolve())}
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()
    while not stop.wait(0.2):  # wake regularly so signals are handled promptly
        pass
    server.stop()
    return 0
