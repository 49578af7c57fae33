"""The state file: atomic, private, locked."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from foundry_litellm.errors import StateLocked
from foundry_litellm.state import StateStore


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
