"""The state file: atomic, private, locked."""

from __future__ import annotations

import json
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from foundry_litellm.errors import StateLocked, ToolError
from foundry_litellm.state import LOCAL_HISTORY, State, StateStore, parse


def test_state_is_written_with_mode_0600_and_reloads(tmp_path: Path) -> None:
    store = StateStore(tmp_path, "dev")
    state = store.load(subscription_id="s")
    state.update_step("virtual_network", status="succeeded", outputs={"id": "/x"})
    assert stat.S_IMODE((tmp_path / "dev.json").stat().st_mode) == 0o600
    again = StateStore(tmp_path, "dev").load()
    assert again.step("virtual_network")["outputs"] == {"id": "/x"}
    assert json.loads((tmp_path / "dev.json").read_text())["schema_version"] == 1
    assert not list(tmp_path.glob(".*.tmp")), "no temporary file may be left behind"


def test_a_second_holder_of_the_lock_is_refused(tmp_path: Path) -> None:
    first = StateStore(tmp_path, "dev")
    first.acquire()
    try:
        with pytest.raises(StateLocked):
            StateStore(tmp_path, "dev").acquire()
        StateStore(tmp_path, "other").acquire()  # another environment is independent
    finally:
        first.release()
    StateStore(tmp_path, "dev").acquire()


def test_a_corrupt_state_file_is_reported_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "dev.json").write_text("{not json")
    with pytest.raises(Exception, match="not valid JSON"):
        StateStore(tmp_path, "dev").load()
    assert (tmp_path / "dev.json").read_text() == "{not json"


def test_every_write_keeps_the_version_it_replaced_and_one_can_be_read_back(tmp_path: Path) -> None:
    store = StateStore(tmp_path, "dev")
    state = store.load(subscription_id="s")
    for index in range(3):
        state.update_step(f"step{index}", status="succeeded")
    versions = store.history()
    assert len(versions) == 2  # the first write replaced nothing
    newest = json.loads(store.read_version(versions[0].id))
    assert set(newest["steps"]) == {"step0", "step1"}  # the document as it was before the last write
    assert versions[0].saved_at >= versions[1].saved_at
    with pytest.raises(ToolError, match="no version"):
        store.read_version("../dev")


def test_local_history_is_bounded(tmp_path: Path) -> None:
    store = StateStore(tmp_path, "dev")
    state = store.load()
    for index in range(LOCAL_HISTORY + 5):
        state.update_step("step", status=str(index))
    assert len(store.history()) == LOCAL_HISTORY


@pytest.mark.parametrize("text", ["[1, 2, 3]", "{}", '{"schema_version": 2}', "null"])
def test_a_document_of_another_shape_is_one_clear_error(text: str) -> None:
    with pytest.raises(ToolError, match=r"schema version|not a foundry-litellm state"):
        parse(text, "somewhere")


# --- concurrent changes -----------------------------------------------------------------------------------------------
WAIT = 10.0  # seconds: the bound of every wait below; a passing test never comes near it


def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "the condition never came"
        time.sleep(0.001)


def test_changes_made_during_a_write_are_saved_together_by_the_next_one() -> None:
    # a's write is held; b and c change the document meanwhile and wait for their turn. One more write holds both:
    # each call returns only once the backend has its change, and no write is older than one before it.
    writes: list[dict[str, Any]] = []
    first_started, release = threading.Event(), threading.Event()

    def save(text: str) -> None:
        writes.append(json.loads(text))
        if len(writes) == 1:
            first_started.set()
            assert release.wait(WAIT)

    state = State({"steps": {}}, save)
    returned: dict[str, int] = {}

    def change(name: str) -> None:
        state.update_step(name, status="succeeded")
        returned[name] = len(writes)  # writes done when this change was reported saved

    a = threading.Thread(target=change, args=("a",))
    a.start()
    assert first_started.wait(WAIT)
    others = [threading.Thread(target=change, args=(n,)) for n in ("b", "c")]
    for thread in others:
        thread.start()
    _until(lambda: bool(state.step("b")) and bool(state.step("c")))  # both staged, both waiting for the write lock
    release.set()
    for thread in (a, *others):
        thread.join(WAIT)

    assert [sorted(w["steps"]) for w in writes] == [["a"], ["a", "b", "c"]]
    assert returned == {"a": 1, "b": 2, "c": 2}


def test_a_frozen_state_writes_nothing_more() -> None:
    writes: list[str] = []
    state = State({"steps": {}}, writes.append)
    state.update_step("a", status="succeeded")
    state.freeze()
    state.update_step("b", status="succeeded")
    state.record_duration("b", 1.0)
    assert len(writes) == 1


def test_an_update_that_restates_the_entry_writes_no_version(tmp_path: Path) -> None:
    """A step found as wanted (only its finished_at is new) and a key set to its value write nothing: a no-op run
    leaves the file and its history as they were."""
    store = StateStore(tmp_path, "dev")
    state = store.load(subscription_id="s")
    state.update_step("vnet", status="succeeded", outputs={"id": "/x"}, error=None, finished_at="t1")
    state.set("outputs", {"a": "1"})
    versions = len(store.history())
    text = (tmp_path / "dev.json").read_text()
    state.update_step("vnet", status="succeeded", outputs={"id": "/x"}, error=None, finished_at="t2")
    state.set("outputs", {"a": "1"})
    assert (len(store.history()), (tmp_path / "dev.json").read_text()) == (versions, text)
    state.update_step("vnet", status="succeeded", outputs={"id": "/y"}, error=None, finished_at="t3")
    state.update_step("vnet", pending=None)  # a field the entry lacks is news, even None
    assert len(store.history()) == versions + 2
    assert StateStore(tmp_path, "dev").load().step("vnet") == {
        "status": "succeeded", "outputs": {"id": "/y"}, "error": None, "finished_at": "t3", "pending": None}


def test_each_save_writes_exactly_what_one_dump_of_the_whole_document_would() -> None:
    # The renderer keeps each step entry's text between saves (re-rendering only the one that changed): whatever
    # the sequence of changes, the file must be the plain indented, key-sorted dump of the document.
    import random

    saved: list[str] = []
    state = State({"schema_version": 1, "environment": "dev", "steps": {}}, saved.append)
    rng = random.Random(7)
    names = [f"step:{i}" for i in range(12)] + ["é-unicode", "a\"quote"]
    for round_ in range(200):
        name = rng.choice(names)
        move = rng.random()
        if move < 0.6:
            state.update_step(name, status=rng.choice(["succeeded", "in progress"]), round=round_,
                              outputs={"id": f"/x/{round_}", "list": [1, {"b": None, "a": [True]}], "empty": {}},
                              pending=None if rng.random() < 0.5 else {"token": "t", "since": []})
        elif move < 0.75:
            state.drop_step(name)
        elif move < 0.9:
            state.record_duration(name, rng.random() * 100)
        else:
            state.set("note", {"round": round_, "z": [], "a": "ü"})
        assert saved[-1] == json.dumps(state.data, indent=2, sort_keys=True) + "\n"
    state.set("steps", {})
    assert saved[-1] == json.dumps(state.data, indent=2, sort_keys=True) + "\n"
