"""The registries one forgets when adding a resource type fail here, loudly, before any CLI test runs: every step's
SDK client must be built by the client factory and mapped to its namespace for registration, and every type the
pipeline deploys must have an emulator provider."""

from __future__ import annotations

from pathlib import Path

import pytest

import steps
from foundry_litellm import clients, config
from foundry_litellm.config_template import TEMPLATE
from foundry_litellm.emulator.providers import registry
from foundry_litellm.step import ArmStep, Step
from steps.resource_provider import CLIENT_NAMESPACES

ENV = {"AZURE_SUBSCRIPTION_ID": "00000000-0000-0000-0000-000000000001", "OPENAI_API_KEY": "k" * 32,
       "OPENAI_API_BASE": "https://acct.openai.azure.com/"}
# Clients that manage no resource of their own namespace (subscription-wide registrations, role assignments).
NO_NAMESPACE = {"resource", "authorization"}


def every_step(tmp_path: Path) -> list[Step]:
    """The pipeline with every option on (what `retired` rebuilds), all projects included."""
    path = tmp_path / "c.toml"
    path.write_text(TEMPLATE.replace("# threat_protection = false", "threat_protection = true"))
    cfg = config.load(path, env={**ENV, "OPENAI_RESOURCE_ID": ""})
    return steps.pipeline(cfg) + steps.retired(cfg, {s.name for s in steps.pipeline(cfg)} | {
        "private_endpoint:foundry", "private_dns_zone_group:foundry"})


@pytest.fixture
def all_steps(tmp_path: Path) -> list[Step]:
    found = every_step(tmp_path)
    names = {s.name for s in found}
    assert {"postgres_threat_protection", "private_endpoint:foundry", "foundry_project:3"} <= names  # all on
    return found


def test_every_step_client_is_built_by_the_factory_and_registered(all_steps: list[Step]) -> None:
    for step in all_steps:
        sdk = getattr(step, "sdk", None)
        if sdk is None:
            continue
        assert sdk.client in clients._CLIENTS, f"{step.name}: client {sdk.client!r} missing in clients._CLIENTS"
        assert sdk.client in CLIENT_NAMESPACES or sdk.client in NO_NAMESPACE, \
            f"{step.name}: client {sdk.client!r} missing in steps/resource_provider.py CLIENT_NAMESPACES"


def test_every_deployed_type_has_an_emulator_provider(all_steps: list[Step]) -> None:
    served = registry()
    for step in all_steps:
        if isinstance(step, ArmStep) and step.arm_type:
            assert served.get(step.arm_type) is not None, f"{step.name}: no emulator provider for {step.arm_type}"


def test_a_step_that_derives_its_id_declares_its_type(all_steps: list[Step]) -> None:
    for step in all_steps:
        if isinstance(step, ArmStep) and type(step).resource_id is ArmStep.resource_id:
            assert step.arm_type, f"{step.name}: derives resource_id but declares no arm_type"


def test_state_bootstrap_steps_are_registered_too() -> None:
    from steps.state_storage import StateStorage, bootstrap_steps

    settings = StateStorage("00000000-0000-0000-0000-000000000001", "rg-state", "eastus", "flstate01", "state")
    served = registry()
    for step in bootstrap_steps(settings):
        sdk = getattr(step, "sdk", None)
        if sdk is not None:
            assert sdk.client in clients._CLIENTS and (sdk.client in CLIENT_NAMESPACES or sdk.client in NO_NAMESPACE)
        if isinstance(step, ArmStep) and step.arm_type:
            assert served.get(step.arm_type) is not None, f"{step.name}: no emulator provider for {step.arm_type}"
