"""What a step sees while it runs: config, names, clients, outputs of earlier steps, and ``run``, the one place
that starts or re-attaches long-running operations and records their continuation tokens.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from . import azure_ops
from .ownership import ENV_TAG, OWNER_TAG, OWNER_VALUE
from .secrets import SecretValues
from .state import State, now_iso

if TYPE_CHECKING:
    from .clients import Clients
    from .config import Config
    from .names import Names

Json = dict[str, Any]
STEP_TIMEOUT_FLOOR = 30.0  # real seconds


def resource_id_in(group_id: str, provider_type: str, *names: str) -> str:
    """``<group id>/providers/Microsoft.X/a/<n1>/b/<n2>``: one name per type segment, the parents' first."""
    namespace, *types = provider_type.split("/")
    parts = [group_id, "providers", namespace]
    for type_, name in zip(types, names, strict=True):
        parts += [type_, name]
    return "/".join(parts)


class Unknown(Exception):
    """A value known only after an earlier step is applied (what ``--plan`` shows as such)."""


class Managed(Protocol):
    """What ``run``, ``reattach`` and ``settle`` need of a step (every ``step.Step`` is one)."""

    name: str
    title: str

    def resource_id(self, ctx: RunContext) -> str: ...

    def read(self, ctx: RunContext) -> Json | None: ...


Outputs_co = TypeVar("Outputs_co", bound=Mapping[str, object], covariant=True)


class Produces(Protocol[Outputs_co]):
    """A step whose outputs later steps read: its ``outputs`` return type (a TypedDict) types the lookup."""

    @property
    def name(self) -> str: ...

    def outputs(self, ctx: RunContext, actual: Json) -> Outputs_co: ...


class Progress(Protocol):
    def progress(self, step: Managed, message: str) -> None: ...


