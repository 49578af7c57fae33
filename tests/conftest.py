"""Shared fixtures: every emulator in the test run is strict (request bodies checked against Azure's specs)."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT_SPECS = ROOT / "tests" / "specs"  # documents the shared copy lacks (tests/specs/SOURCES.md)


def overlay(base: Path, extra: Path) -> Path:
    """``base`` with the documents of ``extra`` beside its own, in a folder of this process (the shared files linked,
    so that relative ``$ref``s between the two resolve); ``base`` itself when it holds them already (a worker or a
    CLI subprocess handed the folder its parent made)."""
    docs = sorted(extra.rglob("*.json"))
    if not base.is_dir() or all((base / d.relative_to(extra)).is_file()
                                and (base / d.relative_to(extra)).read_bytes() == d.read_bytes() for d in docs):
        return base
    merged = Path(tempfile.mkdtemp(prefix="foundry-litellm-specs-"))
    atexit.register(shutil.rmtree, merged, ignore_errors=True)
    for file in sorted(base.rglob("*")):
        if file.is_file():
            target = merged / file.relative_to(base)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(file.resolve())
    for doc in docs:
        target = merged / doc.relative_to(extra)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        shutil.copyfile(doc, target)
    return merged


SPECS = overlay(Path(os.environ.get("FOUNDRY_LITELLM_EMULATOR_SPECS", ROOT.parent / "shared" / "azure-specs")),
                PROJECT_SPECS)
SUBSCRIPTION = "00000000-0000-0000-0000-0000000000aa"

# Strict mode for every emulator this test run starts, in-process or in a subprocess CLI.
os.environ["FOUNDRY_LITELLM_EMULATOR_STRICT"] = "1"
os.environ["FOUNDRY_LITELLM_EMULATOR_SPECS"] = str(SPECS)
# The emulator tests work in a subscription where every resource provider is registered; CLI workspaces drop
# this variable (tests/cli/conftest.py) and start from a new subscription, so deploy has to register them.
os.environ["FOUNDRY_LITELLM_EMULATOR_REGISTERED"] = "all"


def pytest_sessionstart(session: pytest.Session) -> None:
    if not SPECS.is_dir():
        raise pytest.UsageError(f"Azure specs not found at {SPECS}: strict emulator tests need them")


class FakeCredential:
    """Any bearer token is accepted by the emulator."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken("emulator-token", int(time.time()) + 3600)


@pytest.fixture
def credential() -> FakeCredential:
    return FakeCredential()


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Any]:
    from foundry_litellm.emulator import Emulator

    with Emulator(tmp_path / "emulator", time_scale=0.002) as emu:
        yield emu


@pytest.fixture
def sdk(emulator: Any, credential: FakeCredential) -> dict[str, Any]:
    """Keyword arguments that point an unmodified SDK client at the emulator."""
    return {"base_url": emulator.url, "connection_verify": str(emulator.ca_cert), "polling_interval": 0.02}
