"""How the engine talks to the SDK: raw JSON in and out, Azure errors matched on their code, bounded waits.

Steps work in REST JSON (the shape of Azure's specs) rather than SDK models: the same body is sent by the
hybrid and the msrest-style packages, unknown keys are never dropped, and a diff reads like the API.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from .errors import ToolError

Json = dict[str, Any]
# Transient provisioning states: wait for a terminal one before comparing or writing. A Container Apps environment
# has its own (EnvironmentProvisioningState, ManagedEnvironments.json 2026-01-01): "Waiting" from its PUT until it
# is provisioned (Azure CLI recordings containerapp_env_e2e), then setup states; UpgradeFailed is terminal.
TRANSIENT_STATES = frozenset({"accepted", "creating", "updating", "deleting", "provisioning", "inprogress",
                              "running", "migrating", "canceling", "scaling", "upgrading", "moving",
                              "waiting", "initializationinprogress", "infrastructuresetupinprogress",
                              "infrastructuresetupcomplete", "scheduledfordelete", "upgraderequested"})
# Errors ARM answers while another write holds the resource, its parent or what it uses; retried with backoff
# until the step's deadline (azurerm#3780, pulumi-azure-native#699; Learn "request-limits-and-throttling").
# Matched at the top level and in ``details``: the Network RP wraps the cause in a 429 or a failed operation
# ``RetryableError`` (cluster-api-provider-azure#4385, terraform-provider-azurerm#30197, bicep#5132).
CONFLICT_CODES = frozenset({"AnotherOperationInProgress", "RetryableErrorDueToAnotherOperation",
                            "CanceledAndSupersededDueToAnotherOperation", "OperationNotAllowed",
                            "ReferencedResourceNotProvisioned", "RetryableError",
                            # the same answer in the words of Foundry (bicep#11211) and Container Apps
                            # (azure-container-apps#1112)
                            "RequestConflict", "ManagedEnvironmentOperationInProgress"})

CONFLICT_BACKOFF_FIRST = 2.0  # Azure seconds
CONFLICT_BACKOFF_MAX = 60.0

# A POST or PATCH that is safe to send twice (a registration, a read-like action, a PATCH of the same body):
# the retry policy (retry.py) may repeat it after a 5xx or a lost answer instead of raising.
RETRY_REPEATABLE: dict[str, Any] = {"repeatable": True}


class AzureOperationError(ToolError):
    """An Azure error, reported with its code and a hint, never with secret values."""

    def __init__(self, code: str | None, message: str, *, status: int | None = None, hint: str | None = None):
        super().__init__(f"{code or 'Error'}: {message}", hint=hint)
        self.code = code
        self.status = status


class OperationTimeout(ToolError):
    """An operation outlived its step's timeout; its continuation token stays in state for the next run."""


def raw(pipeline_response: Any, deserialized: Any, headers: Any) -> Json | None:
    """``cls=`` callback: the response body as JSON, whatever model style the package uses."""
    response = pipeline_response.http_response
    try:
        text = response.text()
    except Exception:  # a body that cannot be read is no body
        return None
    if not text:
        return None
    try:
        body = json.loads(text)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def read_by_id(clients: Any, resource_id: str, api_version: str) -> Json | None:
    """The resource at ``resource_id`` as raw JSON, through the ARM pipeline (``Clients.arm``); None when it does not
    exist — also when its namespace is not registered: Azure refuses to unregister a namespace while resources of it
    exist, so nothing of it can be there."""
    try:
        return send_by_id(clients, "GET", resource_id, api_version)
    except Exception as exc:
        if is_not_found(exc) or error_code(exc) == "MissingSubscriptionRegistration":
            return None
        raise


def send_by_id(clients: Any, method: str, path: str, api_version: str, *, body: Json | None = None,
               **options: Any) -> Json | None:
    """One ARM request to ``path`` (a resource id, or an action under one: ``.../listKeys``) that Azure answers at
    once (no long-running operation: a resource group, a registration); the answer's body as JSON. Refused, it
    raises what an SDK operation raises (``HttpResponseError`` with the ARM error's code)."""
    client = clients.arm()  # first: it imports the modules used here, one thread at a time
    # a read streamed: the retry policy reads its body inside its loop, so one cut off half-way is retried (retry.py)
    response = client.send_request(_request(client, method, path, api_version, body), stream=method == "GET",
                                   **options)
    response.read()
    _refuse_unless(response, 200, 201, 204)
    try:
        body = json.loads(response.text()) if response.text() else None
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def begin_by_id(clients: Any, method: str, path: str, api_version: str, *, body: Json | None = None,
                final_state_via: str | None = None, **options: Any) -> Any:
    """A write, a delete or a long-running action (``.../backendhealth``) by resource id: its poller, as an SDK
    ``begin_*`` returns one (done at once when Azure answers at once), the result the resource's JSON. A PUT's
    result is read from the resource itself; an action's as ``final_state_via`` (its spec's
    ``x-ms-long-running-operation-options``) says."""
    client = clients.arm()
    from azure.core.polling import LROPoller
    from azure.mgmt.core.polling.arm_polling import ARMPolling

    initial = client._pipeline.run(_request(client, method, path, api_version, body), stream=False, **options)
    _refuse_unless(initial.http_response, 200, 201, 202, 204)
    lro_options = {"final-state-via": final_state_via} if final_state_via else None
    return LROPoller(client, initial, lambda response: raw(response, None, {}),
                     ARMPolling(clients.target.polling_interval, lro_options=lro_options))


