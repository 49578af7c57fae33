"""Fault injection: deterministic under a seed, driven by rules on method and path."""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass
from typing import Any

_DEFAULT_CODES = {
    408: "RequestTimeout",
    409: "Conflict",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}
_FIELDS = {
    "method", "path", "status", "retry_after", "error_code", "message", "count", "probability",
    "drop_connection", "drop_connection_after", "fail_operation", "stall_operation", "latency_ms", "details",
}
_DETAIL_FIELDS = {"code", "message", "target"}


class FaultSpecError(ValueError):
    """A fault document that does not follow the documented format."""


@dataclass
class Rule:
    method: str = "*"
    path: str = ".*"
    status: int | None = None
    retry_after: float | None = None
    error_code: str | None = None
    message: str | None = None
    count: int | None = None
    probability: float = 1.0
    drop_connection: bool = False
    # The request is carried out, then the connection drops before the answer: the client cannot tell
    # whether its write landed (a reset after the front door accepted it).
    drop_connection_after: bool = False
    fail_operation: bool = False
    stall_operation: bool = False
    latency_ms: int = 0
    # ARM error details of the injected error or failed operation: [{"code": ..., "message": ...}], the form
    # in which Azure names the cause of a 429 RetryableError (terraform-provider-azurerm#30197).
    details: list[dict[str, str]] | None = None
    fired: int = 0

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        self._regex = re.compile(self.path)

    def matches(self, method: str, path: str) -> bool:
        if self.method not in ("*", method.upper()):
            return False
        if self.count is not None and self.fired >= self.count:
            return False
        return self._regex.search(path.lower()) is not None

    @property
    def code(self) -> str:
        return self.error_code or _DEFAULT_CODES.get(self.status or 500, "InternalServerError")

    def describe(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in sorted(_FIELDS)}
        out["fired"] = self.fired
        return out


@dataclass
class Decision:
    """What the server does to one request."""

    rule: Rule
    latency_ms: int = 0
    drop: bool = False
    drop_after: bool = False
    status: int | None = None
    fail_operation: bool = False
    stall_operation: bool = False


# The JSON type of each field (None allowed where the default is None); a wrong type would otherwise surface
# as an exception in the request that the rule matches, which the client sees as a dropped connection.
_TYPES: dict[str, tuple[type, ...]] = {
    "method": (str,), "path": (str,), "status": (int,), "retry_after": (int, float), "error_code": (str,),
    "message": (str,), "count": (int,), "probability": (int, float), "drop_connection": (bool,),
    "drop_connection_after": (bool,),
    "fail_operation": (bool,), "stall_operation": (bool,), "latency_ms": (int,), "details": (list,),
}
_METHODS = {"*", "GET", "PUT", "POST", "PATCH", "DELETE", "HEAD"}


def _check_types(i: int, raw: dict[str, Any]) -> None:
    for key, value in raw.items():
        optional = key in ("status", "retry_after", "error_code", "message", "count", "details") and value is None
        is_bool = isinstance(value, bool)
        if not optional and (not isinstance(value, _TYPES[key]) or (is_bool and bool not in _TYPES[key])):
            raise FaultSpecError(f"rules[{i}].{key} has the wrong type ({type(value).__name__})")
    if str(raw.get("method", "*")).upper() not in _METHODS:
        raise FaultSpecError(f"rules[{i}].method must be one of {sorted(_METHODS)}")
    status = raw.get("status")
    if status is not None and not 400 <= status <= 599:
        raise FaultSpecError(f"rules[{i}].status must be an HTTP error status (400-599)")
    if any(raw.get(k) is not None and raw[k] < 0 for k in ("count", "latency_ms", "retry_after")):
        raise FaultSpecError(f"rules[{i}]: count, latency_ms and retry_after cannot be negative")
    if raw.get("details") is not None:
        _check_details(i, raw)


def _check_details(i: int, raw: dict[str, Any]) -> None:
    """``details`` describe an error: they need an error status or a failed operation to travel in."""
    if raw.get("status") is None and not raw.get("fail_operation"):
        raise FaultSpecError(f"rules[{i}].details needs an error 'status' or 'fail_operation'")
    for j, detail in enumerate(raw["details"]):
        if not isinstance(detail, dict):
            raise FaultSpecError(f"rules[{i}].details[{j}] must be an object")
        unknown = set(detail) - _DETAIL_FIELDS
        if unknown:
            raise FaultSpecError(f"rules[{i}].details[{j}]: unknown field(s) {sorted(unknown)}")
        for key in ("code", "message"):
            if not isinstance(detail.get(key), str) or not detail[key]:
                raise FaultSpecError(f"rules[{i}].details[{j}].{key} must be a non-empty string")
        if not isinstance(detail.get("target", ""), str):
            raise FaultSpecError(f"rules[{i}].details[{j}].target must be a string")


def parse_rules(spec: Any) -> tuple[int, list[Rule]]:
    if not isinstance(spec, dict):
        raise FaultSpecError("the fault document must be a JSON object with 'seed' and 'rules'")
    rules_in = spec.get("rules", [])
    if not isinstance(rules_in, list):
        raise FaultSpecError("'rules' must be a list")
    rules = []
    for i, raw in enumerate(rules_in):
        if not isinstance(raw, dict):
            raise FaultSpecError(f"rules[{i}] must be an object")
        unknown = set(raw) - _FIELDS
        if unknown:
            raise FaultSpecError(f"rules[{i}]: unknown field(s) {sorted(unknown)}")
        _check_types(i, raw)
        try:
            rule = Rule(**raw)
        except (TypeError, re.error) as exc:
            raise FaultSpecError(f"rules[{i}]: {exc}") from exc
        if not 0.0 <= float(rule.probability) <= 1.0:
            raise FaultSpecError(f"rules[{i}].probability must be between 0 and 1")
        rules.append(rule)
    seed = spec.get("seed", 0)
    if not isinstance(seed, int):
        raise FaultSpecError("'seed' must be an integer")
    return seed, rules


class Faults:
    def __init__(self, spec: Any = None) -> None:
        self._lock = threading.Lock()
        self.seed = 0
        self.rules: list[Rule] = []
        self._seen: dict[tuple[int, str, str], int] = {}
        if spec is not None:
            self.load(spec)

    def load(self, spec: Any) -> None:
        seed, rules = parse_rules(spec)
        with self._lock:
            self.seed, self.rules, self._seen = seed, rules, {}

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {"seed": self.seed, "rules": [r.describe() for r in self.rules]}

    def _draw(self, index: int, method: str, path: str) -> float:
        """A number in [0, 1) for the n-th request of this method and path under rule ``index``: the same
        requests get the same faults under a seed, however parallel requests to other paths interleave."""
        key = (index, method.upper(), path.lower())
        n = self._seen.get(key, 0)
        self._seen[key] = n + 1
        digest = hashlib.sha256(f"{self.seed}/{index}/{key[1]}/{key[2]}/{n}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    def decide(self, method: str, path: str) -> Decision | None:
        with self._lock:
            for index, rule in enumerate(self.rules):
                if not rule.matches(method, path):
                    continue
                if rule.probability < 1.0 and self._draw(index, method, path) >= rule.probability:
                    continue
                rule.fired += 1
                return Decision(
                    rule=rule,
                    latency_ms=rule.latency_ms,
                    drop=rule.drop_connection,
                    drop_after=rule.drop_connection_after,
                    status=rule.status if not (rule.fail_operation or rule.stall_operation) else None,
                    fail_operation=rule.fail_operation,
                    stall_operation=rule.stall_operation,
                )
        return None
