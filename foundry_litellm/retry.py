"""The one retry policy of every request the tool sends: transient answers are waited out, bounded by the step's
deadline rather than a count, and a write that may have landed is never sent again blind.

azure-core's default ``RetryPolicy`` gives up after three 429/503 answers in a row, retries a dropped PUT or
DELETE blindly (the first one may have been carried out) and never retries a dropped POST or PATCH. Here:

- 408 and 429 (Azure refused the request before doing anything) are retried for every method, honouring
  ``Retry-After`` (Learn "Understand how Azure Resource Manager throttles requests").
- 5xx and a connection dropped after the request went out are retried for reads, and for the POST actions the
  caller marks ``repeatable`` (registration, shared keys, backend health): repeating them changes nothing.
  For a write they are raised: the request may have been carried out, so the runner reads the resource back
  and writes again only if it did not land (``is_ambiguous``).
- A connection that could not be opened (nothing was sent) is retried for every method.
Waits grow exponentially with jitter (Learn "Retry guidance for Azure services") and are scaled to the target's
time: the emulator's seconds are shorter than Azure's.
"""

from __future__ import annotations

import contextvars
import random
import time
from typing import Any

# The deadline (time.monotonic()) of the step this thread works for; requests outside a step use a default.
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("foundry_litellm_deadline", default=None)
TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})
REFUSED_STATUS = frozenset({408, 429})  # nothing was done: safe to send again whatever the method
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REPEATABLE_OPTION = "repeatable"  # per-call keyword: this POST or PATCH may be sent twice
BACKOFF_FIRST = 2.0  # Azure seconds
BACKOFF_MAX = 60.0
DEFAULT_WINDOW = 30 * 60.0  # Azure seconds, for requests outside a step (the shortest step timeout)
MIN_WINDOW = 120.0  # real seconds: however short a time-scaled target's minutes are


def set_deadline(deadline: float | None) -> contextvars.Token[float | None]:
    return _DEADLINE.set(deadline)


def reset_deadline(token: contextvars.Token[float | None]) -> None:
    _DEADLINE.reset(token)


def window(seconds: float, time_scale: float) -> float:
    """Real seconds that ``seconds`` of Azure time last on a target of this time scale (with a floor)."""
    return max(seconds * time_scale, MIN_WINDOW)


def backoff(attempt: int, time_scale: float) -> float:
    """Exponential, capped, with jitter over the upper half: concurrent retries spread out."""
    ceiling = min(BACKOFF_MAX, BACKOFF_FIRST * 2.0 ** attempt)
    return (ceiling / 2 + random.uniform(0, ceiling / 2)) * time_scale


def retry_after(response: Any) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms`` first, as azure-core reads it), if any."""
    headers = response.headers
    for name, scale in (("retry-after-ms", 0.001), ("x-ms-retry-after-ms", 0.001), ("Retry-After", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                continue  # an HTTP date: fall back to our own backoff
    return None


def is_ambiguous(exc: BaseException) -> bool:
    """A write that may or may not have been carried out: no answer, or a 5xx (read it back before writing
    again)."""
    from azure.core.exceptions import HttpResponseError, ServiceResponseError

    if isinstance(exc, ServiceResponseError):
        return True
    status = getattr(exc, "status_code", None)
    if isinstance(exc, HttpResponseError) and status in TRANSIENT_STATUS - REFUSED_STATUS:
        return True
    return exc.__cause__ is not None and is_ambiguous(exc.__cause__)  # a step's own message around it


def policy(time_scale: float) -> Any:
    """An azure-core pipeline policy instance (built lazily: azure.* is imported on first use)."""
    from azure.core.exceptions import ServiceRequestError, ServiceResponseError
    from azure.core.pipeline.policies import HTTPPolicy

    class TransientRetryPolicy(HTTPPolicy[Any, Any]):
        def send(self, request: Any) -> Any:
            repeatable = bool(request.context.options.pop(REPEATABLE_OPTION, False))
            # azure-core's own option, passed by older call sites: never let it reach the transport
            request.context.options.pop("retry_on_methods", None)
            method = request.http_request.method.upper()
            safe = method in READ_METHODS or repeatable
            # A read asked for streamed (azure_ops.send_by_id) has its body read here, inside the loop: one cut off
            # half-way is then retried like an answer never received.
            streamed = method in READ_METHODS and bool(request.context.options.get("stream"))
            deadline = _DEADLINE.get() or time.monotonic() + window(DEFAULT_WINDOW, time_scale)
            attempt = 0
            while True:
                try:
                    response = self.next.send(request)
                    if streamed:
                        response.http_response.read()
                except ServiceRequestError:  # nothing was sent
                    if not self._wait(None, attempt, deadline):
                        raise
                except ServiceResponseError:  # sent; the answer was lost
                    if not safe or not self._wait(None, attempt, deadline):
                        raise
                else:
                    status = response.http_response.status_code
                    if status not in TRANSIENT_STATUS or (status not in REFUSED_STATUS and not safe):
                        return response
                    if not self._wait(retry_after(response.http_response), attempt, deadline):
                        return response
                attempt += 1

        @staticmethod
        def _wait(asked: float | None, attempt: int, deadline: float) -> bool:
            delay = asked if asked is not None else backoff(attempt, time_scale)
            if time.monotonic() + delay > deadline:
                return False
            time.sleep(delay)
            return True

    return TransientRetryPolicy()
