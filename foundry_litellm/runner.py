"""The step runner: an ordered, parallel, resumable pipeline for deploy, plan, status and destroy.

Independent steps run in parallel (bounded); steps that share a lock key never write at the same time (the
subnets of one VNet: Azure serializes those writes and answers 409 otherwise); each step's result is
recorded in the state file as it finishes, so a re-run resumes where the last one stopped.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import azure_ops, retry, schedule
from .clients import MAX_CONNECTIONS
from .context import Managed, RunContext, Unknown
from .diff import Change
from .errors import Forgotten, Kept, StateLockLost, ToolError
from .state import now_iso
from .step import Action, Plan, Step

Json = dict[str, Any]
# Real seconds a first Ctrl-C waits for writes just sent to be answered (their tokens recorded); a second Ctrl-C
# leaves at once. A held answer (a Foundry project's PUT) can take minutes: the next run reads it back.
INTERRUPT_GRACE = 60.0
log = logging.getLogger(__name__)


class Outcome(enum.StrEnum):
    """What became of a step in one run (the text is what tables and JSON show)."""

    CREATED = "created"
    UPDATED = "updated"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"
    PLANNED = "planned"
    IN_SYNC = "in sync"
    DRIFTED = "drifted"
    MISSING = "missing"
    NOT_DEPLOYED = "not deployed"
    DELETED = "deleted"
    ABSENT = "absent"
    KEPT = "kept"
    SKIPPED = "skipped"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # its operation was left running in Azure on Ctrl-C; a re-run re-attaches


_DONE = {Action.CREATE: Outcome.CREATED, Action.UPDATE: Outcome.UPDATED, Action.REPLACE: Outcome.REPLACED}


@dataclass
class StepResult:
    step: str
    title: str
    outcome: Outcome
    action: Action | None = None
    changes: tuple[Change, ...] = ()
    resource_id: str = ""
    error: ToolError | None = None
    elapsed: float = 0.0
    note: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    immutable: tuple[str, ...] = ()  # a replace: the fields Azure cannot change in place
    replaceable: bool = True  # False: deploy refuses that replace
    exception: BaseException | None = None  # for --debug tracebacks

    @property
    def failed(self) -> bool:
        return self.outcome is Outcome.FAILED


NOT_STARTED = "not started: interrupted"


class StepInterrupted(Exception):
    """Raised in a step between its reads and its write once Ctrl-C was pressed: nothing new is sent."""


class Reporter(Protocol):
    def started(self, step: Step, what: str) -> None: ...
    def progress(self, step: Managed, message: str) -> None: ...
    def finished(self, result: StepResult) -> None: ...


def plan_of(ctx: RunContext, step: Step, desired: Json, actual: Json | None, resource_id: str) -> Plan:
    if actual is None:
        return Plan(step.name, Action.CREATE, resource_id=resource_id)
    changes = step.changes(ctx, desired, actual)
    if azure_ops.provisioning_state(actual) == "Failed":
        changes = [*changes, Change("properties.provisioningState", "Failed", "Succeeded")]
    if not changes:
        return Plan(step.name, Action.NOOP, resource_id=resource_id)
    if immutable_fields(step, changes):
        return Plan(step.name, Action.REPLACE, tuple(changes), resource_id)
    return Plan(step.name, Action.UPDATE, tuple(changes), resource_id)


# Every tracked ARM resource keeps the region it was created in: a move is a new resource (ARM answers
# InvalidResourceLocation or LocationNotAvailableForResourceGroup to a PUT that changes it).
ALWAYS_IMMUTABLE = ("location",)


def immutable_fields(step: Step, changes: Sequence[Change]) -> list[str]:
    """The paths among ``changes`` that Azure cannot update in place (the step's own, and the location)."""
    own = {c.path for c in step.immutable_changes(list(changes))}
    return sorted(own | {c.path for c in changes if c.path in ALWAYS_IMMUTABLE})


class ImmutableChange(ToolError):
    """Deploy refuses, before sending anything, a change Azure cannot make in place (exit 2: bad input)."""

    exit_code = 2


@dataclass
class _Schedule:
    """One ``_execute``'s steps, their order of preference and what became of them so far."""

    steps: dict[str, Step]
    deps: dict[str, set[str]]
    order: list[str]  # preferred first (priority_order)
    results: dict[str, StepResult] = field(default_factory=dict)
    running: dict[Future[StepResult], Step] = field(default_factory=dict)
    held: set[str] = field(default_factory=set)  # lock keys of the steps running
    # lock key -> the step whose operation outlived its timeout (Azure still holds the key)
    still_running: dict[str, str] = field(default_factory=dict)
    keys_of: dict[str, frozenset[str]] = field(default_factory=dict)  # a writing run's lock keys, by step
    announced: set[str] = field(default_factory=set)  # deferred steps whose wait was reported


class Runner:
    def __init__(self, steps: Sequence[Step], ctx: RunContext, reporter: Reporter, *, parallel: int = 16,
                 retired: Sequence[Step] = (), stop: threading.Event | None = None) -> None:
        self.steps = list(steps)
        self.stop = stop or threading.Event()  # set on Ctrl-C: start nothing more (interrupts.py)
        self.interrupted = False
        self.retired = list(retired)  # steps the config no longer wants (projects beyond the count)
        self.ctx = ctx
        self.reporter = reporter
        self.parallel = max(1, parallel)
        names = {s.name for s in self.steps}
        for step in self.steps:
            for dep in step.depends_on:
                if dep.name not in names:
                    raise ValueError(f"step {step.name} depends on unknown step {dep.name}")
        self._upstream = _closure(self.steps)
        self._early: dict[str, Json | None] = {}
        self._results: dict[str, StepResult] = {}
        self._lock_lost: str | None = None  # why no more steps start (another run may hold the state now)

    # --- the four modes ---------------------------------------------------------------------------------
    def deploy(self) -> list[StepResult]:
        self._prefetch()
        self._refuse_immutable()
        removed = self._execute(self.retired, self._destroy_one, write=True, reverse=True)
        if self.interrupted:
            return removed + [self._not_started(s) for s in self.steps]
        return removed + self._execute(self.steps, self._deploy_one, write=True)

    def plan(self) -> list[StepResult]:
        self._prefetch(self.retired)
        removals = self._execute(self.retired, self._plan_removal, write=False)
        return removals + self._execute(self.steps, self._plan_one, write=False)

    def status(self) -> list[StepResult]:
        self._prefetch(self.retired)
        removals = self._execute(self.retired, self._plan_removal, write=False)
        return [r for r in removals if r.action is Action.DELETE] + \
            self._execute(self.steps, self._status_one, write=False)

    def destroy(self) -> list[StepResult]:
        return self._execute(self.retired + self.steps, self._destroy_one, write=True, reverse=True)

    # --- reading ----------------------------------------------------------------------------------------------
    def _prefetch(self, steps: Sequence[Step] = ()) -> None:
        """Read, all at once, the resources the state file records as deployed (of the pipeline and ``steps``).

        A step whose upstream steps all turn out unchanged uses this early read instead of reading again after
        them: a run with nothing to do costs about one round of parallel reads, not one per level of the
        pipeline. On a first deployment nothing is recorded and nothing is read twice.
        """
        recorded = [s for s in [*self.steps, *steps] if self.ctx.state.step(s.name).get("status") == "succeeded"
                    and not self.ctx.state.step(s.name).get("pending")]
        if not recorded:
            return
        retired = {s.name for s in steps}
        warm = [s for s in recorded if s.name not in retired]  # the pipeline's: not what the config no longer wants
        # Reads are not writes: one thread per resource, whatever the slots for steps (``parallel``), so that all
        # of them are one round trip; ARM's read bucket (250 a principal, refilled at 25 a second) holds them.
        workers = min(len(recorded) + len(warm), MAX_CONNECTIONS)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="read") as pool:
            reads = {s.name: pool.submit(s.read, self.ctx) for s in recorded}
            for step in warm:
                pool.submit(_warm_desired, self.ctx, step)
        for name, future in reads.items():
            if future.exception() is None and not azure_ops.is_transient(future.result()):
                self._early[name] = future.result()

    def _refuse_immutable(self) -> None:
        """Before anything is sent: a field Azure cannot change in place, on a step that may not be replaced,
        refuses the whole deploy (exit 2), rather than failing on Azure's error after the steps before it ran.
        Judged on the early reads of what the state records; a step not recorded is judged when it runs."""
        refused = []
        for step in self.steps:
            actual = self._early.get(step.name)
            if actual is None or step.replaceable:
                continue
            try:
                desired = step.desired(self.ctx)
            except Exception as exc:  # unknown before apply, or an error the step's own run reports
                log.debug("immutable check of %s skipped: %s", step.name, exc)
                continue
            fields = immutable_fields(step, step.changes(self.ctx, desired, actual))
            if fields:
                refused.append(f"{step.title} ({', '.join(fields)})")
        if refused:
            raise ImmutableChange(f"Azure cannot change in place: {'; '.join(refused)}; nothing was sent",
                                  hint="restore the previous value in the config, or run 'foundry-litellm "
                                       "destroy' and deploy again to create the environment anew")

    def _read(self, step: Step, *, fresh: bool = False) -> Json | None:
        untouched = all(self._results.get(d) is not None and self._results[d].outcome is Outcome.UNCHANGED
                        for d in self._upstream[step.name])
        if step.name in self._early and (untouched or not fresh):
            return self._early.pop(step.name)
        return self.ctx.settle(step, lambda: step.read(self.ctx), timeout=step.create_timeout)

    # --- per step ---------------------------------------------------------------------------------------------
    def _deploy_one(self, step: Step) -> StepResult:
        ctx = self.ctx
        began = time.monotonic()
        self._resume(step)
        deadline = time.monotonic() + retry.window(step.create_timeout, ctx.time_scale)
        first: Plan | None = None
        while True:
            actual = self._read(step, fresh=True)
            desired = step.desired(ctx)
            resource_id = step.resource_id(ctx)
            plan = plan_of(self.ctx, step, desired, actual, resource_id)
            first = first or plan
            if plan.action is Action.NOOP:
                break
            if self.stop.is_set():
                raise StepInterrupted
            if first is plan:
                self.reporter.started(step, plan.action.value)
                ctx.state.update_step(step.name, status="in progress", started_at=now_iso())
            try:
                actual = self._apply(step, plan, desired, actual)
                break
            except Exception as exc:
                self._before_reading_back(step, exc, deadline, "writing")
        outcome = Outcome.UNCHANGED if first.action is Action.NOOP else _DONE[first.action]
        assert actual is not None
        outputs = _record_outputs(ctx, step, actual)
        ctx.state.update_step(step.name, status="succeeded", resource_id=resource_id, outputs=outputs,
                              finished_at=now_iso(), error=None, pending=None)
        if first.action is not Action.NOOP:  # the next deploy's progress view estimates its critical path from it
            ctx.state.record_duration(step.name, time.monotonic() - began)
        return StepResult(step.name, step.title, outcome, first.action, first.changes, resource_id, outputs=outputs)

    def _before_reading_back(self, step: Step, exc: Exception, deadline: float, verb: str) -> None:
        """Re-raise ``exc`` unless it leaves a write's fate unknown (retry.is_ambiguous) and time is left; then
        back off: the caller reads the resource back and writes again only if the write did not land."""
        if not retry.is_ambiguous(exc) or time.monotonic() > deadline:
            raise exc
        self.reporter.progress(step, f"no clear answer ({azure_ops.as_tool_error(exc).message}); "
                                     f"reading back before {verb} again")
        self.ctx.backoff(retry.BACKOFF_FIRST)

    def _apply(self, step: Step, plan: Plan, desired: Json, actual: Json | None) -> Json:
        if plan.action is Action.REPLACE:
            assert actual is not None
            self._replace(step, plan, actual)
            actual = None
        result = step.apply(self.ctx, desired, actual)
        written = result if result is not None and not azure_ops.is_transient(result) else self._read(step)
        if written is None:
            raise ToolError(f"{step.title} is missing right after it was written")
        return written

    def _resume(self, step: Step) -> None:
        """Re-attach to the operation a killed run left in flight, through its continuation token: no second
        write is sent. If the operation is gone or failed, the live read that follows decides what to do."""
        pending = self.ctx.state.step(step.name).get("pending") or {}
        if not pending.get("token"):
            return
        self.reporter.started(step, "resuming")
        timeout = step.create_timeout if pending.get("operation") == "write" else step.delete_timeout
        try:
            self.ctx.reattach(step, pending, timeout=timeout)
        except azure_ops.OperationTimeout:
            raise
        except Exception as exc:
            self.ctx.state.update_step(step.name, pending=None)
            self.reporter.progress(step, f"the operation left in flight ended: "
                                         f"{azure_ops.as_tool_error(exc).message}; reading the resource")

    def _replace(self, step: Step, plan: Plan, actual: Json) -> None:
        if not step.replaceable:
            fields = ", ".join(immutable_fields(step, plan.changes))
            raise ToolError(f"{step.title}: {fields} cannot be changed in place",
                            hint="destroy and deploy again, or restore the previous value in the config")
        self.reporter.progress(step, "deleting before re-creating (Azure cannot update it in place)")
        step.delete(self.ctx, actual)
        gone = self.ctx.settle(step, lambda: step.read(self.ctx), timeout=step.delete_timeout)
        if gone is not None:
            raise ToolError(f"{step.title} still exists after its deletion")

    def _plan_one(self, step: Step) -> StepResult:
        actual = self._read(step)
        resource_id = step.resource_id(self.ctx)
        try:
            desired = step.desired(self.ctx)
        except Unknown as exc:
            action = Action.CREATE if actual is None else Action.UPDATE
            note = f"depends on {exc} (known after apply)"
            if actual is not None:
                _record_outputs(self.ctx, step, actual)
            return StepResult(step.name, step.title, Outcome.PLANNED, action, (), resource_id, note=note)
        plan = plan_of(self.ctx, step, desired, actual, resource_id)
        if actual is not None:
            _record_outputs(self.ctx, step, actual)
        fixed = tuple(immutable_fields(step, plan.changes)) if plan.action is Action.REPLACE else ()
        return StepResult(step.name, step.title, Outcome.PLANNED, plan.action, plan.changes, resource_id,
                          immutable=fixed, replaceable=step.replaceable)

    def _plan_removal(self, step: Step) -> StepResult:
        actual = self._early.pop(step.name) if step.name in self._early else step.read(self.ctx)
        if actual is None or not step.owned(self.ctx, actual):
            return StepResult(step.name, step.title, Outcome.ABSENT, resource_id=step.resource_id(self.ctx))
        kept = step.left_in_place(self.ctx)
        if kept is not None:  # what deploy will report: nothing is sent, the state lets it go
            return StepResult(step.name, step.title, Outcome.KEPT, resource_id=step.resource_id(self.ctx), note=kept)
        return StepResult(step.name, step.title, Outcome.PLANNED, Action.DELETE, resource_id=step.resource_id(self.ctx),
                          note="beyond the configured count: deploy removes it")

    def _status_one(self, step: Step) -> StepResult:
        actual = self._read(step)
        resource_id = step.resource_id(self.ctx)
        recorded = self.ctx.state.step(step.name).get("status") == "succeeded"
        if actual is None:
            return StepResult(step.name, step.title, Outcome.MISSING if recorded else Outcome.NOT_DEPLOYED,
                              resource_id=resource_id)
        outputs = _record_outputs(self.ctx, step, actual)
        try:
            desired = step.desired(self.ctx)
        except Unknown as exc:
            return StepResult(step.name, step.title, Outcome.DRIFTED, resource_id=resource_id,
                              note=f"cannot compare: {exc} is unknown", outputs=outputs)
        plan = plan_of(self.ctx, step, desired, actual, resource_id)
        outcome = Outcome.IN_SYNC if plan.action is Action.NOOP else Outcome.DRIFTED
        return StepResult(step.name, step.title, outcome, plan.action, plan.changes, resource_id, outputs=outputs)

    def _destroy_one(self, step: Step) -> StepResult:
        ctx = self.ctx
        resource_id = step.resource_id(ctx)
        self._resume(step)
        deadline = time.monotonic() + retry.window(step.delete_timeout, ctx.time_scale)
        started = False
        while True:
            actual = ctx.settle(step, lambda: step.read(ctx), timeout=step.delete_timeout)
            if actual is None:
                step.finish_delete(ctx)  # a purge that a killed or failed run did not finish
                ctx.state.drop_step(step.name)
                return StepResult(step.name, step.title, Outcome.DELETED if started else Outcome.ABSENT,
                                  Action.DELETE if started else None, resource_id=resource_id)
            if not step.owned(ctx, actual):
                return StepResult(step.name, step.title, Outcome.KEPT, resource_id=resource_id,
                                  note="not created by foundry-litellm (no ownership tag)")
            if self.stop.is_set():
                raise StepInterrupted
            if not started:
                self.reporter.started(step, "delete")
                started = True
            try:
                step.delete(ctx, actual)
            except Forgotten as reason:
                ctx.state.drop_step(step.name)
                return StepResult(step.name, step.title, Outcome.KEPT, resource_id=resource_id, note=reason.message)
            except Kept as reason:
                return StepResult(step.name, step.title, Outcome.KEPT, resource_id=resource_id, note=reason.message)
            except Exception as exc:
                self._before_reading_back(step, exc, deadline, "deleting")
                continue
            ctx.state.drop_step(step.name)
            return StepResult(step.name, step.title, Outcome.DELETED, Action.DELETE, resource_id=resource_id)

    # --- scheduling -------------------------------------------------------------------------------------------
    def _execute(self, steps: list[Step], work: Callable[[Step], StepResult], *,
                 write: bool, reverse: bool = False) -> list[StepResult]:
        """Run ``work`` over ``steps`` in dependency order (reversed for deletion), in parallel where the
        dependencies and lock keys allow; dependencies on steps outside ``steps`` are already satisfied."""
        deps = _dependencies(steps, reverse)
        # Ready steps start most time still needed first (the longest chain, or a lock key's queue, ahead): free
        # slots and free lock keys go to the critical path.
        keys = {s.name: s.lock_keys(self.ctx) for s in steps} if write else {}
        order = priority_order(steps, deps, self.ctx.state.durations(), self.ctx.time_scale, keys, reverse=reverse)
        run = _Schedule({s.name: s for s in steps}, deps, order, keys_of=keys)
        pool = ThreadPoolExecutor(max_workers=self.parallel, thread_name_prefix="step")
        try:
            while len(run.results) < len(steps):
                if self.stop.is_set():
                    self._leave(steps, run.running, run.results)
                    break
                before = len(run.results)
                soonest = self._start_ready(run, pool, work, write=write, reverse=reverse)
                # A bounded wait: Ctrl-C (``stop``) is noticed within a quarter second; a deferred step on time.
                timeout = 0.25 if soonest is None else min(0.25, max(0.0, soonest - time.time()))
                if not run.running:
                    if soonest is None and len(run.results) == before:
                        stuck = [n for n in order if n not in run.results]
                        raise ToolError(f"steps {stuck} can never run: their dependencies form a cycle")
                    if soonest is not None:
                        self.stop.wait(timeout)
                    continue
                done, _ = wait(list(run.running), timeout=timeout, return_when=FIRST_COMPLETED)
                for future in done:
                    self._collect(run, future, write=write)
        finally:
            # Interrupted: the threads of operations left in flight are abandoned, not waited for.
            pool.shutdown(wait=not self.interrupted, cancel_futures=True)
        return [run.results[s.name] for s in steps]

    def _start_ready(self, run: _Schedule, pool: ThreadPoolExecutor, work: Callable[[Step], StepResult], *,
                     write: bool, reverse: bool) -> float | None:
        """Start, critical path first, every step whose dependencies are done and whose lock keys are free, while
        slots are; settle those that must not run. Returns the soonest time a deferred step waits for, if any."""
        soonest: float | None = None
        for name in run.order:
            step = run.steps[name]
            if name in run.results or step in run.running.values() or len(run.running) >= self.parallel:
                continue
            if not all(d in run.results for d in run.deps[name]):
                continue
            keys = run.keys_of[name] if write else frozenset()
            settled = _settled_without_running(step, [run.results[d] for d in sorted(run.deps[name])], reverse,
                                               [run.still_running[k] for k in keys if k in run.still_running],
                                               self._lock_lost)
            if settled is not None:
                run.results[name] = settled
                self.reporter.finished(settled)
                continue
            until = self._not_before(run, step) if write and not reverse else 0.0
            if until > time.time():  # its slot and lock keys stay free for others meanwhile
                soonest = until if soonest is None else min(soonest, until)
                continue
            if keys & run.held:
                continue
            run.held |= keys
            log.debug("step %s starts", name)
            run.running[pool.submit(self._timed, step, work)] = step
        return soonest

    def _not_before(self, run: _Schedule, step: Step) -> float:
        """When the step may start (``Step.not_before``), said once to the reporter when that is later than now."""
        until, why = step.not_before(self.ctx)
        if until > time.time() and step.name not in run.announced:
            run.announced.add(step.name)
            self.reporter.progress(step, why)
        return until

    def _collect(self, run: _Schedule, future: Future[StepResult], *, write: bool) -> None:
        """Record a finished step and free its lock keys (kept busy if its operation outlived its timeout)."""
        step = run.running.pop(future)
        log.debug("step %s ended", step.name)
        if write:
            run.held -= run.keys_of[step.name]
            if isinstance(future.result().exception, azure_ops.OperationTimeout):
                run.still_running.update(dict.fromkeys(run.keys_of[step.name], step.name))
        run.results[step.name] = self._results[step.name] = future.result()
        self.reporter.finished(run.results[step.name])

    def _leave(self, steps: list[Step], running: dict[Future[StepResult], Step],
               results: dict[str, StepResult]) -> None:
        """Ctrl-C: start nothing more; wait until every step in flight has finished or has its operation's
        continuation token in the state file (a step about to write stops before it: ``StepInterrupted``), for at
        most ``INTERRUPT_GRACE`` seconds; then record what became of each."""
        log.warning("interrupt: no new step starts; %d in flight", len(running))
        note = getattr(self.reporter, "note", None)
        if note is not None and running:
            note(f"interrupt: no new step starts; recording the {len(running)} operation(s) in flight "
                 "(Ctrl-C again to leave at once)")
        give_up = time.monotonic() + INTERRUPT_GRACE
        while running and time.monotonic() < give_up:
            for future in [f for f in running if f.done()]:
                step = running.pop(future)
                results[step.name] = self._results[step.name] = future.result()
                self.reporter.finished(results[step.name])
            if all(self._token_recorded(step) for step in running.values()):
                break
            wait(list(running), timeout=0.1, return_when=FIRST_COMPLETED)
        for step in running.values():
            token = self._token_recorded(step)
            results[step.name] = StepResult(
                step.name, step.title, Outcome.INTERRUPTED, resource_id=step.resource_id(self.ctx),
                note="left running in Azure; the next run re-attaches to it" if token else
                "its answer had not come: the next run reads it back before writing")
            self.reporter.finished(results[step.name])
        for step in steps:
            if step.name not in results:
                results[step.name] = self._not_started(step)
        # Interrupted only if something was left undone: a Ctrl-C as the last step ended interrupts nothing.
        self.interrupted = any(r.outcome is Outcome.INTERRUPTED or r.note == NOT_STARTED for r in results.values())
        log.warning("interrupt: %s", ", ".join(f"{r.step} {r.outcome}" for r in results.values()
                                                  if r.outcome is Outcome.INTERRUPTED) or "nothing in flight")

    def _token_recorded(self, step: Step) -> bool:
        return bool((self.ctx.state.step(step.name).get("pending") or {}).get("token"))

    def _not_started(self, step: Step) -> StepResult:
        try:
            resource_id = step.resource_id(self.ctx)
        except Unknown:
            resource_id = ""
        return StepResult(step.name, step.title, Outcome.SKIPPED, resource_id=resource_id,
                          note=NOT_STARTED)

    def _timed(self, step: Step, work: Callable[[Step], StepResult]) -> StepResult:
        started = time.monotonic()
        # Transient answers to this step's requests are retried until its deadline (retry.py).
        budget = max(step.create_timeout, step.delete_timeout)
        token = retry.set_deadline(started + retry.window(budget, self.ctx.time_scale))
        try:
            result = work(step)
        except StepInterrupted:
            result = self._not_started(step)
        except Exception as exc:  # one step's failure is recorded, the others go on
            error = azure_ops.as_tool_error(exc)
            if isinstance(exc, StateLockLost):  # the state is someone else's now: nothing more is written or started
                self._lock_lost = "not started: the run lost the state's lock"
            else:
                self.ctx.state.update_step(step.name, status="failed", error=error.message, finished_at=now_iso())
            result = StepResult(step.name, step.title, Outcome.FAILED, error=error, exception=exc)
        finally:
            retry.reset_deadline(token)
        result.elapsed = time.monotonic() - started
        return result