class RunContext:
    def __init__(self, config: Config, names: Names, clients: Clients, state: State, progress: Progress, *,
                 time_scale: float = 1.0, sleep: Callable[[float], None] = time.sleep,
                 secrets: SecretValues | None = None, purge: bool = True,
                 rotate: frozenset[str] = frozenset()) -> None:
        self.config = config
        self.rotate = rotate  # secrets to regenerate in this run (deploy --rotate-master-key)
        self.secrets = secrets or SecretValues()
        self.purge = purge  # destroy: purge soft-deleted vaults and accounts (--no-purge keeps them)
        self.purge_refused = False  # the caller may not purge the Foundry account: its subnet stays held
        self.names = names
        self.clients = clients
        self.state = state
        self.progress = progress
        self.time_scale = time_scale  # 1 against Azure; the emulator's scale against it
        self.poll_interval = max(0.01, 5.0 * time_scale)
        self.sleep = sleep
        self._outputs: dict[str, dict[str, str]] = {}
        self.owned_parents: dict[str, bool] = {}  # resource id (lower case) -> ours, as read once in this run
        self._warnings: dict[str, str] = {}
        self._lock = threading.Lock()

    # --- identity of the deployment ---------------------------------------------------------------------
    @property
    def subscription_id(self) -> str:
        return self.config.subscription_id

    @property
    def resource_group(self) -> str:
        return self.config.resource_group

    @property
    def location(self) -> str:
        return self.config.location

    @property
    def group_id(self) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"

    def resource_id(self, provider_type: str, *names: str) -> str:
        return resource_id_in(self.group_id, provider_type, *names)

    @property
    def tags(self) -> dict[str, str]:
        """The ownership tags every resource gets: destroy deletes only what carries them."""
        return {**self.config.tags, OWNER_TAG: OWNER_VALUE, ENV_TAG: self.config.environment}

    # --- outputs of earlier steps ---------------------------------------------------------------------------
    def output_of(self, step: Produces[Outputs_co]) -> Outputs_co:
        """What ``step`` produced, this run or (until this run reads it live) an earlier one; typed by the step's
        ``outputs``. Unknown while the step has not run (``--plan`` before it exists)."""
        found = self.outputs_if_known(step)
        if found is None:
            raise Unknown(step.name)
        return found

    def outputs_if_known(self, step: Produces[Outputs_co]) -> Outputs_co | None:
        with self._lock:
            found = self._outputs.get(step.name)
        return None if found is None else cast(Outputs_co, dict(found))

    def set_outputs(self, step: str, outputs: Mapping[str, object]) -> None:
        with self._lock:
            self._outputs[step] = {key: str(value) for key, value in outputs.items()}

    def warn(self, key: str, message: str) -> None:
        """Say once, when the run ends, what could not be checked or done and what that risks."""
        with self._lock:
            self._warnings.setdefault(key, message)

    @property
    def warnings(self) -> list[str]:
        with self._lock:
            return list(self._warnings.values())

    def real_seconds(self, seconds: float) -> float:
        """How long ``seconds`` of Azure time (a step's timeout) last here: against a time-scaled emulator its
        operations are that much shorter, so are the bounds on them (with a floor for a loaded machine)."""
        return max(seconds * self.time_scale, min(seconds, STEP_TIMEOUT_FLOOR))

    def backoff(self, seconds: float) -> None:
        """Wait before a retry: Azure-time seconds, scaled down against a time-scaled emulator."""
        self.sleep(seconds * self.time_scale)

    # --- long-running operations ----------------------------------------------------------------------------
    def run(self, step: Managed, kind: str, start: Callable[..., Any], *, timeout: float,
            missing_ok: bool = False) -> Json | None:
        """Start an operation and wait for it.

        The continuation token is saved before waiting, so a run killed now does not send a second PUT next
        time: it re-attaches (``reattach``) and polls the same operation. ``kind`` is "write", "delete" or
        "purge". A write or delete that Azure refuses because another operation holds what it needs is sent
        again until the deadline: refused at once (``retry_conflicts``) or accepted and then ``Failed`` with
        such a code, after reading the resource back.
        """
        deadline = time.monotonic() + self.real_seconds(timeout)
        delay = azure_ops.CONFLICT_BACKOFF_FIRST
        while True:
            try:
                result = azure_ops.retry_conflicts(
                    start, deadline=deadline, sleep=self.backoff, time_scale=self.time_scale,
                    on_wait=lambda message: self.progress.progress(step, message))
            except Exception as exc:
                if missing_ok and azure_ops.is_not_found(exc):
                    return None
                raise
            if not _is_poller(result):
                return result if isinstance(result, dict) else None
            self.state.update_step(step.name, pending={"operation": kind, "token": result.continuation_token(),
                                                       "resource_id": step.resource_id(self), "since": now_iso()})
            try:
                return self._wait(step, kind, result, deadline, missing_ok=missing_ok)
            except Exception as exc:  # _wait has dropped the token: this operation is over
                if kind == "purge" or not azure_ops.is_conflict(exc) or \
                        time.monotonic() + delay * self.time_scale > deadline:
                    raise
                code = azure_ops.conflict_code(exc)
            # Accepted, then refused: another operation held what it needed (bicep#5132,
            # terraform-provider-azurerm#30197). Nothing landed; read the resource back, then write again.
            self.progress.progress(step, f"the {kind} failed with {code}; reading back, retrying in {delay:.0f}s")
            self.backoff(delay)
            delay = min(delay * 2, azure_ops.CONFLICT_BACKOFF_MAX)
            current = self.settle(step, lambda: step.read(self), timeout=max(1.0, deadline - time.monotonic()))
            if kind == "delete" and current is None:
                return None

    def reattach(self, step: Managed, pending: Json, *, timeout: float) -> Json | None:
        """Wait for the operation a killed run left in flight, through its continuation token: only polls are
        sent, never the write again, whatever the step (the token holds the operation's URLs)."""
        self.progress.progress(step, f"re-attaching to the {pending.get('operation', 'operation')} left in flight")
        try:
            poller = self.clients.reattach(pending["token"])
        except Exception:
            self.state.update_step(step.name, pending=None)
            raise
        return self._wait(step, str(pending.get("operation")), poller,
                          time.monotonic() + self.real_seconds(timeout), missing_ok=True)

    def _wait(self, step: Managed, kind: str, poller: Any, deadline: float, *, missing_ok: bool) -> Json | None:
        try:
            outcome = azure_ops.wait_for(poller, timeout=max(1.0, deadline - time.monotonic()),
                                         what=f"{step.title} ({kind})")
        except azure_ops.OperationTimeout:
            raise  # keep the token: the next run re-attaches
        except Exception as exc:
            self.state.update_step(step.name, pending=None)
            if missing_ok and azure_ops.is_not_found(exc):
                return None
            raise
        self.state.update_step(step.name, pending=None)
        return outcome if isinstance(outcome, dict) else None

    def settle(self, step: Managed, read: Callable[[], Json | None], *, timeout: float) -> Json | None:
        """Read until the resource is in a terminal provisioning state (or gone), bounded by ``timeout``.

        A run killed after sending a PUT but before saving the token finds the resource still Creating: it
        waits for that operation instead of sending a write that Azure would refuse (409) or duplicate.
        """
        deadline = time.monotonic() + self.real_seconds(timeout)
        actual = read()
        announced = False
        while azure_ops.is_transient(actual):
            if time.monotonic() > deadline:
                raise azure_ops.OperationTimeout(
                    f"{step.title} stayed {azure_ops.provisioning_state(actual)} for {timeout / 60:.0f} minutes",
                    hint="Azure is still working on it; run again later")
            if not announced:
                self.progress.progress(step, f"waiting: {azure_ops.provisioning_state(actual)}")
                announced = True
            self.sleep(self.poll_interval)
            actual = read()
        return actual


def _is_poller(value: Any) -> bool:
    return hasattr(value, "continuation_token") and hasattr(value, "wait")
