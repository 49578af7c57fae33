"""A small client for the emulator's admin endpoints (``/_emulator/...``), for tests and the CLI."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any


class AdminClient:
    def __init__(self, url: str, ca_cert: Path | str | None, *, timeout: float = 30.0) -> None:
        if not url.startswith("https://"):
            raise ValueError(f"the emulator is served over https, not {url}")
        self.url = url.rstrip("/")
        self._ctx = ssl.create_default_context(cafile=str(ca_cert)) if ca_cert else ssl.create_default_context()
        self._timeout = timeout

    def _call(self, method: str, route: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}/_emulator{route}", data=data, method=method,  # noqa: S310
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, context=self._ctx, timeout=self._timeout) as response:  # noqa: S310
            return json.loads(response.read() or b"null")

    def info(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/info")
        return result

    def resources(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/resources")
        return result

    def deleted(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/deleted")
        return result

    def requests(self, since: int = 0) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", f"/requests?since={since}")
        return result

    def operations(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/operations")
        return result

    def release_operations(self, resources: list[str] | None = None) -> int:
        """Let stalled operations complete (``stall_operation`` faults), all or those of ``resources`` (ids): a
        long tail that ends."""
        result: dict[str, int] = self._call("POST", "/operations/release",
                                            {} if resources is None else {"resources": resources})
        return result["released"]

    def import_resource(self, body: dict[str, Any], seconds: float = 0.0) -> None:
        """Store a resource exactly as ``body`` shows it (no validation): one made outside what is replayed. A
        transient provisioning state in it ends after ``seconds`` (Azure seconds)."""
        self._call("POST", "/import", {"body": body, "seconds": seconds})

    def add_principals(self, principals: list[dict[str, str]]) -> int:
        """Directory objects made outside ARM: ``{"id": ..., "type": "User" | "Group" | "ServicePrincipal"}``."""
        result: dict[str, Any] = self._call("POST", "/principals", {"principals": principals})
        return int(result["registered"])

    def set_faults(self, spec: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/faults", spec)
        return result

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def caller(self) -> dict[str, Any]:
        """The emulated caller: ``{"object_id": ..., "roles": [{"role": ..., "scope": ...}]}``."""
        result: dict[str, Any] = self._call("GET", "/caller")
        return result

    def set_caller_roles(self, roles: list[str | dict[str, str]]) -> dict[str, Any]:
        """Replace the caller's role assignments: ``"ROLE@SCOPE"`` items or ``{"role": ..., "scope": ...}``."""
        result: dict[str, Any] = self._call("POST", "/caller", {"roles": roles})
        return result


def is_emulator(url: str, ca_cert: Path | str | None) -> bool:
    """True when ``url`` answers the emulator's info route (so no Azure login is needed)."""
    try:
        return AdminClient(url, ca_cert, timeout=5).info().get("emulator") == "foundry-litellm"
    except (OSError, ValueError, urllib.error.URLError):
        return False
