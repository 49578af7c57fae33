"""The runner's scheduling, with small fake steps (plain ``Step`` classes over an in-memory world: no SDK, no
emulator): dependency order, the parallel bound, lock keys, failure isolation, resume from a continuation token,
timeouts.

No test here depends on how fast the machine is. Where a test needs two steps to be in flight together it makes them
meet at a barrier; where it needs a step to finish only after something else happened it waits on an event. Every
such wait has a bound (``WAIT``), but only a failing test ever reaches it. Several tests use the parallel bound as a
tool: with ``parallel=2`` and a free slot promised to a step that a blocked step waits for, a runner that broke
the rule under test would have to start the wrong step in that slot first, and the world records the violation.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from foundry_litellm import azure_ops
from foundry_litellm import config as config_module
from foundry_litellm.clients import Clients, Target
from foundry_litellm.config_template import TEMPLATE
from foundry_litellm.context import RunContext
from foundry_litellm.errors import ToolError
from foundry_litellm.names import Names
from foundry_litellm.runner import NOT_STARTED, Outcome, Runner, StepResult
from foundry_litellm.state import State, StateStore, now_iso
from foundry_litellm.step import Action, Step

Json = dict[str, Any]
WAIT = 10.0  # seconds: the bound of every wait below; a passing test never comes near it
SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"


# --- the fakes ------------------------------------------------------------------------------------------------------
class World:
    """The "Azure" of the fake steps: resource bodies by step name, and a journal of what ran when.

    ``enter`` / ``leave`` bracket a step's write (apply or delete). On entry the world checks the rules the runner
    must keep and records any breach in ``violations``: the steps this one must follow have all left, and no
    step sharing one of its lock keys is inside.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.bodies: dict[str, Json] = {}
        self.journal: list[tuple[str, str]] = []  # ("enter" | "leave", step)
        self.inside: dict[str, frozenset[str]] = {}  # step -> its lock keys, while it writes
        self.left: set[str] = set()
        self.peak = 0
        self.violations: list[str] = []

    def get(self, name: str) -> Json | None:
        with self._lock:
            body = self.bodies.get(name)
            return None if body is None else dict(body)

    def put(self, name: str, body: Json) -> None:
        with self._lock:
            self.bodies[name] = dict(body)

    def remove(self, name: str) -> None:
        with self._lock:
            self.bodies.pop(name, None)

    def enter(self, name: str, *, after: Iterable[str], keys: frozenset[str]) -> None:
        with self._lock:
            early = sorted(set(after) - self.left)
            if early:
                self.violations.append(f"{name} started before {', '.join(early)} finished")
            for other, other_keys in self.inside.items():
                if keys & other_keys:
                    self.violations.append(f"{name} started while {other} held {sorted(keys & other_keys)}")
            self.inside[name] = keys
            self.peak = max(self.peak, len(self.inside))
            self.journal.append(("enter", name))

    def leave(self, name: str) -> None:
        with self._lock:
            self.inside.pop(name, None)
            self.left.add(name)
            self.journal.append(("leave", name))

    def entered(self) -> list[str]:
        with self._lock:
            return [name for event, name in self.journal if event == "enter"]


Hook = Callable[[RunContext], None]


class FakeStep(Step):
    """A resource that is a dict in ``World``: read is a lookup, apply stores the desired body, delete drops it.

    ``during`` runs inside the write (between ``World.enter`` and ``World.leave``): a barrier, an event, an error.
    ``dependents`` (for destroy) are the steps that must be deleted before this one.
    """

    def __init__(self, world: World, name: str, *depends_on: FakeStep, keys: Iterable[str] = (),
                 during: Hook | None = None, dependents: Iterable[str] = (), typical: float = 10.0) -> None:
        self.world = world
        self.typical_seconds = typical
        self.name = name
        self.title = f"Fake {name}"
        self.depends_on = tuple(depends_on)
        self.keys = frozenset(keys)
        self.during = during
        self.dependents = tuple(dependents)
        self.applied = 0
        self.deleted = 0

    def resource_id(self, ctx: RunContext) -> str:
        return f"/fake/{self.name}"

    def lock_keys(self, ctx: RunContext) -> frozenset[str]:
        return self.keys

    def desired(self, ctx: RunContext) -> Json:
        return {"properties": {"step": self.name}}

    def read(self, ctx: RunContext) -> Json | None:
        return self.world.get(self.name)

    def apply(self, ctx: RunContext, desired: Json, actual: Json | None) -> Json | None:
        self.applied += 1
        self.world.enter(self.name, after=tuple(d.name for d in self.depends_on), keys=self.keys)
        try:
            if self.during is not None:
                self.during(ctx)
            body = {"id": self.resource_id(ctx), **desired}
            self.world.put(self.name, body)
        finally:
            self.world.leave(self.name)
        return body

    def delete(self, ctx: RunContext, actual: Json) -> None:
        self.deleted += 1
        self.world.enter(self.name, after=self.dependents, keys=self.keys)
        try:
            if self.during is not None:
                self.during(ctx)
            self.world.remove(self.name)
        finally:
            self.world.leave(self.name)

    def owned(self, ctx: RunContext, actual: Json) -> bool:
        return True