def _settled_without_running(step: Step, deps: list[StepResult], reverse: bool,
                             busy: list[str], lock_lost: str | None = None) -> StepResult | None:
    """The result of a step that must not run: what a kept resource holds stays too (a VNet whose subnet is kept);
    a step after a failed one is skipped; so is one that would write under a lock whose holder's operation outlived
    its timeout (Azure still holds it: the write would only be refused), and every step once the run has lost the
    state's lock."""
    if lock_lost is not None:
        return StepResult(step.name, step.title, Outcome.SKIPPED, note=lock_lost)
    kept = [d.step for d in deps if d.outcome is Outcome.KEPT] if reverse else []
    if kept:
        return StepResult(step.name, step.title, Outcome.KEPT, note=f"{kept[0]} is kept")
    blocked = [d.step for d in deps if d.outcome in (Outcome.FAILED, Outcome.SKIPPED)]
    if blocked:
        return StepResult(step.name, step.title, Outcome.SKIPPED, note=f"{blocked[0]} did not succeed")
    if busy:
        return StepResult(step.name, step.title, Outcome.SKIPPED,
                          note=f"{busy[0]}'s operation is still running in Azure")
    return None


def _dependencies(steps: Sequence[Step], reverse: bool) -> dict[str, set[str]]:
    """What each step waits for among ``steps``: its dependencies, or for deletion the steps depending on it."""
    names = {s.name for s in steps}
    deps: dict[str, set[str]] = {s.name: set() for s in steps}
    for step in steps:
        for dep in step.depends_on:
            if dep.name in names:
                (deps[dep.name] if reverse else deps[step.name]).add(step.name if reverse else dep.name)
    return deps


