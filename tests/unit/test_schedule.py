"""Paths through a weighted step graph (foundry_litellm/schedule.py): what the runner orders ready steps by and
the lower bound the deploy benchmark judges the runner against."""

from __future__ import annotations

import pytest

from foundry_litellm.runner import priority_order
from foundry_litellm.schedule import earliest_starts, one_machine, tails, tight_bound
from foundry_litellm.step import Step

# a -> b -> d, a -> c -> d; e alone
ORDER = ["a", "b", "c", "d", "e"]
DEPS = {"b": ["a"], "c": ["a"], "d": ["b", "c"]}
WEIGHT = {"a": 1.0, "b": 5.0, "c": 2.0, "d": 1.0, "e": 3.0}


def test_earliest_start_is_the_longest_chain_of_dependencies() -> None:
    assert earliest_starts(ORDER, DEPS, WEIGHT) == {"a": 0.0, "b": 1.0, "c": 1.0, "d": 6.0, "e": 0.0}


def test_tail_is_own_duration_plus_the_longest_chain_after() -> None:
    assert tails(ORDER, DEPS, WEIGHT) == {"a": 7.0, "b": 6.0, "c": 3.0, "d": 1.0, "e": 3.0}


def test_a_lag_after_a_dependency_lengthens_the_tails_before_it() -> None:
    # c must wait 10 after a ends (a role's propagation before a capability host): a's chain through c is the
    # longest now (1 + 10 + 2 + 1); the lag belongs to the edge, so c's own tail is unchanged.
    tail = tails(ORDER, DEPS, WEIGHT, {("a", "c"): 10.0})
    assert tail == {"a": 14.0, "b": 6.0, "c": 3.0, "d": 1.0, "e": 3.0}


def test_an_unweighted_step_weighs_nothing() -> None:
    assert tails(["x", "y"], {"y": ["x"]}, {"y": 2.0}) == {"x": 2.0, "y": 2.0}


def test_one_machine_runs_jobs_by_release_and_waits_for_a_late_one() -> None:
    # released at 0 (2 long), at 1 (3 long), at 10 (1 long): 0-2, 2-5, idle, 10-11
    assert one_machine([(10.0, 1.0), (1.0, 3.0), (0.0, 2.0)]) == 11.0
    assert one_machine([]) == 0.0


def test_tight_bound_is_the_critical_path_without_serialized_sets() -> None:
    assert tight_bound(ORDER, DEPS, WEIGHT, {}) == (7.0, "critical path")


def test_tight_bound_serializes_the_steps_of_one_key_from_their_earliest_starts() -> None:
    # b (released 1, 5 long) and c (released 1, 2 long) one at a time: 1 + 5 + 2 = 8, then d: the serialized set
    # alone ends at 8, beyond the critical path's 7. e shares a key with a: a 0-1, e 1-4.
    bound = tight_bound(ORDER, DEPS, WEIGHT, {"account": ["b", "c"], "vnet": ["a", "e"]})
    assert bound == (8.0, "account")


def test_a_lag_after_a_dependency_delays_the_step_and_the_bound() -> None:
    # d may start only 4 after c ends (as a capability host after its roles propagate): 1 + 2 + 4 = 7, end 8
    lag = {("c", "d"): 4.0}
    assert earliest_starts(ORDER, DEPS, WEIGHT, lag)["d"] == 7.0
    assert tight_bound(ORDER, DEPS, WEIGHT, {}, lag) == (8.0, "critical path")


# Two private endpoints (one at a time under the VNet's key) ready together. The apps' gates the longest chain
# (app, gateway: 5.0 from its start); the search one gates a DNS zone group, then three capability hosts that write
# one at a time under the account's key (one host and its role: only 3.2 as a chain, but 8.5 in fact).
GATED = ["pe_apps", "pe_search", "app", "gateway", "group", "host1", "host2", "host3", "role"]
GATED_DEPS = {"app": ["pe_apps"], "gateway": ["app"], "group": ["pe_search"],
              "host1": ["group"], "host2": ["group"], "host3": ["group"], "role": ["host1"]}
GATED_WEIGHT = {"pe_apps": 0.3, "pe_search": 0.3, "app": 1.5, "gateway": 3.2, "group": 0.1,
                "host1": 2.7, "host2": 2.7, "host3": 2.7, "role": 0.1}
LOCKS = {"vnet": ["pe_apps", "pe_search", "group"], "account": ["host1", "host2", "host3"]}


def test_a_step_gating_a_queue_on_one_key_outranks_a_longer_chain() -> None:
    chains = tails(GATED, GATED_DEPS, GATED_WEIGHT)
    assert chains["pe_apps"] > chains["pe_search"]  # what the chains alone say: 5.0 against 3.2
    tail = tails(GATED, GATED_DEPS, GATED_WEIGHT, serialized=LOCKS)
    # the group, then the three hosts one after another (0.1 + 3 * 2.7), after the endpoint itself
    assert tail["group"] == pytest.approx(8.2)
    assert tail["pe_search"] == pytest.approx(8.5)
    assert tail["pe_apps"] == pytest.approx(5.0)  # its queue on the VNet's key is itself alone: the chain holds


def test_keys_no_two_steps_share_leave_the_tails_to_the_chains() -> None:
    # a step's queue on its own key is itself, on another key one step that waits for it: a chain already counts it
    lag = {("a", "c"): 10.0}
    assert tails(ORDER, DEPS, WEIGHT, lag, {name: [name] for name in ORDER}) == tails(ORDER, DEPS, WEIGHT, lag)
    own = {name: [name] for name in GATED}
    assert tails(GATED, GATED_DEPS, GATED_WEIGHT, serialized=own) == tails(GATED, GATED_DEPS, GATED_WEIGHT)


def test_a_step_of_the_key_it_gates_counts_once() -> None:
    # x (1) gates y (2) and z (3), all three under one key, side by side in the graph: 1 + 2 + 3, x not twice
    tail = tails(["x", "y", "z"], {"y": ["x"], "z": ["x"]}, {"x": 1.0, "y": 2.0, "z": 3.0},
                 serialized={"k": ["x", "y", "z"]})
    assert tail == {"x": 6.0, "y": 2.0, "z": 3.0}


class _Timed(Step):
    def __init__(self, name: str, seconds: float, *depends_on: Step) -> None:
        self.name, self.typical_seconds, self.depends_on = name, seconds, depends_on


def test_priority_order_queues_the_steps_by_their_lock_keys() -> None:
    made: dict[str, Step] = {}
    for name in GATED:
        made[name] = _Timed(name, GATED_WEIGHT[name], *(made[d] for d in GATED_DEPS.get(name, ())))
    steps = list(made.values())
    deps = {name: set(GATED_DEPS.get(name, ())) for name in GATED}
    keys = {name: frozenset(k for k, names in LOCKS.items() if name in names) for name in GATED}
    unkeyed = priority_order(steps, deps, {}, 1.0, {})
    assert unkeyed.index("pe_apps") < unkeyed.index("pe_search")
    keyed = priority_order(steps, deps, {}, 1.0, keys)
    assert keyed.index("pe_search") < keyed.index("pe_apps")
