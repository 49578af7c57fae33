"""The data and secrets tier: generated secrets stay put, secret values never leak, vaults recover and purge."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from azure.mgmt.msi import ManagedServiceIdentityClient

from foundry_litellm.emulator import Emulator
from tests.conftest import SUBSCRIPTION, FakeCredential

from .conftest import TIME_SCALE, Workspace, outcomes_of_first_deploy, writes

SECRET_PATH = "/providers/microsoft.keyvault/vaults/"


def _secret_puts(entries: list[dict[str, Any]]) -> dict[str, str]:
    """Secret name -> value, from the bodies the emulator logged verbatim."""
    values = {}
    for entry in entries:
        if entry["method"] == "PUT" and "/secrets/" in entry["path"].lower():
            values[entry["path"].rsplit("/", 1)[-1]] = entry["body"]["properties"]["value"]
    return values


SECRET_KEYS = {"value", "key", "sharedKey", "connectionString", "administratorLoginPassword", "password"}


def _walk_secrets(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in SECRET_KEYS and isinstance(value, str) and len(value) >= 16:
                found.add(value)
            _walk_secrets(value, found)
    elif isinstance(node, list):
        for item in node:
            _walk_secrets(item, found)


def _all_secret_values(workspace: Workspace) -> set[str]:
    """Every credential the tool sent: Key Vault secrets, the PostgreSQL password, connection credentials,
    the workspace's shared key, the Application Insights connection string, the certificate's PFX."""
    found: set[str] = set()
    for entry in workspace.requests():
        if entry["method"] in ("PUT", "PATCH") and "body" in entry and "/containerapps/" not in entry["path"].lower():
            _walk_secrets(entry["body"], found)
    found.add(workspace.env["OPENAI_API_KEY"])
    return found


def test_secrets_are_generated_once_and_never_leak(workspace: Workspace) -> None:
    deploy = workspace.run("deploy", "--emulator", "--yes", "--debug", "-o", "json")
    assert deploy.returncode == 0, deploy.stderr
    written = _secret_puts(workspace.requests())
    assert set(written) == {"openai-api-key", "litellm-master-key", "litellm-salt-key", "litellm-ui-password",
                            "postgres-admin-password", "database-url", "app-gateway-certificate",
                            "redis-password"}  # Redis is on by default (max_replicas 3 > 1)
    database = next(r for r in workspace.world()["resources"].values()
                    if r["type"].endswith("redisEnterprise/databases"))
    assert written["redis-password"] == database["internal"]["keys"]["primaryKey"]
    assert written["openai-api-key"] == workspace.env["OPENAI_API_KEY"]
    for key in ("litellm-master-key", "litellm-salt-key"):
        assert written[key].startswith("sk-") and len(written[key]) >= 35
    assert written["database-url"].startswith("postgresql://litellmadmin:")
    assert written["database-url"].endswith(".postgres.database.azure.com:5432/litellm?sslmode=require")

    seen = len(workspace.requests())
    again = workspace.run("deploy", "--emulator", "--yes", "--debug", "-o", "json")
    assert again.returncode == 0, again.stderr
    assert writes(workspace.requests()[seen:]) == [], "a re-deploy must never rewrite a generated secret"
    status = workspace.run("status", "--emulator", "--debug", "-o", "json")
    outputs = workspace.run("outputs", "-o", "json")

    haystacks = {
        "state": (workspace.state_dir / "test.json").read_text(),
        "stdout+stderr": deploy.stdout + deploy.stderr + again.stdout + again.stderr,
        "status": status.stdout + status.stderr,
        "outputs": outputs.stdout + outputs.stderr,
        "logs": "".join(p.read_text() for p in (workspace.state_dir / "logs").glob("*.log")),
    }
    values = _all_secret_values(workspace)
    assert len(values) >= 8, "the scan must cover the tool's credentials"
    assert any(v.startswith("InstrumentationKey=") for v in values), "the App Insights connection string"
    for value in values:
        for where, text in haystacks.items():
            assert value not in text, f"a secret value leaked into {where}"
    # What GET returns: write-only values stay inside the emulator, as in Azure (Application Insights does
    # return its own connection string, so that one is not checked here).
    bodies = json.dumps([r["body"] for r in workspace.world()["resources"].values()])
    for value in _secret_puts(workspace.requests()).values():
        assert value not in bodies


def test_a_changed_openai_key_updates_that_secret_and_starts_a_new_revision(workspace: Workspace) -> None:
    assert workspace.run("deploy", "--emulator", "--yes").returncode == 0
    seen = len(workspace.requests())
    changed = workspace.run("deploy", "--emulator", "--yes", "-o", "json",
                            extra_env={"OPENAI_API_KEY": "a-rotated-upstream-key-9876543210"})
    assert changed.returncode == 0, changed.stderr
    puts = writes(workspace.requests()[seen:])
    # The running revision keeps the key it resolved at start: the app follows the secret's new version.
    assert [p["path"].rsplit("/", 1)[-1] for p in puts] == ["openai-api-key", puts[1]["path"].rsplit("/", 1)[-1]]
    assert "/containerapps/" in puts[1]["path"].lower()
    assert puts[0]["body"]["properties"]["value"] == "a-rotated-upstream-key-9876543210"


def test_destroy_purges_so_the_same_names_deploy_again(workspace: Workspace) -> None:
    assert workspace.run("deploy", "--emulator", "--yes").returncode == 0
    assert workspace.run("destroy", "--emulator", "--yes").returncode == 0
    assert not workspace.world()["resources"]
    again = workspace.run("deploy", "--emulator", "--yes", "-o", "json")
    assert again.returncode == 0, again.stderr
    assert outcomes_of_first_deploy(json.loads(again.stdout), registered=True) == {"created"}


def test_destroy_no_purge_then_deploy_recovers_the_vault_and_keeps_the_salt_key(workspace: Workspace) -> None:
    assert workspace.run("deploy", "--emulator", "--yes").returncode == 0
    salt_before = _secret_puts(workspace.requests())["litellm-salt-key"]
    kept = workspace.run("destroy", "--emulator", "--yes", "--no-purge")
    assert kept.returncode == 0, kept.stderr
    assert "keyvault" in json.dumps(workspace.world()["deleted"])

    seen = len(workspace.requests())
    again = workspace.run("deploy", "--emulator", "--yes", "-o", "json")
    assert again.returncode == 0, again.stderr
    assert "recovering the soft-deleted vault" in again.stderr
    vault_puts = [e for e in workspace.requests()[seen:] if e["method"] == "PUT"
                  and e["path"].lower().endswith(f"/vaults/kv-{workspace.state()['resource_token']}")]
    assert vault_puts[0]["body"]["properties"]["createMode"] == "recover"
    rewritten = _secret_puts(workspace.requests()[seen:])
    assert "litellm-salt-key" not in rewritten, "the recovered salt key must be kept"
    # The master key is known only to Key Vault; as nothing uses it any more (the gateway and the connections
    # were destroyed) it is replaced, so that the connections can be written with it.
    assert "litellm-master-key" in rewritten
    assert _secret_puts(workspace.requests())["litellm-salt-key"] == salt_before


class _PausableClock:
    """The emulator's clock: wall-clock time that the test can stop and start again (it then goes on from where it
    stopped). Stopped, every emulated duration stands still: a new principal stays brand new."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._behind = 0.0  # seconds this clock lags the wall clock, from the pauses so far
        self._stopped_at: float | None = None

    def __call__(self) -> float:
        with self._lock:
            return self._stopped_at if self._stopped_at is not None else time.time() - self._behind

    def stop(self) -> None:
        with self._lock:
            if self._stopped_at is None:
                self._stopped_at = time.time() - self._behind

    def start(self) -> None:
        with self._lock:
            if self._stopped_at is not None:
                self._behind = time.time() - self._stopped_at
                self._stopped_at = None