class FakePoller:
    """The poller of a long-running operation, as ``azure_ops.wait_for`` uses it. ``wait(timeout)`` returns at once:
    either the operation ends (``finish`` runs and its body is the result) or, with ``finish=None``, the whole
    timeout went by and the operation is still running. No real time passes either way."""

    def __init__(self, token: str, finish: Callable[[], Json] | None, *, error: Exception | None = None) -> None:
        self.token = token
        self.finish = finish
        self.error = error
        self.waits: list[float] = []
        self._done = False
        self._result: Json | None = None

    def continuation_token(self) -> str:
        return self.token

    def wait(self, timeout: float | None = None) -> None:
        self.waits.append(float(timeout or 0.0))
        if self.finish is not None or self.error is not None:
            self._done = True
            self._result = self.finish() if self.finish is not None else None

    def done(self) -> bool:
        return self._done

    def result(self) -> Json | None:
        if self.error is not None:
            raise self.error
        return self._result


class FakeClients(Clients):
    """The client factory, reduced to what the runner itself uses: re-attaching to an operation by its token.
    Steps here build no SDK client."""

    def __init__(self) -> None:
        super().__init__(Target.endpoint("https://emulator.invalid", None, emulator=True), SUBSCRIPTION)
        self.pollers: dict[str, FakePoller] = {}
        self.reattached: list[str] = []

    def get(self, name: str, subscription_id: str | None = None) -> Any:
        raise AssertionError(f"a fake step asked for the SDK client {name!r}")

    def reattach(self, token: str) -> Any:
        self.reattached.append(token)
        return self.pollers[token]


