"""Paths through a weighted step graph (foundry_litellm/schedule.py): what the runner orders ready steps by and
the lower bound the deploy benchmark judges the runner against."""

from __future__ import annotations

from foundry_litellm.schedule import earliest_starts, one_machine, tails, tight_bound

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
