"""The gateway tier through the CLI: outputs, a model added, health in status, rolling tags refused."""

from __future__ import annotations

import json
from typing import Any

import yaml

from foundry_litellm.config import DEFAULT_MODELS, ModelSection
from tests.unit.test_gateway_router import ROUTED

from .conftest import CONFIG, Workspace, writes

FOURTH_MODEL = "".join(
    f'\n[[gateway.models]]\nname = "{m.name}"\ndeployment = "{m.deployment}"\napi_version = "{m.api_version}"\n'
    for m in (*DEFAULT_MODELS, ModelSection(name="azure-gpt-4o", deployment="gpt-4o", api_version="2024-10-21")))


def _app_puts(entries: list[dict[str, object]]) -> list[dict[str, object]]:
    return [e for e in entries if e["method"] == "PUT" and "/containerapps/" in str(e["path"]).lower()]


def test_outputs_name_the_gateway_and_status_reports_its_health(workspace: Workspace) -> None:
    deployed = workspace.run("deploy", "--emulator", "--yes", "-o", "json")
    assert deployed.returncode == 0, deployed.stderr
    outputs = json.loads(deployed.stdout)["outputs"]
    token = workspace.state()["resource_token"]
    assert outputs["litellm_url"] == f"https://litellm-{token}.eastus2.cloudapp.azure.com/"
    assert outputs["litellm_ui_url"].endswith("/ui/")
    assert outputs["litellm_internal_url"].startswith(f"https://ca-litellm-{token}.")
    assert outputs["litellm_models"] == ["azure-gpt-4.1-mini", "azure-gpt-5-mini", "azure-o3-mini"]
    status = json.loads(workspace.run("status", "--emulator", "-o", "json").stdout)
    assert [h["health"] for h in status["gateway_health"]] == ["Up"]


def test_the_app_gets_its_config_on_a_secret_volume_and_secrets_as_key_vault_references(workspace: Workspace) -> None:
    assert workspace.run("deploy", "--emulator", "--yes").returncode == 0
    body = _app_puts(workspace.requests())[-1]["body"]
    props = body["properties"]  # type: ignore[index]
    secrets = {s["name"]: s for s in props["configuration"]["secrets"]}
    for name in ("litellm-master-key", "litellm-salt-key", "litellm-ui-password", "database-url", "openai-api-key"):
        assert secrets[name]["keyVaultUrl"].startswith("https://kv-") and "value" not in secrets[name]
    rendered = yaml.safe_load(secrets["litellm-config"]["value"])
    assert [m["model_name"] for m in rendered["model_list"]] == ["azure-gpt-4.1-mini", "azure-gpt-5-mini",
                                                                  "azure-o3-mini"]
    container = props["template"]["containers"][0]
    assert container["image"] == "ghcr.io/berriai/litellm:v1.108.7"
    assert "initContainers" not in props["template"]
    assert "--num_workers" not in container["args"]
    probes = {p["type"]: p for p in container["probes"]}
    assert probes["Liveness"]["httpGet"]["path"] == "/health/liveliness"
    assert probes["Readiness"]["httpGet"]["path"] == "/health/readiness"
    startup = probes["Startup"]
    assert startup.get("initialDelaySeconds", 0) + startup["periodSeconds"] * startup["failureThreshold"] >= 600
    env = {e["name"]: e for e in container["env"]}
    assert env["LITELLM_MODE"]["value"] == "PRODUCTION" and env["STORE_MODEL_IN_DB"]["value"] == "False"
    assert env["PROXY_BASE_URL"]["value"].startswith("https://")
    assert env["LITELLM_MASTER_KEY"]["secretRef"] == "litellm-master-key"


