"""What a newcomer met (issue 14), one test per item that is not about the terminal itself (test_terminal.py has
items 1 to 3): each drives the CLI against the embedded emulator, the real SDK over HTTPS."""

from __future__ import annotations

import fcntl
import json
import re
import time
from pathlib import Path

import pytest

from foundry_litellm import __version__

from .conftest import CONFIG, Workspace, served, writes

ROOT = Path(__file__).resolve().parents[2]
STALL_PUTS = {"seed": 0, "rules": [{"method": "PUT", "path": "/subscriptions/", "stall_operation": True}]}


@pytest.mark.parametrize(("text", "problem"), [
    ("[1, 2, 3]", "it holds a JSON list, not an object"),
    ('{"schema_version": 1, "steps": "x"}', "'steps' must be an object"),
    ("{}", "it has no schema_version"),
    ('{"schema_version": 1, "steps": {"resource_group": 7}}', "the entry of step 'resource_group'"),
])
def test_4_a_state_file_of_the_wrong_shape_is_one_clear_error(workspace: Workspace, text: str,
                                                              problem: str) -> None:
    workspace.state_dir.mkdir()
    (workspace.state_dir / "test.json").write_text(text)
    for command in (["outputs"], ["status", "--emulator"], ["deploy", "--emulator", "--yes"]):
        result = workspace.run(*command)
        assert result.returncode == 1, (command, result.stderr)
        assert "is not a foundry-litellm state" in result.stderr and problem in result.stderr, result.stderr
        assert "Error" not in result.stderr and "Traceback" not in result.stderr
        assert len([line for line in result.stderr.splitlines() if line.startswith("error:")]) == 1
    assert writes(workspace.requests()) == []


def test_4_a_state_file_of_another_schema_version_names_it(workspace: Workspace) -> None:
    workspace.state_dir.mkdir()
    (workspace.state_dir / "test.json").write_text('{"schema_version": 9, "steps": {}}')
    result = workspace.run("outputs")
    assert result.returncode == 1 and "schema version 9" in result.stderr


def test_5_outputs_after_destroy_says_it_was_destroyed(workspace: Workspace) -> None:
    assert workspace.run("deploy", "--emulator", "--yes").returncode == 0
    assert workspace.run("destroy", "--emulator", "--yes").returncode == 0
    result = workspace.run("outputs")
    assert result.returncode == 1
    assert "was destroyed at" in result.stderr and "did not finish" not in result.stderr
    assert "deploy" in result.stderr  # the hint: deploy creates it again


def test_5_outputs_while_a_deploy_runs_says_so(workspace: Workspace) -> None:
    with served(workspace, STALL_PUTS) as srv:
        proc = workspace.popen("deploy", *srv.endpoint, "--yes")
        try:
            # The deploy is provably running: its long-running PUTs are stalled and their tokens recorded.
            give_up = time.monotonic() + 60
            while not workspace.pending():
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < give_up, "no operation in flight within 60 s"
                time.sleep(0.1)
            result = workspace.run("outputs")
            assert result.returncode == 1
            assert "a run is in progress now" in result.stderr and f"pid {proc.pid}" in result.stderr
            assert "did not finish" not in result.stderr
        finally:
            proc.kill()
            proc.wait(timeout=30)


def test_5_outputs_after_an_unfinished_deploy_says_so(workspace: Workspace) -> None:
    workspace.state_dir.mkdir()
    (workspace.state_dir / "test.json").write_text('{"schema_version": 1, "steps": {}, "outputs": {}}')
    lock = (workspace.state_dir / "test.lock").open("a+")
    fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # a lock file that is held is a run in progress
    try:
        assert "a run is in progress now" in workspace.run("outputs").stderr
    finally:
        lock.close()
    assert "its last deploy did not finish" in workspace.run("outputs").stderr


IMMUTABLE_CHANGES = [
    # ARM keeps a resource in its region (InvalidResourceLocation): the resource group's location, the case seen.
    ("location", CONFIG.replace('"eastus2"', '"westus3"'), "resource_group", "Resource group", "location"),
    # Learn "Azure Key Vault soft-delete overview": the retention interval cannot be changed once set.
    ("vault retention", CONFIG + "\n[key_vault]\nsoft_delete_retention_days = 30\n", "key_vault", "Key Vault",
     "properties.softDeleteRetentionInDays"),
]


