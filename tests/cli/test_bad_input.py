"""Bad input exits 2 with a message that names the field, before anything is sent to Azure."""

from __future__ import annotations

import pytest

from .conftest import CONFIG, Workspace

BAD_CONFIGS = [
    ("unknown region", CONFIG.replace('"eastus2"', '"mars-central"'), "azure.location"),
    ("missing group", CONFIG.replace('resource_group = "rg-fl-test"\n', ""), "azure.resource_group"),
    ("bad group name", CONFIG.replace('"rg-fl-test"', '"rg.ends.with.dot."'), "azure.resource_group"),
    ("no projects", CONFIG + "\n[foundry]\nprojects = 0\n", "foundry.projects"),
    ("too many projects", CONFIG + "\n[foundry]\nprojects = 11\n", "foundry.projects"),
    ("address space too small", CONFIG + '\n[network]\naddress_space = "10.1.0.0/24"\n', "network.address_space"),
    ("malformed cidr", CONFIG + '\n[network]\naddress_space = "10.1.0.0/33"\n', "network.address_space"),
    ("subnet outside", CONFIG + '\n[network]\nagent_subnet = "10.9.0.0/24"\n', "network.agent_subnet"),
    ("subnets overlap", CONFIG + '\n[network]\napp_gateway_subnet = "10.0.0.128/25"\n', "network.app_gateway_subnet"),
    ("reserved range", CONFIG + '\n[network]\naddress_space = "172.30.0.0/20"\n', "network.address_space"),
    ("unknown key", CONFIG + "\n[network]\nadress_space = '10.0.0.0/20'\n", "network.adress_space"),
    ("secret in file", CONFIG + '\n[gateway]\napi_key = "sk-oops"\n', "gateway.api_key"),
    ("not toml", "environment = \n", "foundry-litellm.toml"),
]


@pytest.mark.parametrize(("case", "text", "field"), BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_exits_2_naming_the_field_and_sends_nothing(workspace: Workspace, case: str, text: str,
                                                               field: str) -> None:
    (workspace.path / "foundry-litellm.toml").write_text(text)
    result = workspace.run("deploy", "--emulator", "--yes")
    assert result.returncode == 2, (case, result.stdout, result.stderr)
    assert field in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not workspace.emulator_dir.exists(), "nothing may be started or sent"


@pytest.mark.parametrize(("variable", "value", "field"), [
    ("OPENAI_API_KEY", "", "OPENAI_API_KEY"),
    ("OPENAI_API_BASE", "http://insecure.example.com", "OPENAI_API_BASE"),
    ("OPENAI_API_BASE", "not a url", "OPENAI_API_BASE"),
    ("OPENAI_RESOURCE_ID", "/subscriptions/x/bogus", "OPENAI_RESOURCE_ID"),
    ("AZURE_SUBSCRIPTION_ID", "not-a-guid", "AZURE_SUBSCRIPTION_ID"),
])
def test_bad_environment_exits_2(workspace: Workspace, variable: str, value: str, field: str) -> None:
    result = workspace.run("deploy", "--emulator", "--yes", extra_env={variable: value})
    assert result.returncode == 2, result.stderr
    assert field in result.stderr
    assert not workspace.emulator_dir.exists()


def test_validate_prints_the_result_and_sends_nothing(workspace: Workspace) -> None:
    ok = workspace.run("validate")
    assert ok.returncode == 0 and ok.stdout.strip() == "config_validation_result: true"
    bad = workspace.run("validate", extra_env={"OPENAI_API_KEY": ""})
    assert bad.returncode == 2
    assert "config_validation_result: false" in bad.stdout and "OPENAI_API_KEY" in bad.stderr
    assert not workspace.state_dir.exists()


def test_conflicting_target_flags_are_refused(workspace: Workspace) -> None:
    result = workspace.run("status", "--emulator", "--endpoint", "https://127.0.0.1:1")
    assert result.returncode == 2 and "--emulator" in result.stderr