def test_a_model_added_changes_only_the_rendered_config_and_the_apps_revision(workspace: Workspace) -> None:
    assert workspace.run("deploy", "--emulator", "--yes").returncode == 0
    before = next(r for r in workspace.world()["resources"].values() if r["type"] == "Microsoft.App/containerApps")
    revision = before["body"]["properties"]["latestRevisionName"]
    (workspace.path / "foundry-litellm.toml").write_text(CONFIG + FOURTH_MODEL)
    seen = len(workspace.requests())
    changed = workspace.run("deploy", "--emulator", "--yes", "-o", "json")
    assert changed.returncode == 0, changed.stderr
    updated = {s["step"] for s in json.loads(changed.stdout)["steps"] if s["outcome"] != "unchanged"}
    # The static ModelGateway connection lists the models, so Foundry learns of the new one too.
    assert updated == {"litellm_app", "model_gateway_connection:static"}
    app_writes = _app_puts(workspace.requests()[seen:])
    assert len(app_writes) == 1
    assert len(writes(workspace.requests()[seen:])) == 2
    after = next(r for r in workspace.world()["resources"].values() if r["type"] == "Microsoft.App/containerApps")
    assert after["body"]["properties"]["latestRevisionName"] != revision
    config = workspace.run("gateway-config")
    assert "azure-gpt-4o" in config.stdout and "azure/gpt-4o" in config.stdout


def test_a_rolling_image_tag_is_refused_before_anything_is_sent(workspace: Workspace) -> None:
    (workspace.path / "foundry-litellm.toml").write_text(
        CONFIG + '\n[gateway]\nimage = "ghcr.io/berriai/litellm:main-stable"\n')
    result = workspace.run("deploy", "--emulator", "--yes")
    assert result.returncode == 2
    assert "gateway.image" in result.stderr and "rolling tag" in result.stderr
    assert not workspace.emulator_dir.exists()


def test_gateway_config_prints_the_rendered_file_without_secrets(workspace: Workspace) -> None:
    result = workspace.run("gateway-config")
    assert result.returncode == 0
    document = yaml.safe_load(result.stdout)
    assert document["general_settings"]["master_key"] == "os.environ/LITELLM_MASTER_KEY"
    assert workspace.env["OPENAI_API_KEY"] not in result.stdout


def _foreign_account(workspace: Workspace, subscription: str) -> str:
    """An Azure OpenAI account in another subscription, created in the workspace's emulator; its id."""
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
    from azure.mgmt.resource.resources import ResourceManagementClient

    from foundry_litellm.emulator import Emulator
    from tests.conftest import FakeCredential

    with Emulator(workspace.emulator_dir, time_scale=0.002) as emu:
        kw = {"base_url": emu.url, "connection_verify": str(emu.ca_cert), "polling_interval": 0.02}
        ResourceManagementClient(FakeCredential(), subscription, **kw).resource_groups.create_or_update(
            "rg-upstream", {"location": "eastus2"})
        body = {"location": "eastus2", "kind": "OpenAI", "sku": {"name": "S0"},
                "properties": {"customSubDomainName": "upstream-openai-tests"}}
        CognitiveServicesManagementClient(FakeCredential(), subscription, **kw).accounts.begin_create(
            "rg-upstream", "upstream-openai", json.dumps(body).encode()).result()
    return (f"/subscriptions/{subscription}/resourceGroups/rg-upstream/providers/Microsoft.CognitiveServices/"
            "accounts/upstream-openai")


def test_an_upstream_account_in_another_subscription_gets_an_endpoint_awaiting_approval(workspace: Workspace) -> None:
    """A cross-subscription endpoint needs the owner's approval (Learn "Manage a private endpoint connection"):
    the deploy says so and goes on instead of waiting."""
    upstream = _foreign_account(workspace, "11111111-2222-3333-4444-555555555555")
    result = workspace.run("deploy", "--emulator", "--yes", "-o", "json", extra_env={"OPENAI_RESOURCE_ID": upstream})
    assert result.returncode == 0, result.stderr
    assert "waiting for approval by the owner of" in result.stderr
    endpoint = [r for r in workspace.world()["resources"].values()
                if r["type"] == "Microsoft.Network/privateEndpoints" and r["body"]["name"].startswith("pe-openai-")]
    connections = endpoint[0]["body"]["properties"]["manualPrivateLinkServiceConnections"]
    assert connections[0]["properties"]["privateLinkServiceConnectionState"]["status"] == "Pending"
    assert workspace.state()["steps"]["private_endpoint:openai"]["outputs"]["connection_state"] == "Pending"


