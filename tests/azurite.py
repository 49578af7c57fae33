"""The real Azurite (npm ``azurite``) for the remote-state tests: installed once per machine into a cache directory,
one Blob service per test session worker on a free port.

Azurite knows older service versions than current azure-storage-blob sends, hence ``--skipApiVersionCheck``; it has
no blob versioning, so the state's history there comes from snapshots.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.tools import free_port, npm_installed, stop

VERSION = "3.35.0"
# Azurite's well-known development account (Learn "Use the Azurite emulator": not a secret).
ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def install() -> Path:
    """The azurite-blob executable, installed with npm on first use."""
    binary = Path("node_modules") / ".bin" / "azurite-blob"
    return npm_installed("azurite", VERSION, str(binary)) / binary


@dataclass(frozen=True)
class Azurite:
    port: int
    data: Path

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/{ACCOUNT}"

    @property
    def connection_string(self) -> str:
        return (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
                f"BlobEndpoint={self.endpoint};")

    def container(self, name: str) -> object:
        from azure.storage.blob import ContainerClient

        client = ContainerClient.from_connection_string(self.connection_string, name)
        if not client.exists():
            client.create_container()
        return client


@contextmanager
def running(data: Path) -> Iterator[Azurite]:
    binary = install()
    port = free_port()
    data.mkdir(parents=True, exist_ok=True)
    log = (data / "azurite.log").open("w")
    proc = subprocess.Popen([str(binary), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location", str(data),
                             "--skipApiVersionCheck", "--disableTelemetry", "--loose"],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, f"azurite exited: {(data / 'azurite.log').read_text()}"
                assert time.monotonic() < deadline, "azurite did not listen within 60 s"
                time.sleep(0.1)
        yield Azurite(port, data)
    finally:
        stop(proc)
        log.close()
