"""Fixtures of the Foundry-tier emulator tests: their clients include Cognitive Services and Cosmos DB."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.foundry_support import LOCATION, foundry_clients


@pytest.fixture
def c(sdk: dict[str, Any], credential: Any) -> dict[str, Any]:
    return foundry_clients(sdk, credential)


@pytest.fixture
def rg(c: dict[str, Any]) -> str:
    c["rm"].resource_groups.create_or_update("rg1", {"location": LOCATION})
    return "rg1"