def test_waf_allow_list_and_plain_http_shape_the_gateway(workspace: Workspace) -> None:
    (workspace.path / "foundry-litellm.toml").write_text(
        CONFIG + '\n[gateway]\nwaf = true\nallowed_source_ips = ["203.0.113.0/24"]\nhttp_only = true\n')
    deployed = workspace.run("deploy", "--emulator", "--yes", "-o", "json")
    assert deployed.returncode == 0, deployed.stderr
    assert json.loads(deployed.stdout)["outputs"]["litellm_url"].startswith("http://")
    world = workspace.world()["resources"].values()
    gateway = next(r for r in world if r["type"] == "Microsoft.Network/applicationGateways")["body"]["properties"]
    assert gateway["sku"]["name"] == "WAF_v2"
    assert gateway["webApplicationFirewallConfiguration"]["ruleSetType"] == "OWASP"
    assert [listener["properties"]["protocol"] for listener in gateway["httpListeners"]] == ["Http"]
    assert gateway["backendHttpSettingsCollection"][0]["properties"]["requestTimeout"] >= 600
    assert gateway["probes"][0]["properties"]["path"] == "/health/liveliness"
    nsg = next(r for r in world if r["type"] == "Microsoft.Network/networkSecurityGroups"
               and r["body"]["name"].endswith("-appgw"))
    https = next(r for r in nsg["body"]["properties"]["securityRules"] if r["name"] == "AllowHttpsInbound")
    assert https["properties"]["sourceAddressPrefixes"] == ["203.0.113.0/24"]




def test_gateway_config_shows_the_router_of_two_regions_and_a_fallback(workspace: Workspace) -> None:
    (workspace.path / "foundry-litellm.toml").write_text(CONFIG + ROUTED)
    keys = {"EAST_KEY": "east-" + "e" * 32, "WEST_KEY": "west-" + "w" * 32}
    result = workspace.run("gateway-config", extra_env=keys)
    assert result.returncode == 0, result.stderr
    document = yaml.safe_load(result.stdout)
    assert [e["model_info"]["id"] for e in document["model_list"]] == [
        "gpt-4.1@east", "gpt-4.1@west", "gpt-4.1-mini@east", "gpt-4.1-mini@west"]
    assert document["router_settings"]["fallbacks"] == [{"gpt-4.1": ["gpt-4.1-mini"]}]
    assert all(value not in result.stdout for value in keys.values())
    (workspace.path / "foundry-litellm.toml").write_text(CONFIG + ROUTED.replace('"gpt-4.1-mini"]', '"gpt-9"]'))
    refused = workspace.run("gateway-config", extra_env=keys)
    assert refused.returncode == 2
    assert "'gpt-9' is not a configured model" in refused.stderr


def _secret_puts(entries: list[dict[str, Any]]) -> dict[str, str]:
    return {str(e["path"]).rsplit("/", 1)[-1]: e["body"]["properties"]["value"] for e in writes(entries)
            if e["method"] == "PUT" and "/secrets/" in str(e["path"]).lower()}


def _app_env(workspace: Workspace) -> dict[str, str]:
    app = next(r for r in workspace.world()["resources"].values() if r["type"] == "Microsoft.App/containerApps")
    container = app["body"]["properties"]["template"]["containers"][0]
    return {e["name"]: e.get("value") or f"secret:{e['secretRef']}" for e in container["env"]}


