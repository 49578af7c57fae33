"""ARM's request throttling: a token bucket per subscription, principal and kind of request.

Learn "Understand how Azure Resource Manager throttles requests" (request-limits-and-throttling.md, the token
bucket architecture Azure moved subscriptions to in 2024): per subscription and principal, reads have a bucket of
250 refilled at 25 a second, writes 200 at 10, deletes 200 at 10. Every answer carries what is left of the
bucket its kind draws from (``x-ms-ratelimit-remaining-subscription-reads`` / ``-writes`` / ``-deletes``, as
recorded ARM answers show); an empty bucket is a 429 with ``Retry-After`` and ``SubscriptionRequestsThrottled``
(the wording of a recorded ARM answer: "Number of 'read' requests for subscription '...' actor '...' exceeded.
Please try again after '10' seconds.").

Time: the emulator shortens Azure's durations by its time scale, and a client paced by them (this tool polls
and backs off in the target's time) sends its requests that much faster in real time. Azure's buckets are
therefore refilled in emulated time by default (25 a second of Azure time is 12 500 real ones at 0.002), so a
deployment paced as against Azure is throttled as it would be there: never, at the tool's parallelism. Rates
given explicitly (``--throttle-writes 5/2``) are real seconds: what a test wants to see.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# (bucket size, refill per second of Azure time): Learn request-limits-and-throttling.md, subscription scope.
AZURE_LIMITS: dict[str, tuple[int, float]] = {"reads": (250, 25.0), "writes": (200, 10.0), "deletes": (200, 10.0)}
KINDS = tuple(AZURE_LIMITS)
_VERB = {"reads": "read", "writes": "write", "deletes": "delete"}


class ThrottleSpecError(ValueError):
    pass


@dataclass(frozen=True)
class Bucket:
    size: int
    refill: float  # tokens per real second

    def describe(self) -> dict[str, float]:
        return {"size": self.size, "refill_per_second": self.refill}


def parse_bucket(text: str) -> Bucket:
    """``"SIZE/REFILL"``: a bucket of SIZE requests refilled at REFILL a real second."""
    size, sep, refill = text.partition("/")
    try:
        bucket = Bucket(int(size), float(refill))
    except ValueError:
        bucket = None
    if not sep or bucket is None or bucket.size < 1 or not bucket.refill > 0:
        raise ThrottleSpecError(f"a throttle is SIZE/REFILL (e.g. 200/10: a bucket of 200 refilled at 10 a "
                                f"second), not {text!r}")
    return bucket


def azure_buckets(time_scale: float) -> dict[str, Bucket]:
    """Azure's figures, refilled in emulated time (see the module's docstring)."""
    return {kind: Bucket(size, refill / time_scale) for kind, (size, refill) in AZURE_LIMITS.items()}


def kind_of(method: str) -> str:
    """ARM counts GET and HEAD as reads, DELETE as deletes and every other method (POST actions too) as writes."""
    method = method.upper()
    if method in ("GET", "HEAD"):
        return "reads"
    return "deletes" if method == "DELETE" else "writes"


@dataclass(frozen=True)
class Verdict:
    kind: str
    remaining: int
    retry_after: float | None = None  # seconds to wait when refused

    def headers(self) -> dict[str, str]:
        headers = {f"x-ms-ratelimit-remaining-subscription-{self.kind}": str(self.remaining)}
        if self.retry_after is not None:
            headers["Retry-After"] = str(max(1, math.ceil(self.retry_after)))  # whole seconds, as ARM sends
        return headers

    def error(self, subscription: str, actor: str) -> dict[str, Any]:
        wait = max(1, math.ceil(self.retry_after or 0))
        return {"error": {"code": "SubscriptionRequestsThrottled",
                          "message": f"Number of '{_VERB[self.kind]}' requests for subscription '{subscription}' "
                                     f"actor '{actor}' exceeded. Please try again after '{wait}' seconds."}}


class Throttle:
    """Token buckets keyed by (subscription, principal, kind); thread-safe. ``buckets`` None switches it off."""

    def __init__(self, buckets: dict[str, Bucket] | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.buckets = buckets
        self._clock = clock
        self._levels: dict[tuple[str, str, str], tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, method: str, subscription: str, principal: str) -> Verdict | None:
        """Spend a token for this request, or refuse it: a refused request costs nothing."""
        if self.buckets is None:
            return None
        kind = kind_of(method)
        bucket = self.buckets[kind]
        key = (subscription.lower(), principal, kind)
        with self._lock:
            now = self._clock()
            tokens, at = self._levels.get(key, (float(bucket.size), now))
            tokens = min(float(bucket.size), tokens + (now - at) * bucket.refill)
            if tokens < 1:
                self._levels[key] = (tokens, now)
                return Verdict(kind, 0, retry_after=(1 - tokens) / bucket.refill)
            self._levels[key] = (tokens - 1, now)
            return Verdict(kind, int(tokens - 1))


def principal_of(authorization: str) -> str:
    """Who sends the request, for the bucket's key: the emulator takes any bearer token, so the token stands for
    its principal (a stable digest of it, never the token itself in a message)."""
    return hashlib.sha256(authorization.encode()).hexdigest()[:12]


def subscription_of(path: str) -> str | None:
    """The subscription of a subscription-scoped request; tenant-scoped ones are not throttled here."""
    parts = path.strip("/").split("/")
    return parts[1] if len(parts) >= 2 and parts[0].lower() == "subscriptions" and parts[1] else None


def buckets_from(spec: Any, time_scale: float) -> dict[str, Bucket] | None:
    """The buckets an ``EmulatorConfig.throttle`` value asks for: None or "azure" for Azure's (time-scaled),
    "off" for none, or a mapping of kind to ``"SIZE/REFILL"`` (or a ``Bucket``) overriding Azure's."""
    if spec is None or spec == "azure":
        return azure_buckets(time_scale)
    if spec == "off":
        return None
    if not isinstance(spec, dict):
        raise ThrottleSpecError(f"throttle must be 'azure', 'off' or a mapping of kind to SIZE/REFILL, not {spec!r}")
    buckets = azure_buckets(time_scale)
    for kind, value in spec.items():
        if kind not in KINDS:
            raise ThrottleSpecError(f"unknown throttle kind {kind!r}: one of {', '.join(KINDS)}")
        buckets[kind] = value if isinstance(value, Bucket) else parse_bucket(str(value))
    return buckets
