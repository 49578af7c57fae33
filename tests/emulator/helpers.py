"""Helpers shared by the emulator tests: SDK client factories, request bodies, a subprocess server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from tests.conftest import SUBSCRIPTION

SUB = SUBSCRIPTION
RG_PREFIX = f"/subscriptions/{SUB}/resourceGroups"


def rid(group: str, provider_path: str = "") -> str:
    """A resource id in ``group``; ``provider_path`` such as 'Microsoft.Network/virtualNetworks/v1'."""
    base = f"{RG_PREFIX}/{group}"
    return f"{base}/providers/{provider_path}" if provider_path else base


def vnet_body(space: str = "10.0.0.0/16", subnets: dict[str, str] | None = None,
              location: str = "eastus") -> dict[str, Any]:
    body: dict[str, Any] = {"location": location, "properties": {"addressSpace": {"addressPrefixes": [space]}}}
    if subnets is not None:
        body["properties"]["subnets"] = [{"name": n, "properties": {"addressPrefix": p}} for n, p in subnets.items()]
    return body


def clients(sdk: dict[str, Any], credential: Any, **extra: Any) -> dict[str, Any]:
    """Every SDK client the emulator serves, pointed at it. ``extra`` goes to each constructor."""
    from azure.mgmt.applicationinsights import ApplicationInsightsManagementClient
    from azure.mgmt.loganalytics import LogAnalyticsManagementClient
    from azure.mgmt.msi import ManagedServiceIdentityClient
    from azure.mgmt.network import NetworkManagementClient
    from azure.mgmt.privatedns import PrivateDnsManagementClient
    from azure.mgmt.resource.resources import ResourceManagementClient

    kw = {**sdk, **extra}
    return {
        "rm": ResourceManagementClient(credential, SUB, **kw),
        "net": NetworkManagementClient(credential, SUB, **kw),
        "dns": PrivateDnsManagementClient(credential, SUB, **kw),
        # The profile clients take base_url by keyword only (azure-sdk-notes §1).
        "msi": ManagedServiceIdentityClient(credential, SUB, **kw),
        "la": LogAnalyticsManagementClient(credential, SUB, **kw),
        "ai": ApplicationInsightsManagementClient(credential, SUB, **kw),
    }


def log_for(admin: Any, method: str, contains: str, since: int = 0) -> list[dict[str, Any]]:
    """Request-log entries of ``method`` whose path contains ``contains`` (case-insensitive)."""
    return [e for e in admin.requests(since) if e["method"] == method and contains.lower() in e["path"].lower()]



class ServeProcess:
    """``python -m foundry_litellm emulator serve ...`` in a subprocess."""

    def __init__(self, data_dir: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.args = [sys.executable, "-m", "foundry_litellm", "emulator", "serve", "--data-dir", str(data_dir), *args]
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env={**os.environ, **(env or {})})
        self.info: dict[str, Any] = {}

    def ready(self, timeout: float = 60.0) -> dict[str, Any]:
        """Wait for the one JSON line; fail with stderr when the process dies first."""
        assert self.proc.stdout is not None
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(self.proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(timeout)
        if not result or not result[0]:
            self.kill()
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise AssertionError(f"emulator serve did not start (rc={self.proc.returncode}): {err}")
        self.info = json.loads(result[0])
        return self.info

    @property
    def url(self) -> str:
        return str(self.info["url"])

    @property
    def ca_cert(self) -> str:
        return str(self.info["ca_cert"])

    def sdk(self) -> dict[str, Any]:
        return {"base_url": self.url, "connection_verify": self.ca_cert, "polling_interval": 0.02}

    def signal(self, signum: int, timeout: float = 10.0) -> tuple[int, str, str]:
        self.proc.send_signal(signum)
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, err

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def wait_until(predicate: Any, timeout: float = 5.0, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)