def test_named_upstreams_deploy_their_keys_endpoints_and_app_wiring(workspace: Workspace) -> None:
    """Each upstream's key in Key Vault under its own name, fed to the app; an upstream with resource_id gets its
    private endpoint; a changed key rewrites that secret and starts a new revision; a removed upstream goes."""
    other = "11111111-2222-3333-4444-555555555555"
    account = _foreign_account(workspace, other)
    routed = ROUTED.replace('key_env = "EAST_KEY"\n', f'key_env = "EAST_KEY"\nresource_id = "{account}"\n')
    (workspace.path / "foundry-litellm.toml").write_text(CONFIG + routed)
    keys = {"EAST_KEY": "east-" + "e" * 32, "WEST_KEY": "west-" + "w" * 32}
    deployed = workspace.run("deploy", "--emulator", "--yes", "-o", "json", extra_env=keys)
    assert deployed.returncode == 0, deployed.stderr
    written = _secret_puts(workspace.requests())
    assert written["openai-api-key-east"] == keys["EAST_KEY"] and written["openai-api-key-west"] == keys["WEST_KEY"]
    assert "openai-api-key" not in written  # OPENAI_API_KEY is set in the environment, but not used
    env = _app_env(workspace)
    assert env["AZURE_API_BASE_EAST"] == "https://acct-east.openai.azure.com"
    assert env["AZURE_API_KEY_EAST"] == "secret:openai-api-key-east"
    assert env["AZURE_API_KEY_WEST"] == "secret:openai-api-key-west" and "AZURE_API_KEY" not in env
    steps = workspace.state()["steps"]
    assert "private_endpoint:openai-east" in steps and "private_endpoint:openai-west" not in steps
    assert "key_vault_secret:openai-api-key" not in steps
    assert not any(v in json.dumps(steps) for v in keys.values())

    seen = len(workspace.requests())
    assert workspace.run("deploy", "--emulator", "--yes", extra_env=keys).returncode == 0
    assert writes(workspace.requests()[seen:]) == []

    rotated = {**keys, "WEST_KEY": "west-rotated-" + "r" * 32}
    status = workspace.run("status", "--emulator", "-o", "json", extra_env=rotated)
    drifted = {s["step"] for s in json.loads(status.stdout)["steps"] if s["outcome"] != "in sync"}
    assert drifted == {"key_vault_secret:openai-api-key-west"}
    seen = len(workspace.requests())
    assert workspace.run("deploy", "--emulator", "--yes", extra_env=rotated).returncode == 0
    changed = writes(workspace.requests()[seen:])
    assert _secret_puts(changed) == {"openai-api-key-west": rotated["WEST_KEY"]}
    assert len(changed) == 2 and "/containerapps/" in str(changed[1]["path"]).lower()  # the new revision

    # Back to one upstream without a private endpoint: the east endpoint is deleted, the keys forgotten (and said to
    # be left in Key Vault, whose management plane cannot delete a secret).
    (workspace.path / "foundry-litellm.toml").write_text(CONFIG)
    plan = workspace.run("deploy", "--emulator", "--plan", "-o", "json")
    planned = {s["step"]: s for s in json.loads(plan.stdout)["steps"]}
    assert planned["private_endpoint:openai-east"]["outcome"] == "planned"
    for key in ("openai-api-key-east", "openai-api-key-west"):  # the plan says what the deploy then does
        assert planned[f"key_vault_secret:{key}"]["outcome"] == "kept"
        assert "left in Key Vault" in planned[f"key_vault_secret:{key}"]["note"]
    back = workspace.run("deploy", "--emulator", "--yes", "-o", "json")
    assert back.returncode == 0, back.stderr
    reported = {s["step"]: s for s in json.loads(back.stdout)["steps"]}
    assert reported["private_endpoint:openai-east"]["outcome"] == "deleted"
    for key in ("openai-api-key-east", "openai-api-key-west"):
        assert reported[f"key_vault_secret:{key}"]["outcome"] == "kept"
        assert "left in Key Vault" in reported[f"key_vault_secret:{key}"]["note"]
    steps = workspace.state()["steps"]
    assert not [name for name in steps if "openai-api-key-" in name or name.endswith(":openai-east")]
    assert "key_vault_secret:openai-api-key" in steps
    assert not [r for r in workspace.world()["resources"].values()
                if r["type"] == "Microsoft.Network/privateEndpoints" and r["body"]["name"].startswith("pe-openai-")]
