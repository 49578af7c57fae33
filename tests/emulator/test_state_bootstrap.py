"""``state bootstrap``'s steps through the runner against the embedded emulator: the first run creates the state's
group, account, blob service settings and container with the bodies the state needs; a second run sends no write."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from foundry_litellm import config as config_module
from foundry_litellm.clients import Clients, Target
from foundry_litellm.config_template import TEMPLATE
from foundry_litellm.context import RunContext
from foundry_litellm.errors import ConfigError
from foundry_litellm.names import Names
from foundry_litellm.ownership import OWNER_TAG, OWNER_VALUE
from foundry_litellm.runner import Outcome, Runner, StepResult
from foundry_litellm.state import StateStore
from foundry_litellm.step import Action, Step
from steps.state_storage import StateContainer, StateStorage, StateStorageAccount, bootstrap_steps
from tests.conftest import SUBSCRIPTION

SETTINGS = StateStorage(subscription_id=SUBSCRIPTION, resource_group="rg-state", location="eastus",
                        storage_account="flstate01", container="state")
WRITES = ("PUT", "PATCH", "DELETE", "POST")


class Quiet:
    """The reporter: the results, nothing printed."""

    def started(self, step: Step, what: str) -> None: ...

    def progress(self, step: Any, message: str) -> None: ...

    def finished(self, result: StepResult) -> None: ...


def run(emulator: Any, tmp_path: Path, mode: str = "deploy") -> tuple[list[StepResult], RunContext]:
    path = tmp_path / "foundry-litellm.toml"
    path.write_text(TEMPLATE)
    config = config_module.load(path, env={"AZURE_SUBSCRIPTION_ID": SUBSCRIPTION}, require_openai=False)
    state_dir = tmp_path / "state"
    state_dir.mkdir(exist_ok=True)
    state = StateStore(state_dir, config.environment).load(subscription_id=SUBSCRIPTION)
    target = Target.endpoint(emulator.url, str(emulator.ca_cert), emulator=True, time_scale=0.002)
    ctx = RunContext(config, Names.of(config), Clients(target, SUBSCRIPTION), state, Quiet(), time_scale=0.002)
    runner = Runner(bootstrap_steps(SETTINGS), ctx, Quiet())
    return getattr(runner, mode)(), ctx


def writes(emulator: Any, since: int = 0) -> list[dict[str, Any]]:
    return [e for e in emulator.admin.requests(since) if e["method"] in WRITES]


def bodies(emulator: Any, path_end: str) -> list[Any]:
    return [e for e in writes(emulator) if e["path"].lower().endswith(path_end.lower())]


def test_bootstrap_creates_the_state_storage_then_sends_no_write(emulator: Any, tmp_path: Path) -> None:
    results, ctx = run(emulator, tmp_path)
    assert not [r for r in results if r.failed], [(r.step, r.error) for r in results if r.failed]
    outcomes = {r.step: r.outcome for r in results}
    assert outcomes["state_storage_account"] is Outcome.CREATED
    assert outcomes["state_container"] is Outcome.CREATED

    admin = emulator.admin
    (account_put,) = bodies(emulator, "/storageAccounts/flstate01")
    account = account_put["body"]
    assert account["sku"] == {"name": "Standard_LRS"} and account["kind"] == "StorageV2"
    assert account["properties"] == {"minimumTlsVersion": "TLS1_2", "allowBlobPublicAccess": False,
                                     "allowSharedKeyAccess": False, "supportsHttpsTrafficOnly": True}
    assert account["tags"][OWNER_TAG] == OWNER_VALUE
    (service_put,) = bodies(emulator, "/flstate01/blobServices/default")
    assert service_put["status"] == 200
    assert service_put["body"] == {"properties": {
        "isVersioningEnabled": True, "deleteRetentionPolicy": {"enabled": True, "days": 7},
        "containerDeleteRetentionPolicy": {"enabled": True, "days": 7}}}
    (container_put,) = bodies(emulator, "/blobServices/default/containers/state")
    assert container_put["status"] == 201 and container_put["body"] == {"properties": {"publicAccess": "None"}}
    (group_put,) = bodies(emulator, "/resourceGroups/rg-state")
    assert group_put["body"]["location"] == "eastus"
    assert all("/resourcegroups/rg-state" in e["path"].lower() or "/providers/microsoft.storage/register" in
               e["path"].lower() for e in writes(emulator)), "a write outside the state's group"

    account_id = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-state/providers/Microsoft.Storage/" \
                 "storageAccounts/flstate01"
    live = {r["id"].lower(): r for r in admin.resources()}
    assert live[account_id.lower()]["properties"]["allowSharedKeyAccess"] is False
    assert live[f"{account_id}/blobServices/default".lower()]["properties"]["isVersioningEnabled"] is True

    container_out = ctx.output_of(StateContainer(SETTINGS))
    assert container_out["url"] == "https://flstate01.blob.core.windows.net/state"
    assert ctx.output_of(StateStorageAccount(SETTINGS))["id"].lower() == account_id.lower()

    before = len(admin.requests())
    again, _ = run(emulator, tmp_path)
    assert {r.outcome for r in again} == {Outcome.UNCHANGED}, [(r.step, r.outcome, r.changes) for r in again]
    assert writes(emulator, before) == []


def test_bootstrap_repairs_settings_changed_by_hand(emulator: Any, tmp_path: Path, sdk: dict[str, Any],
                                                   credential: Any) -> None:
    from azure.mgmt.storage import StorageManagementClient

    from foundry_litellm.azure_ops import body_bytes, raw

    run(emulator, tmp_path)
    st = StorageManagementClient(credential, SUBSCRIPTION, **sdk)
    st.blob_services.set_service_properties("rg-state", "flstate01", body_bytes(
        {"properties": {"isVersioningEnabled": False}}), cls=raw)
    st.storage_accounts.update("rg-state", "flstate01", body_bytes(  # as `az storage account update` does: PATCH
        {"properties": {"allowSharedKeyAccess": True}}), cls=raw)
    before = len(emulator.admin.requests())
    results, _ = run(emulator, tmp_path)
    outcomes = {r.step: r.outcome for r in results}
    assert outcomes["state_blob_service"] is Outcome.UPDATED
    assert outcomes["state_storage_account"] is Outcome.UPDATED
    assert outcomes["state_container"] is Outcome.UNCHANGED
    assert sorted(e["path"].rsplit("/", 1)[-1] for e in writes(emulator, before)) == ["default", "flstate01"]
    service = st.blob_services.get_service_properties("rg-state", "flstate01", cls=raw)
    assert service["properties"]["isVersioningEnabled"] is True
    props = st.storage_accounts.get_properties("rg-state", "flstate01", cls=raw)["properties"]
    assert props["allowSharedKeyAccess"] is False


def test_plan_before_bootstrap_writes_nothing_and_destroy_removes_it_all(emulator: Any, tmp_path: Path) -> None:
    planned, _ = run(emulator, tmp_path, "plan")
    assert {r.step: r.action for r in planned if r.step.startswith("state_")} == {
        "state_resource_group": Action.CREATE, "state_storage_account": Action.CREATE,
        "state_blob_service": Action.CREATE, "state_container": Action.CREATE}
    assert writes(emulator) == []
    run(emulator, tmp_path)
    destroyed, _ = run(emulator, tmp_path, "destroy")
    assert not [r for r in destroyed if r.failed], [(r.step, r.error) for r in destroyed if r.failed]
    assert [r["id"] for r in emulator.admin.resources() if "rg-state" in r["id"].lower()] == []


@pytest.mark.parametrize(("field", "value"), [
    ("storage_account", "Has-Upper"), ("storage_account", "ab"), ("storage_account", "a" * 25),
    ("container", "two--hyphens"), ("container", "-lead"), ("container", "x" * 64), ("container", "ab"),
    ("resource_group", "ends-with."), ("resource_group", ""), ("location", ""), ("location", "atlantis"),
])
def test_settings_refuse_names_azure_refuses(field: str, value: str) -> None:
    with pytest.raises(ConfigError) as err:
        dataclasses.replace(SETTINGS, **{field: value})
    assert err.value.field == f"state.{field}"


def test_settings_take_a_region_display_name() -> None:
    assert dataclasses.replace(SETTINGS, location="East US").location == "eastus"


@pytest.mark.parametrize("field", ["storage_account", "container"])
def test_settings_are_frozen(field: str) -> None:
    with pytest.raises(AttributeError):
        setattr(SETTINGS, field, "other")