def _request(client: Any, method: str, path: str, api_version: str, body: Json | None = None) -> Any:
    from azure.core.rest import HttpRequest

    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    return HttpRequest(method, client.format_url(path), params={"api-version": api_version}, headers=headers,
                       content=None if body is None else body_bytes(body))


def _refuse_unless(response: Any, *expected: int) -> None:
    """Raise for an answer outside ``expected`` what an SDK operation raises for it."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ResourceExistsError,
        ResourceNotFoundError,
        ResourceNotModifiedError,
        map_error,
    )
    from azure.mgmt.core.exceptions import ARMErrorFormat

    if response.status_code in expected:
        return
    map_error(status_code=response.status_code, response=response,
              error_map={401: ClientAuthenticationError, 404: ResourceNotFoundError, 409: ResourceExistsError,
                         304: ResourceNotModifiedError})
    raise HttpResponseError(response=response, error_format=ARMErrorFormat)


def body_bytes(body: Json) -> bytes:
    """Send exactly this JSON: msrest-style models would drop keys they do not know."""
    return json.dumps(body).encode()


def error_code(exc: BaseException) -> str | None:
    """The top-level ARM error code."""
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    return code if isinstance(code, str) else None


def error_codes(exc: BaseException) -> list[str]:
    """Every ARM error code of ``exc``: the top level, then its ``details``, depth first."""
    codes: list[str] = []
    pending = [getattr(exc, "error", None)]
    while pending:
        error = pending.pop(0)
        code = getattr(error, "code", None)
        if isinstance(code, str):
            codes.append(code)
        details = getattr(error, "details", None)
        if isinstance(details, list):
            pending[:0] = details
    return codes


def is_conflict(exc: BaseException) -> bool:
    """Azure refused the write because another operation holds what it needs: nothing landed, send it again."""
    return any(code in CONFLICT_CODES for code in error_codes(exc))


def conflict_code(exc: BaseException) -> str:
    """The most telling code of a conflict, for progress messages: the cause in the details, if named."""
    codes = error_codes(exc)
    return next((c for c in reversed(codes) if c in CONFLICT_CODES), codes[0] if codes else "Conflict")


def status_code(exc: BaseException) -> int | None:
    code = getattr(exc, "status_code", None)
    return code if isinstance(code, int) else None


def is_not_found(exc: BaseException) -> bool:
    return status_code(exc) == 404


def is_forbidden(exc: BaseException) -> bool:
    """The caller lacks the right (ARM answers 403 AuthorizationFailed)."""
    return status_code(exc) == 403


def as_tool_error(exc: BaseException) -> ToolError:
    """An Azure SDK exception as one clear message: its ARM code, its message, a hint."""
    from .hints import hint_for

    if isinstance(exc, ToolError):
        return exc
    code = error_code(exc)
    error = getattr(exc, "error", None)
    message = getattr(error, "message", None) or getattr(exc, "message", None) or str(exc)
    message = str(message).split("\n")[0]
    if code in CONFLICT_CODES and code != conflict_code(exc):  # "RetryableError" says less than its cause
        message = f"{message} ({conflict_code(exc)})"
    hint = next((h for c in error_codes(exc) if (h := hint_for(c, None))), None) or hint_for(code, status_code(exc))
    return AzureOperationError(code, message, status=status_code(exc), hint=hint)


def retry_conflicts(call: Callable[[], Any], *, deadline: float, sleep: Callable[[float], None] = time.sleep,
                    on_wait: Callable[[str], None] | None = None, time_scale: float = 1.0) -> Any:
    """Run ``call``; while Azure answers that another operation holds the resource, back off and retry. ``sleep``
    takes Azure seconds; ``deadline`` is real (``time.monotonic()``), hence ``time_scale``."""
    delay = CONFLICT_BACKOFF_FIRST
    while True:
        try:
            return call()
        except Exception as exc:
            if not is_conflict(exc) or time.monotonic() + delay * time_scale > deadline:
                raise
            if on_wait is not None:
                on_wait(f"{conflict_code(exc)}: retrying in {delay:.0f}s")
            sleep(delay)
            delay = min(delay * 2, CONFLICT_BACKOFF_MAX)


def provisioning_state(body: Json | None) -> str | None:
    if not body:
        return None
    props = body.get("properties")
    state = props.get("provisioningState") if isinstance(props, dict) else None
    return state if isinstance(state, str) else None


def is_transient(body: Json | None) -> bool:
    state = provisioning_state(body)
    return state is not None and state.lower() in TRANSIENT_STATES


def wait_for(poller: Any, *, timeout: float, what: str) -> Any:
    """Wait for an LRO poller, bounded. On timeout the operation keeps running in Azure; we say so."""
    poller.wait(timeout=timeout)
    if not poller.done():
        raise OperationTimeout(
            f"{what} did not finish within its timeout; Azure is still working on it",
            hint="run the same command again later: it re-attaches to the operation instead of starting another",
        )
    return poller.result()