def test_a_principal_not_found_window_is_ridden_out(workspace: Workspace) -> None:
    """A new identity's first role assignment meets Entra's replication delay (quickstart-templates#4945)."""
    assert workspace.run("deploy", "--emulator", "--yes").returncode == 0
    token = workspace.state()["resource_token"]
    clock = _PausableClock()
    # The same emulator (data, time scale, a subscription the tool registered itself), served from this process so
    # that the test holds its clock.
    with Emulator(workspace.emulator_dir, time_scale=float(TIME_SCALE), registered="new", clock=clock) as emu:
        msi = ManagedServiceIdentityClient(FakeCredential(), SUBSCRIPTION, base_url=emu.url,
                                           connection_verify=str(emu.ca_cert))
        msi.user_assigned_identities.delete("rg-fl-test", f"id-{token}-gateway")  # behind the tool's back
        seen = len(workspace.requests())

        def role_puts() -> list[dict[str, Any]]:
            return [e for e in workspace.requests()[seen:]
                    if e["method"] == "PUT" and "/roleassignments/" in e["path"].lower()]

        # The re-deploy re-creates the identity, then assigns it a role. However long a loaded machine takes
        # between the two, the assignment must land inside the replication window: emulated time stands still
        # from the re-creation until the first assignment is refused, then runs on, and the window passes.
        clock.stop()
        finished: list[subprocess.CompletedProcess[str]] = []
        run = threading.Thread(target=lambda: finished.append(workspace.run(
            "deploy", "--endpoint", emu.url, "--ca-cert", str(emu.ca_cert), "--yes", "-o", "json")))
        run.start()
        try:
            deadline = time.monotonic() + 150  # reached only by a failing test
            while run.is_alive() and time.monotonic() < deadline and \
                    not any(t["status"] == 400 for t in role_puts()):
                time.sleep(0.02)
        finally:
            clock.start()
            run.join(200)
    assert finished, "the re-deploy did not end"
    again = finished[0]
    assert again.returncode == 0, again.stderr
    tries = role_puts()
    assert [t["status"] for t in tries][-1] in (200, 201)
    refused = [t for t in tries if t["status"] == 400]
    assert refused, "the emulator must have refused the brand-new principal at least once"
    assert "principal not replicated yet" in again.stderr


def test_state_file_mode_is_private(workspace: Workspace) -> None:
    assert workspace.run("deploy", "--emulator", "--yes").returncode == 0
    assert (Path(workspace.state_dir / "test.json").stat().st_mode & 0o777) == 0o600