@pytest.mark.parametrize(("case", "config", "step", "title", "field"), IMMUTABLE_CHANGES,
                         ids=[c[0] for c in IMMUTABLE_CHANGES])
def test_6_an_immutable_field_is_a_replace_in_the_plan_and_deploy_refuses_before_sending(
        workspace: Workspace, case: str, config: str, step: str, title: str, field: str) -> None:
    assert workspace.run("deploy", "--emulator", "--yes").returncode == 0
    (workspace.path / "foundry-litellm.toml").write_text(config)
    assert workspace.run("validate").returncode == 0  # a valid config: only the live resource makes it a replace
    plan = workspace.run("deploy", "--emulator", "--plan")
    assert plan.returncode == 0, plan.stderr
    assert re.search(rf"{title}\s+replace \(immutable: {re.escape(field)}\)", plan.stdout), plan.stdout
    assert "deploy refuses this" in plan.stdout
    as_json = json.loads(workspace.run("deploy", "--emulator", "--plan", "-o", "json").stdout)
    planned = next(s for s in as_json["steps"] if s["step"] == step)
    assert planned["action"] == "replace" and planned["immutable"] == [field]
    for command in (["deploy", "--emulator", "--yes"], ["deploy", "--emulator"]):
        seen = len(workspace.requests())
        refused = workspace.run(*command)
        assert refused.returncode == 2, (command, refused.stderr)
        assert f"{title} ({field})" in refused.stderr and "nothing was sent" in refused.stderr
        assert "restore the previous value" in refused.stderr  # what to do
        assert writes(workspace.requests()[seen:]) == [], command


def test_7_detailed_exitcode_without_plan_is_refused(workspace: Workspace) -> None:
    result = workspace.run("deploy", "--emulator", "--yes", "--detailed-exitcode")
    assert result.returncode == 2
    assert "--detailed-exitcode" in result.stderr and "--plan" in result.stderr
    assert not workspace.emulator_dir.exists(), "nothing may be started or sent"