def priority_order(steps: Sequence[Step], deps: Mapping[str, set[str]], recorded: Mapping[str, float],
                   time_scale: float, keys: Mapping[str, frozenset[str]], *, reverse: bool = False) -> list[str]:
    """The steps, the one with the most time still needed once it starts (itself included) first; ties in
    declared order (reversed for deletion, whose ``deps`` are reversed too). A step weighs what the state recorded
    of its last write, else its ``typical_seconds`` scaled to the target, and a deploy counts the waits steps leave
    after a dependency (``start_lags``). That time is the longest chain ahead, or the writes of one lock key
    (``keys``: step -> its lock keys) ahead, which run one at a time: the critical path gets the free slots and a
    lock key's next turn, and a step gating a long queue on another key goes before a longer chain."""
    declared = [s.name for s in (reversed(steps) if reverse else steps)]
    weight = {s.name: recorded.get(s.name, s.typical_seconds * time_scale) for s in steps}
    lag = {} if reverse else {(dep, s.name): seconds * time_scale for s in steps
                              for dep, seconds in s.start_lags().items()}
    serialized: dict[str, list[str]] = {}
    for name in declared:
        for key in keys.get(name, ()):
            serialized.setdefault(key, []).append(name)
    tail = schedule.tails(declared, deps, weight, lag, serialized)
    index = {name: i for i, name in enumerate(declared)}
    return sorted(declared, key=lambda name: (-tail[name], index[name]))


def _warm_desired(ctx: RunContext, step: Step) -> None:
    """Compute a recorded step's desired body alongside the early reads: the reads it makes besides its own
    resource's (Redis's listKeys for its password's fingerprint) are then one round trip with them, and their
    answer is what the step finds when it runs (``ctx.secrets``). The body itself is thrown away: it may rest on
    outputs the run has not read yet."""
    try:
        step.desired(ctx)
    except Exception as exc:  # unknown before apply, or an error the step's own run reports
        log.debug("early desired body of %s skipped: %s", step.name, exc)


def _closure(steps: list[Step]) -> dict[str, set[str]]:
    """Every step's transitive dependencies (the pipeline is declared in dependency order)."""
    upstream: dict[str, set[str]] = {}
    for step in steps:
        found: set[str] = set()
        for dep in step.depends_on:
            found |= {dep.name} | upstream.get(dep.name, set())
        upstream[step.name] = found
    return upstream


def _record_outputs(ctx: RunContext, step: Step, actual: Json) -> dict[str, str]:
    """The step's outputs from the live resource, for later steps and the state file."""
    outputs = {key: str(value) for key, value in step.outputs(ctx, actual).items()}
    ctx.set_outputs(step.name, outputs)
    return outputs
