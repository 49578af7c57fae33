"""Fixtures for the emulator suite: SDK clients, a resource group, emulators with custom options."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.emulator.helpers import ServeProcess, clients


@pytest.fixture
def c(sdk: dict[str, Any], credential: Any) -> dict[str, Any]:
    """The SDK clients, keyed rm/net/dns/msi/la/ai, against the default emulator."""
    return clients(sdk, credential)


@pytest.fixture
def rg(c: dict[str, Any]) -> str:
    c["rm"].resource_groups.create_or_update("rg1", {"location": "eastus"})
    return "rg1"


@pytest.fixture
def admin(emulator: Any) -> Any:
    return emulator.admin


@pytest.fixture
def make_emulator(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Start an extra in-process emulator with its own options; stopped after the test."""
    from foundry_litellm.emulator import Emulator

    started: list[Any] = []

    def start(data_dir: Path | None = None, **options: Any) -> Any:
        emu = Emulator(data_dir or tmp_path / f"emu{len(started)}", **options).start()
        started.append(emu)
        return emu

    yield start
    for emu in started:
        emu.stop()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., ServeProcess]]:
    """Start ``emulator serve`` subprocesses; each is stopped after the test."""
    procs: list[ServeProcess] = []

    def start(*args: str, data_dir: Path | None = None, **kwargs: Any) -> ServeProcess:
        proc = ServeProcess(data_dir or tmp_path / "served", *args, **kwargs)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        proc.close()
