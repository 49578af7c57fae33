"""What travels between the HTTP server, ARM's generic semantics and the providers: a request, its answer, the fault a
rule asks of a write, and the few encodings they share (a JSON body, Retry-After, ISO timestamps).

This module imports none of ``arm``, ``provider``, ``world`` or ``registration``, so each of them can import it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .errors import ArmError, bad_request

Json = dict[str, Any]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""

    @property
    def api_version(self) -> str | None:
        return self.query.get("api-version")


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    # A synchronous answer that Azure takes time to give (a Foundry project's PUT answers 201 Succeeded after
    # seconds): the server waits for this operation, outside its lock, then answers what the callable returns.
    held: tuple[str, Callable[[], Response]] | None = None


@dataclass
class Fault:
    """What a fault rule asks of a write that it lets through."""

    fail: Json | None = None
    stall: bool = False


def error_response(err: ArmError) -> Response:
    return Response(err.status, err.body(), dict(err.headers))


def json_body(req: Request) -> Json:
    """The request body as a JSON object, or the 400 ARM answers for anything else."""
    try:
        body = json.loads(req.body or b"{}")
    except ValueError as exc:
        raise bad_request("InvalidRequestContent", f"The request content was invalid: {exc}") from exc
    if not isinstance(body, dict):
        raise bad_request("InvalidRequestContent", "The request content must be a JSON object.")
    return body


def retry_headers(seconds: float) -> dict[str, str]:
    """Azure sends whole seconds in Retry-After (the SDKs parse it as an int). A time-scaled wait below one
    second goes in ``retry-after-ms``, which azure-core also honours."""
    if seconds >= 1:
        return {"Retry-After": str(round(seconds))}
    return {"retry-after-ms": str(max(5, round(seconds * 1000)))}


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")