def test_8_outputs_takes_emulator_like_every_command(workspace: Workspace) -> None:
    assert workspace.run("deploy", "--emulator", "--yes").returncode == 0
    result = workspace.run("outputs", "--emulator", "-o", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["resource_group"] == "rg-fl-test"


def test_9_the_demo_key_is_fixed_and_shown() -> None:
    demo = (ROOT / "scripts" / "demo").read_text()
    assert "token_urlsafe" not in demo and "secrets." not in demo, "a new key each run looks like drift later"
    assert re.search(r'OPENAI_API_KEY="\$\{OPENAI_API_KEY:-[\w-]+\}"', demo)
    assert re.search(r"echo .*OPENAI_API_KEY=\$OPENAI_API_KEY", demo), "the key is shown"


def test_9_a_no_op_deploy_without_a_terminal_needs_no_yes_and_status_says_what_it_cannot_compare(
        workspace: Workspace) -> None:
    assert workspace.run("deploy", "--emulator", "--yes").returncode == 0
    seen = len(workspace.requests())
    again = workspace.run("deploy", "--emulator")  # no terminal, no --yes, nothing to confirm
    assert again.returncode == 0, again.stderr
    assert writes(workspace.requests()[seen:]) == []
    keyless = json.loads(workspace.run("status", "--emulator", "-o", "json", extra_env={"OPENAI_API_KEY": ""}).stdout)
    secret = next(s for s in keyless["steps"] if s["step"] == "key_vault_secret:openai-api-key")
    assert secret["note"] == "value not compared: OPENAI_API_KEY is not set"
    other = {"OPENAI_API_KEY": "another-upstream-key-0123456789"}
    drift = json.loads(workspace.run("status", "--emulator", "-o", "json", extra_env=other).stdout)
    assert {s["step"] for s in drift["steps"] if s["outcome"] == "drifted"} == {"key_vault_secret:openai-api-key"}
    plan = json.loads(workspace.run("deploy", "--emulator", "--plan", "-o", "json", extra_env=other).stdout)
    assert {s["step"] for s in plan["steps"] if s["action"] == "update"} == {"key_vault_secret:openai-api-key"}


def test_version() -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "foundry_litellm", "--version"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == f"foundry-litellm {__version__}"


def test_plan_lists_only_changes_unless_all_and_counts_them(workspace: Workspace) -> None:
    assert workspace.run("deploy", "--emulator", "--yes").returncode == 0
    (workspace.path / "foundry-litellm.toml").write_text(CONFIG.replace('owner = "tests"', 'owner = "others"'))
    changes = workspace.run("deploy", "--emulator", "--plan")
    assert changes.returncode == 0, changes.stderr
    assert "Resource group" in changes.stdout and "PostgreSQL database" not in changes.stdout  # untagged: no change
    counts = re.search(r"plan: 0 to create, (\d+) to update, 0 to delete, (\d+) unchanged in \d+s", changes.stdout)
    assert counts and int(counts[1]) > 0, changes.stdout
    every = workspace.run("deploy", "--emulator", "--plan", "--all")
    assert "PostgreSQL database" in every.stdout and "no change" in every.stdout


def test_summaries_carry_the_elapsed_time_and_plain_lines_are_not_wrapped(workspace: Workspace) -> None:
    deployed = workspace.run("deploy", "--emulator", "--yes")
    assert re.search(r"^deploy: .* in \d+s$", deployed.stdout, re.M), deployed.stdout
    status = workspace.run("status", "--emulator")
    assert re.search(r"^status: .* in \d+s$", status.stdout, re.M)
    drifted = workspace.run("status", "--emulator", extra_env={"OPENAI_API_KEY": "another-key-0123456789"})
    row = next(line for line in drifted.stdout.splitlines() if "Secret openai-api-key" in line)
    assert "drifted" in row and "tags.sha256:" in row and "→" in row, "without a terminal a row is one line"
    assert len(row) > 80
    assert re.search(r"^gateway_health: healthy \(1 of 1 server healthy\)$", status.stdout, re.M), status.stdout
    destroyed = workspace.run("destroy", "--emulator", "--yes")
    assert re.search(r"^destroy: .* in \d+s$", destroyed.stdout, re.M)


def test_outputs_say_where_the_generated_secrets_live_never_their_value(workspace: Workspace) -> None:
    assert workspace.run("deploy", "--emulator", "--yes").returncode == 0
    shown = workspace.run("outputs").stdout
    vault = re.search(r"LiteLLM master key: Key Vault (kv-\w+), secret litellm-master-key", shown)
    assert vault, shown
    assert f"az keyvault secret show --vault-name {vault[1]} --name litellm-master-key" in shown
    assert "LiteLLM UI password: Key Vault" in shown and "--name litellm-ui-password" in shown
    assert "sk-" not in shown


@pytest.mark.parametrize(("text", "expected"), [
    (CONFIG.replace("location =", "locaton ="), "azure.locaton: unknown key 'locaton' (did you mean 'location'?)"),
    (CONFIG.replace("[azure]", "[azrue]"), "azrue: unknown key 'azrue' (did you mean 'azure'?)"),
    (CONFIG + "\n[network]\nadress_space = '10.0.0.0/20'\n",
     "network.adress_space: unknown key 'adress_space' (did you mean 'address_space'?)"),
    (CONFIG.replace('resource_group = "rg-fl-test"\n', ""),
     "azure.resource_group: is required: add resource_group = ... under [azure]"),
])
def test_a_misspelt_key_is_named_with_the_key_it_resembles(workspace: Workspace, text: str, expected: str) -> None:
    (workspace.path / "foundry-litellm.toml").write_text(text)
    result = workspace.run("validate")
    assert result.returncode == 2
    assert f"error: {expected}" in result.stderr.splitlines()
    assert "Extra inputs" not in result.stderr and "Field required" not in result.stderr


@pytest.mark.parametrize("args", [["deploy", "--bogus"], ["bogus"], ["outputs", "-o", "xml"]])
def test_usage_errors_say_error_like_every_other_message(workspace: Workspace, args: list[str]) -> None:
    result = workspace.run(*args)
    assert result.returncode == 2
    said = next(line for line in result.stderr.splitlines() if line.lower().startswith("error"))
    assert said.startswith("error: ")
    assert "Error:" not in result.stderr and "Value error" not in result.stderr
    assert "--help" in result.stderr
