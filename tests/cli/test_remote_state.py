"""Shared state in Azure Blob Storage, proven on the real Azurite: two working directories share one environment,
the lease is the lock (held for the whole run, refused to a second run anywhere, broken by `state unlock`), a lost
lease stops a run without overwriting anything, and every write leaves a version to roll back to."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import azurite

from .conftest import CONFIG, Workspace, make_workspace, path_key, served, writes

CONTAINER = "state"
SLOW = {"FOUNDRY_LITELLM_EMULATOR_TIME_SCALE": "0.05"}  # operations last 0.25-2 s: a run is caught in flight


@pytest.fixture(scope="module")
def blob_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[azurite.Azurite]:
    with azurite.running(tmp_path_factory.mktemp("azurite")) as service:
        yield service


def remote(service: azurite.Azurite, path: Path, *, lease_seconds: int = 60) -> Workspace:
    """A working directory whose config keeps the state on Azurite (a connection string from the environment)."""
    config = CONFIG + (f'\n[state]\nbackend = "azure_blob"\nstorage_account = "{azurite.ACCOUNT}"\n'
                       f'container = "{CONTAINER}"\nendpoint = "{service.endpoint}"\nlease_seconds = {lease_seconds}\n')
    ws = make_workspace(path, config)
    ws.env["FOUNDRY_LITELLM_STATE_CONNECTION_STRING"] = service.connection_string
    return ws


def blob(service: azurite.Azurite, *, snapshot: str | None = None) -> Any:
    container: Any = service.container(CONTAINER)
    return container.get_blob_client("test.json", snapshot=snapshot)


def document(service: azurite.Azurite) -> dict[str, Any]:
    text = blob(service).download_blob().readall()
    return json.loads(text) if text else {}


def leased(service: azurite.Azurite) -> bool:
    try:
        return bool(blob(service).get_blob_properties().lease.state == "leased")
    except Exception:  # not created yet
        return False


def wait_for(condition: Any, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout  # reached only by a failing test
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def clean(blob_service: azurite.Azurite) -> azurite.Azurite:
    """Each test starts without a state blob (the module shares one Azurite)."""
    container: Any = blob_service.container(CONTAINER)
    for item in container.list_blobs(include=["snapshots"]):
        from azure.storage.blob import BlobLeaseClient

        client = container.get_blob_client(item.name, snapshot=item.snapshot)
        if item.snapshot is None and client.get_blob_properties().lease.state == "leased":
            BlobLeaseClient(client).break_lease(lease_break_period=0)
    for item in container.list_blobs():
        container.delete_blob(item.name, delete_snapshots="include")
    return blob_service


def test_a_second_working_directory_with_no_local_files_sees_and_destroys_the_environment(
        clean: azurite.Azurite, tmp_path: Path) -> None:
    first, second = remote(clean, tmp_path / "laptop"), remote(clean, tmp_path / "ci-runner")
    with served(first) as srv:
        deployed = first.run("deploy", *srv.endpoint, "--yes", "-o", "json")
        assert deployed.returncode == 0, deployed.stderr
        assert not (first.state_dir / "test.json").exists(), "the state went to the blob, not the file"
        state = document(clean)
        assert state["steps"]["virtual_network"]["status"] == "succeeded"
        assert not leased(clean), "the lease is released when the run ends"

        status = second.run("status", *srv.endpoint, "-o", "json")
        assert status.returncode == 0, status.stderr
        assert {s["outcome"] for s in json.loads(status.stdout)["steps"]} == {"in sync"}
        plan = second.run("deploy", *srv.endpoint, "--plan", "--detailed-exitcode")
        assert plan.returncode == 0, plan.stderr + plan.stdout  # nothing to change, seen from the other directory
        outputs = json.loads(second.run("outputs", "-o", "json").stdout)
        assert outputs["resource_group"] == "rg-fl-test"

        destroyed = second.run("destroy", *srv.endpoint, "--yes", "-o", "json")
        assert destroyed.returncode == 0, destroyed.stderr
        assert not (second.state_dir / "test.json").exists()
        left = document(clean)["steps"]  # registrations are subscription-wide: destroy keeps them
        assert left and all(name.startswith("resource_provider:") for name in left), sorted(left)
        assert not [r for r in srv.admin.resources() if "/resourcegroups/rg-fl-test/" in r["id"].lower()]


def test_a_second_run_anywhere_is_refused_with_the_holders_details(clean: azurite.Azurite, tmp_path: Path) -> None:
    first, second = remote(clean, tmp_path / "one"), remote(clean, tmp_path / "two")
    with served(first, time_scale=SLOW["FOUNDRY_LITELLM_EMULATOR_TIME_SCALE"]) as srv:
        running = first.popen("deploy", *srv.endpoint, "--yes")
        try:
            wait_for(lambda: leased(clean), "the first deploy to hold the lease")
            refused = second.run("deploy", *srv.endpoint, "--yes", timeout=60)
            assert refused.returncode == 3, refused.stderr
            holder = blob(clean).get_blob_properties().metadata
            assert "is locked by" in refused.stderr and "deploy since" in refused.stderr
            assert holder["lockid"] in refused.stderr and holder["lockhost"] in refused.stderr
            assert f"state unlock {holder['lockid']}" in refused.stderr  # the hint names the way out
        finally:
            running.kill()
            running.wait(timeout=10)


def test_a_killed_deploy_keeps_the_lock_until_unlocked_then_resumes_without_a_second_put(
        clean: azurite.Azurite, tmp_path: Path) -> None:
    ws = remote(clean, tmp_path / "ws")
    with served(ws, time_scale=SLOW["FOUNDRY_LITELLM_EMULATOR_TIME_SCALE"]) as srv:
        proc = ws.popen("deploy", *srv.endpoint, "--yes")

        def in_flight() -> dict[str, str]:
            steps = (document(clean) if leased(clean) else {}).get("steps") or {}
            return {n: path_key(s["pending"]["resource_id"]) for n, s in steps.items()
                    if (s.get("pending") or {}).get("token")}

        wait_for(lambda: len(in_flight()) >= 2, "operations in flight")
        pending = in_flight()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

        # The lease outlives the killed run (60 s): a re-run is refused, with the lock id to break it.
        refused = ws.run("deploy", *srv.endpoint, "--yes", timeout=60)
        assert refused.returncode == 3, refused.stderr
        lock_id = blob(clean).get_blob_properties().metadata["lockid"]
        wrong = ws.run("state", "unlock", "00000000-not-the-holder", "--yes")
        assert wrong.returncode == 1 and "does not match" in wrong.stderr
        unlocked = ws.run("state", "unlock", lock_id, "--yes")
        assert unlocked.returncode == 0, unlocked.stderr
        assert not leased(clean)

        rerun = ws.run("deploy", *srv.endpoint, "--yes", "-o", "json")
        assert rerun.returncode == 0, rerun.stderr
        # accepted ones: a PUT refused (PrincipalNotFound while Entra replicates a new identity) landed nothing
        puts: dict[str, int] = {}
        for entry in srv.log():
            if entry["method"] == "PUT" and entry["status"] < 300:
                puts[path_key(entry)] = puts.get(path_key(entry), 0) + 1
        for step, resource in pending.items():
            assert puts.get(resource) == 1, f"{step}: {puts.get(resource)} PUTs of an operation in flight"
        assert all(count == 1 for count in puts.values()), {k: v for k, v in puts.items() if v > 1}


def test_a_run_whose_lease_is_broken_stops_and_overwrites_nothing(clean: azurite.Azurite, tmp_path: Path) -> None:
    from azure.storage.blob import BlobLeaseClient

    ws = remote(clean, tmp_path / "ws", lease_seconds=15)
    with served(ws, time_scale=SLOW["FOUNDRY_LITELLM_EMULATOR_TIME_SCALE"]) as srv:
        proc = ws.popen("deploy", *srv.endpoint, "--yes")
        try:
            wait_for(lambda: len(document(clean).get("steps") or {}) >= 5 if leased(clean) else False,
                     "the deploy to record some steps")
            # Someone breaks the lock and takes the state over: the running deploy must never write over them.
            client = blob(clean)
            BlobLeaseClient(client).break_lease(lease_break_period=0)
            theirs = client.acquire_lease(lease_duration=-1)
            taken_over = json.dumps({"schema_version": 1, "environment": "test", "steps": {}, "taken": "over"})
            client.upload_blob(taken_over.encode(), overwrite=True, lease=theirs)
            _, stderr = proc.communicate(timeout=180)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        assert proc.returncode == 1, stderr
        assert "lease" in stderr and "another run may hold the state now" in stderr
        assert client.download_blob().readall().decode() == taken_over
        theirs.release()


def test_a_corrupted_remote_state_is_rolled_back_to_its_previous_version(clean: azurite.Azurite,
                                                                        tmp_path: Path) -> None:
    ws = remote(clean, tmp_path / "ws")
    with served(ws) as srv:
        assert ws.run("deploy", *srv.endpoint, "--yes", "-o", "json").returncode == 0
        good = blob(clean).download_blob().readall().decode()
        blob(clean).upload_blob(b"{ truncated", overwrite=True)  # a bad hand edit, a broken tool

        broken = ws.run("status", *srv.endpoint)
        assert broken.returncode == 1 and "not valid JSON" in broken.stderr and "state history" in broken.stderr
        history = json.loads(ws.run("state", "history", "-o", "json").stdout)
        assert len(history) > 10  # a snapshot per write (Azurite has no versioning)
        newest = history[0]["version"]
        assert newest.startswith("snapshot:")
        assert blob(clean, snapshot=newest.partition(":")[2]).download_blob().readall().decode() == good

        refused = ws.run("state", "rollback", "snapshot:1999-01-01T00:00:00.0000000Z", "--yes")
        assert refused.returncode == 1 and "no version" in refused.stderr
        rolled = ws.run("state", "rollback", newest, "--yes")
        assert rolled.returncode == 0, rolled.stderr
        assert blob(clean).download_blob().readall().decode() == good
        status = ws.run("status", *srv.endpoint, "-o", "json")
        assert status.returncode == 0, status.stderr
        assert {s["outcome"] for s in json.loads(status.stdout)["steps"]} == {"in sync"}


def test_migrate_moves_the_state_both_ways_byte_for_byte(clean: azurite.Azurite, tmp_path: Path) -> None:
    ws = remote(clean, tmp_path / "ws")
    local = {"FOUNDRY_LITELLM_STATE_BACKEND": "local"}
    assert ws.run("--state-backend", "local", "deploy", "--emulator", "--yes").returncode == 0  # the flag
    original = (ws.state_dir / "test.json").read_bytes()

    there = ws.run("state", "migrate", "--to", "azure_blob", "--yes", extra_env=local)
    assert there.returncode == 0, there.stderr
    assert blob(clean).download_blob().readall() == original
    listed = json.loads(ws.run("state", "list", "-o", "json").stdout)  # the config's backend: azure_blob
    assert {r["step"] for r in listed} >= {"virtual_network", "litellm_app"}

    (ws.state_dir / "test.json").unlink()
    back = ws.run("state", "migrate", "--to", "local", "--yes")
    assert back.returncode == 0, back.stderr
    assert (ws.state_dir / "test.json").read_bytes() == original
    pulled = ws.run("state", "pull")
    assert pulled.stdout.encode() == original


def test_bootstrap_creates_the_state_storage_once_and_prints_the_section_to_paste(workspace: Workspace) -> None:
    (workspace.path / "foundry-litellm.toml").write_text(CONFIG + '\n[state]\nstorage_account = "stflteststate"\n')
    first = workspace.run("state", "bootstrap", "--emulator")
    assert first.returncode == 0, first.stderr
    section = first.stdout[first.stdout.index("[state]"):]
    assert 'backend = "azure_blob"' in section and 'storage_account = "stflteststate"' in section
    assert 'resource_group = "rg-fl-test-state"' in section  # never the deployment's own group
    assert "Storage Blob Data Contributor" in first.stderr and "/containers/foundry-litellm-state" in first.stderr
    account = [e for e in writes(workspace.requests()) if path_key(e).endswith("/storageaccounts/stflteststate")]
    assert len(account) == 1 and account[0]["body"]["properties"]["allowSharedKeyAccess"] is False

    seen = len(workspace.requests())
    again = workspace.run("state", "bootstrap", "--emulator", "-o", "json")
    assert again.returncode == 0, again.stderr
    assert {s["outcome"] for s in json.loads(again.stdout)["steps"]} == {"unchanged"}
    assert writes(workspace.requests()[seen:]) == []

    (workspace.path / "foundry-litellm.toml").write_text(CONFIG + "\n" + section)  # pasted as printed
    assert workspace.run("validate").returncode == 0