class Recorder:
    """The reporter (and the context's progress sink): what the runner said, and an event per finished step."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.started_what: list[tuple[str, str]] = []
        self.messages: list[tuple[str, str]] = []
        self.results: list[StepResult] = []
        self._finished: dict[str, threading.Event] = {}

    def finished_event(self, name: str) -> threading.Event:
        with self._lock:
            return self._finished.setdefault(name, threading.Event())

    def started(self, step: Step, what: str) -> None:
        with self._lock:
            self.started_what.append((step.name, what))

    def progress(self, step: Any, message: str) -> None:  # any step-like object (context.Managed) reports here
        with self._lock:
            self.messages.append((step.name, message))

    def finished(self, result: StepResult) -> None:
        with self._lock:
            self.results.append(result)
        self.finished_event(result.step).set()


class Harness:
    def __init__(self, tmp_path: Path) -> None:
        path = tmp_path / "foundry-litellm.toml"
        path.write_text(TEMPLATE)
        config = config_module.load(path, env={"AZURE_SUBSCRIPTION_ID": SUBSCRIPTION}, require_openai=False)
        self.world = World()
        self.steps: dict[str, FakeStep] = {}
        self.clients = FakeClients()
        self.reporter = Recorder()
        (tmp_path / "state").mkdir()
        self.state: State = StateStore(tmp_path / "state", config.environment).load(subscription_id=SUBSCRIPTION)
        self.ctx = RunContext(config, Names.of(config), self.clients, self.state, self.reporter,
                              sleep=lambda seconds: None)

    def step(self, name: str, *depends_on: str, **options: Any) -> FakeStep:
        """A fake step depending on steps made before it, named."""
        self.steps[name] = FakeStep(self.world, name, *(self.steps[d] for d in depends_on), **options)
        return self.steps[name]

    def runner(self, steps: list[FakeStep], *, parallel: int) -> Runner:
        return Runner(steps, self.ctx, self.reporter, parallel=parallel)


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return Harness(tmp_path)


def meet(barrier: threading.Barrier) -> Hook:
    """A ``during`` hook: wait at ``barrier`` (proves the steps meeting there were in flight together)."""

    def hook(ctx: RunContext) -> None:
        barrier.wait()

    return hook


def outcomes(results: list[StepResult]) -> dict[str, str]:
    return {r.step: r.outcome for r in results}


# --- dependency order -----------------------------------------------------------------------------------------------
def test_a_step_starts_only_after_its_dependencies_and_siblings_run_together(harness: Harness) -> None:
    # root -> left, right -> join; free depends on nothing. Two slots: root and free take them, and root does not
    # finish until free has started. A runner that started left before root finished would have given it free's
    # slot, and left would have entered while root was still writing.
    first, second = threading.Barrier(2, timeout=WAIT), threading.Barrier(2, timeout=WAIT)
    steps = [
        harness.step("root", during=meet(first)),
        harness.step("left", "root", during=meet(second)),
        harness.step("right", "root", during=meet(second)),  # siblings: in flight together
        harness.step("join", "left", "right"),
        harness.step("free", during=meet(first)),
    ]
    results = harness.runner(steps, parallel=2).deploy()

    assert outcomes(results) == dict.fromkeys(["root", "left", "right", "join", "free"], "created")
    assert harness.world.violations == []
    entered = harness.world.entered()
    assert entered.index("join") > max(entered.index("left"), entered.index("right")) > entered.index("root")
    assert [r.step for r in results] == ["root", "left", "right", "join", "free"]  # in declaration order
    assert harness.state.step("join")["status"] == "succeeded"
    assert harness.ctx.output_of(harness.steps["join"]) == {"id": "/fake/join"}


def test_destroy_deletes_dependents_before_what_they_depend_on(harness: Harness) -> None:
    # The same shape, torn down: join first, root last. free takes the second slot and join waits for it there;
    # a runner that deleted right before join had finished would have given right that slot.
    meeting = threading.Barrier(2, timeout=WAIT)
    steps = [
        harness.step("free", during=meet(meeting)),
        harness.step("root", dependents=("left", "right")),
        harness.step("left", "root", dependents=("join",)),
        harness.step("right", "root", dependents=("join",)),
        harness.step("join", "left", "right", during=meet(meeting)),
    ]
    for step in steps:
        harness.world.put(step.name, {"id": f"/fake/{step.name}"})
        harness.state.update_step(step.name, status="succeeded", resource_id=f"/fake/{step.name}")

    results = harness.runner(steps, parallel=2).destroy()

    assert outcomes(results) == dict.fromkeys(["free", "root", "left", "right", "join"], "deleted")
    assert harness.world.violations == []
    entered = harness.world.entered()
    assert entered.index("root") > max(entered.index("left"), entered.index("right")) > entered.index("join")
    assert harness.world.bodies == {}
    assert harness.state.data["steps"] == {}


def test_a_dependency_cycle_is_refused_before_anything_is_written(harness: Harness) -> None:
    steps = [harness.step("a"), harness.step("b", "a")]
    steps[0].depends_on = (steps[1],)  # a step can only name steps made before it: a cycle is made afterwards
    with pytest.raises(ToolError, match="cycle"):
        harness.runner(steps, parallel=2).deploy()
    assert harness.world.entered() == []


# --- the parallel bound ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("parallel", [1, 3])
def test_never_more_steps_in_flight_than_the_parallel_bound(harness: Harness, parallel: int) -> None:
    # Each step waits at a barrier of `parallel` parties: the bound is reached (or every step would wait forever),
    # and the world's peak count of steps inside a write shows it is never exceeded. (The runner bounds twice: its
    # scheduler and its pool's size; breaking one alone cannot show here, breaking both shows only by chance.)
    barrier = threading.Barrier(parallel, timeout=WAIT)
    steps = [harness.step(f"s{i}", during=meet(barrier)) for i in range(2 * parallel)]

    results = harness.runner(steps, parallel=parallel).deploy()

    assert {r.outcome for r in results} == {"created"}
    assert harness.world.peak == parallel
    assert harness.world.violations == []


# --- lock keys ------------------------------------------------------------------------------------------------------
def test_steps_sharing_a_lock_key_never_overlap(harness: Harness) -> None:
    # x and y share "vnet"; z has no key. Two slots: x and z take them, and x waits for z inside its write. A
    # runner that let y in beside x would have given y z's slot, and y would have entered while x held the key.
    meeting = threading.Barrier(2, timeout=WAIT)
    steps = [
        harness.step("x", keys={"vnet"}, during=meet(meeting)),
        harness.step("y", keys={"vnet"}),
        harness.step("z", during=meet(meeting)),  # no key: runs beside a key holder
    ]
    results = harness.runner(steps, parallel=2).deploy()

    assert outcomes(results) == {"x": "created", "y": "created", "z": "created"}
    assert harness.world.violations == []
    entered = harness.world.entered()
    journal = harness.world.journal
    assert journal.index(("enter", "y")) > journal.index(("leave", "x"))
    assert entered.index("z") < entered.index("y")


def test_lock_keys_do_not_serialize_reads(harness: Harness) -> None:
    # plan only reads: steps sharing a key are read in parallel (here both wait for each other inside `read`)
    meeting = threading.Barrier(2, timeout=WAIT)

    class Reading(FakeStep):
        def read(self, ctx: RunContext) -> Json | None:
            meeting.wait()
            return super().read(ctx)

    steps = [Reading(harness.world, name, keys={"vnet"}) for name in ("x", "y")]
    results = harness.runner(list(steps), parallel=2).plan()

    assert [(r.step, r.outcome, r.action) for r in results] == [("x", "planned", Action.CREATE),
                                                                 ("y", "planned", Action.CREATE)]
    assert harness.world.entered() == []  # nothing written


# --- critical path first ------------------------------------------------------------------------------------------
def test_a_free_slot_goes_to_the_longest_chain_ahead(harness: Harness) -> None:
    # One slot. quick is declared first, but head leads to a long step: head, then long_tail, then quick.
    steps = [harness.step("quick", typical=1), harness.step("head", typical=5),
             harness.step("long_tail", "head", typical=100)]
    harness.runner(steps, parallel=1).deploy()
    assert harness.world.entered() == ["head", "long_tail", "quick"]


def test_durations_the_state_recorded_outweigh_typical_ones(harness: Harness) -> None:
    harness.state.record_duration("quick", 500.0)  # a previous deploy timed it: not so quick
    steps = [harness.step("head", typical=5), harness.step("long_tail", "head", typical=100),
             harness.step("quick", typical=1)]
    harness.runner(steps, parallel=1).deploy()
    assert harness.world.entered() == ["quick", "head", "long_tail"]


def test_a_lock_key_goes_first_to_the_step_with_the_longest_chain_ahead(harness: Harness) -> None:
    # Slots to spare; a and b share a key. b leads to a long step, so b writes first, then a and long_tail.
    steps = [harness.step("a", keys={"account"}, typical=1), harness.step("b", keys={"account"}, typical=1),
             harness.step("long_tail", "b", typical=100)]
    harness.runner(steps, parallel=4).deploy()
    assert harness.world.entered()[0] == "b"
    assert harness.world.violations == []


def test_a_deferred_step_leaves_its_lock_key_and_slot_to_others(harness: Harness) -> None:
    # host heads the longer chain but may not start before other has written (as a capability host waits for its
    # roles to propagate): other, sharing its key, writes meanwhile in the only slot; the wait is said once.
    class Deferred(FakeStep):
        def not_before(self, ctx: RunContext) -> tuple[float, str]:
            if "other" in self.world.left:
                return 0.0, ""
            return time.time() + 3600, "waiting for other"

    host = Deferred(harness.world, "host", keys={"account"}, typical=100)
    steps = [host, harness.step("other", keys={"account"}, typical=1)]
    results = harness.runner(steps, parallel=1).deploy()

    assert outcomes(results) == {"host": "created", "other": "created"}
    assert harness.world.entered() == ["other", "host"]
    assert harness.reporter.messages == [("host", "waiting for other")]


def test_destroy_deletes_the_longest_chain_first(harness: Harness) -> None:
    # Deletion runs the graph backwards: base after both. Declared order would delete quick first (the reverse of
    # the declaration); slow's deletion heads the longer chain to base.
    base = harness.step("base", typical=100)
    steps = [base, harness.step("slow", "base", typical=50), harness.step("quick", "base", typical=1)]
    base.dependents = ("quick", "slow")
    for step in steps:
        harness.world.put(step.name, {"id": f"/fake/{step.name}"})
    harness.runner(steps, parallel=1).destroy()
    assert harness.world.entered() == ["slow", "quick", "base"]


# --- failure isolation ----------------------------------------------------------------------------------------------
def test_a_failed_step_skips_its_dependents_and_the_rest_goes_on(harness: Harness) -> None:
    slow_started = threading.Event()
    bad_finished = harness.reporter.finished_event("bad")

    def fail(ctx: RunContext) -> None:
        assert slow_started.wait(WAIT)  # fail while an independent step is in flight
        raise ToolError("the fake resource refused the write", hint="a hint for the user")

    def outlive_the_failure(ctx: RunContext) -> None:
        slow_started.set()
        assert bad_finished.wait(WAIT)  # the failure is recorded before this step ends: it is not cancelled

    steps = [
        harness.step("bad", keys={"k"}, during=fail),
        harness.step("child", "bad"),
        harness.step("grandchild", "child"),
        harness.step("slow", during=outlive_the_failure),
        harness.step("after_slow", "slow"),
        harness.step("same_key", keys={"k"}),  # a failure releases its lock keys
    ]
    results = {r.step: r for r in harness.runner(steps, parallel=4).deploy()}

    assert {name: r.outcome for name, r in results.items()} == {
        "bad": "failed", "child": "skipped", "grandchild": "skipped",
        "slow": "created", "after_slow": "created", "same_key": "created"}
    assert results["bad"].failed and results["bad"].error is not None
    assert results["bad"].error.message == "the fake resource refused the write"
    assert results["bad"].error.hint == "a hint for the user"
    assert isinstance(results["bad"].exception, ToolError)
    assert results["child"].note == "bad did not succeed"
    assert results["grandchild"].note == "child did not succeed"
    assert steps[1].applied == steps[2].applied == 0, "a skipped step must not write"
    assert harness.world.violations == []
    bad = harness.state.step("bad")
    assert bad["status"] == "failed" and bad["error"] == "the fake resource refused the write"
    assert harness.state.step("child") == {}  # never started: nothing recorded
    assert harness.state.step("after_slow")["status"] == "succeeded"


# --- resume from a continuation token -------------------------------------------------------------------------------
def _pending(harness: Harness, name: str, token: str, operation: str = "write") -> None:
    harness.state.update_step(name, status="in progress", pending={
        "operation": operation, "token": token, "resource_id": f"/fake/{name}", "since": now_iso()})


def test_a_pending_write_is_reattached_not_sent_again(harness: Harness) -> None:
    # A killed run left r's PUT in flight, its token in state. The re-run polls that operation (which then
    # completes: the resource appears) and, the resource matching what is desired, writes nothing.
    resumed = harness.step("r")
    after = harness.step("after", "r")

    def operation_completes() -> Json:
        body = {"id": "/fake/r", **resumed.desired(harness.ctx)}
        harness.world.put("r", body)
        return body

    harness.clients.pollers["tok-r"] = FakePoller("tok-r", operation_completes)
    _pending(harness, "r", "tok-r")

    results = {r.step: r for r in harness.runner([resumed, after], parallel=2).deploy()}

    assert harness.clients.reattached == ["tok-r"]
    assert len(harness.clients.pollers["tok-r"].waits) == 1
    assert resumed.applied == 0, "apply must not be called for an operation already in flight"
    assert results["r"].outcome == "unchanged" and results["after"].outcome == "created"
    assert ("r", "resuming") in harness.reporter.started_what
    entry = harness.state.step("r")
    assert entry["status"] == "succeeded" and entry["pending"] is None
    assert entry["outputs"] == {"id": "/fake/r"}


def test_a_pending_write_that_failed_is_written_again_once(harness: Harness) -> None:
    # The operation left in flight ended in failure: the token is dropped, the live read finds nothing, and the
    # step writes once.
    step = harness.step("r")
    harness.clients.pollers["tok-r"] = FakePoller("tok-r", None, error=ToolError("Conflict: the operation failed"))
    _pending(harness, "r", "tok-r")

    results = harness.runner([step], parallel=1).deploy()

    assert harness.clients.reattached == ["tok-r"]
    assert step.applied == 1
    assert outcomes(results) == {"r": "created"}
    assert any("the operation left in flight ended" in m for _, m in harness.reporter.messages)
    assert harness.state.step("r")["pending"] is None


# --- timeouts -------------------------------------------------------------------------------------------------------
class LongRunning(FakeStep):
    """A step whose write is a long-running operation that does not finish within the step's timeout."""

    create_timeout = 600.0

    def __init__(self, world: World, name: str, poller: FakePoller, **options: Any) -> None:
        super().__init__(world, name, **options)
        self.poller = poller

    def apply(self, ctx: RunContext, desired: Json, actual: Json | None) -> Json | None:
        self.applied += 1
        return ctx.run(self, "write", lambda **kw: self.poller, timeout=self.create_timeout)


def test_a_step_outliving_its_timeout_is_reported_and_its_dependents_skipped(harness: Harness) -> None:
    poller = FakePoller("tok-slow", None)  # never done: its wait uses up the whole timeout it is given
    slow = harness.steps["slow"] = LongRunning(harness.world, "slow", poller, keys={"vnet"})
    steps = [
        slow,
        harness.step("child", "slow"),
        harness.step("same_vnet", keys={"vnet"}),  # Azure still holds the lock: a write would only be refused
        harness.step("free"),
    ]
    results = {r.step: r for r in harness.runner(steps, parallel=4).deploy()}

    assert {name: r.outcome for name, r in results.items()} == {
        "slow": "failed", "child": "skipped", "same_vnet": "skipped", "free": "created"}
    timed_out = results["slow"]
    assert isinstance(timed_out.exception, azure_ops.OperationTimeout)
    assert timed_out.error is not None and "did not finish within its timeout" in timed_out.error.message
    assert timed_out.error.hint is not None and "re-attaches" in timed_out.error.hint
    # The wait was bounded by the step's own timeout (600 s against Azure), less what the call itself took.
    assert len(poller.waits) == 1 and 540.0 < poller.waits[0] <= 600.0
    assert results["child"].note == "slow did not succeed"
    assert results["same_vnet"].note == "slow's operation is still running in Azure"
    assert steps[1].applied == steps[2].applied == 0
    # The token stays: the next run re-attaches instead of writing again.
    entry = harness.state.step("slow")
    assert entry["status"] == "failed" and entry["pending"]["token"] == "tok-slow"
    assert slow.applied == 1


def _stop_during(stop: threading.Event) -> Hook:
    """A ``during`` hook: Ctrl-C pressed while this step writes."""

    def hook(ctx: RunContext) -> None:
        stop.set()

    return hook


def test_after_ctrl_c_the_step_in_flight_finishes_and_nothing_new_starts(harness: Harness) -> None:
    stop = threading.Event()
    steps = [harness.step("a", during=_stop_during(stop)), harness.step("b", "a")]
    runner = Runner(steps, harness.ctx, harness.reporter, parallel=4, stop=stop)
    results = {r.step: r for r in runner.deploy()}
    assert runner.interrupted
    assert results["a"].outcome is Outcome.CREATED
    assert results["b"].outcome is Outcome.SKIPPED and results["b"].note == NOT_STARTED
    assert harness.world.get("b") is None, "nothing new is written after Ctrl-C"
    assert harness.state.step("b") == {}


def test_ctrl_c_after_the_last_step_started_is_not_an_interruption(harness: Harness) -> None:
    """Every step finished: the run is complete (outputs printed, exit 0), whenever Ctrl-C came."""
    stop = threading.Event()
    steps = [harness.step("a"), harness.step("b", "a", during=_stop_during(stop))]
    runner = Runner(steps, harness.ctx, harness.reporter, parallel=4, stop=stop)
    assert {r.outcome for r in runner.deploy()} == {Outcome.CREATED}
    assert not runner.interrupted
