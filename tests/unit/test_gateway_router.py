"""[[gateway.upstreams]], per-model upstreams and fallbacks, [gateway.router]: validation, and what they render."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from foundry_litellm import config, litellm_config
from foundry_litellm.errors import ConfigError

ENV = {"AZURE_SUBSCRIPTION_ID": "00000000-0000-0000-0000-000000000001", "EAST_KEY": "e" * 32, "WEST_KEY": "w" * 32}
BASE = '[azure]\nresource_group = "rg"\nlocation = "eastus2"\n'
# Two regions and a fallback model (the README's example); the CLI tests deploy it too.
ROUTED = '''
[[gateway.upstreams]]
name = "east"
base = "https://acct-east.openai.azure.com"
key_env = "EAST_KEY"

[[gateway.upstreams]]
name = "west"
base = "https://acct-west.openai.azure.com/"
key_env = "WEST_KEY"

[[gateway.models]]
name = "gpt-4.1"
deployment = "gpt-4.1"
api_version = "2025-01-01-preview"
upstreams = [{ name = "east", order = 1, rpm = 600 }, { name = "west", order = 2 }]
fallbacks = ["gpt-4.1-mini"]

[[gateway.models]]
name = "gpt-4.1-mini"
deployment = "gpt-4.1-mini"
api_version = "2024-10-21"
'''
TWO_REGIONS = BASE + ROUTED + '''
[gateway.router]
strategy = "usage-based-routing-v2"
cooldown_time = 30
'''


def _load(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> config.Config:
    path = tmp_path / "c.toml"
    path.write_text(text)
    return config.load(path, env=ENV if env is None else env)


def _rendered(loaded: config.Config) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(litellm_config.render(loaded.gateway))
    return document


def test_two_regions_and_a_fallback_render_one_deployment_per_model_and_upstream(tmp_path: Path) -> None:
    loaded = _load(tmp_path, TWO_REGIONS)
    assert loaded.config_validation_result is True  # each upstream's key is set; OPENAI_* are not needed
    document = _rendered(loaded)
    entries = [(e["model_name"], e["model_info"]["id"]) for e in document["model_list"]]
    assert entries == [("gpt-4.1", "gpt-4.1@east"), ("gpt-4.1", "gpt-4.1@west"),
                       ("gpt-4.1-mini", "gpt-4.1-mini@east"), ("gpt-4.1-mini", "gpt-4.1-mini@west")]
    east = document["model_list"][0]["litellm_params"]
    assert east == {"model": "azure/gpt-4.1", "api_base": "os.environ/AZURE_API_BASE_EAST",
                    "api_key": "os.environ/AZURE_API_KEY_EAST", "api_version": "2025-01-01-preview",
                    "order": 1, "rpm": 600}
    assert document["model_list"][2]["litellm_params"]["api_version"] == "2024-10-21"  # a string, not a date
    router = document["router_settings"]
    assert router["routing_strategy"] == "usage-based-routing-v2"
    assert router["cooldown_time"] == 30
    assert router["optional_pre_call_checks"] == ["enforce_model_rate_limits"]  # rpm/tpm enforced
    assert router["fallbacks"] == [{"gpt-4.1": ["gpt-4.1-mini"]}]
    assert router["redis_host"] == "os.environ/REDIS_HOST"  # max_replicas defaults to 3: shared state


def test_each_upstream_key_reaches_the_app_from_its_own_secret(tmp_path: Path) -> None:
    gateway = _load(tmp_path, TWO_REGIONS).gateway
    env = litellm_config.environment(gateway, api_base="", public_url="https://gw")
    plain = {e["name"]: e["value"] for e in env if "value" in e}
    refs = {e["name"]: e["secretRef"] for e in env if "secretRef" in e}
    assert plain["AZURE_API_BASE_EAST"] == "https://acct-east.openai.azure.com"
    assert plain["AZURE_API_BASE_WEST"] == "https://acct-west.openai.azure.com"
    assert refs["AZURE_API_KEY_EAST"] == "openai-api-key-east"
    assert refs["AZURE_API_KEY_WEST"] == "openai-api-key-west"
    assert "AZURE_API_KEY" not in refs  # no implicit upstream beside named ones
    assert plain["REDIS_SSL"] == "True"
    rendered = litellm_config.render(gateway)
    assert ENV["EAST_KEY"] not in rendered and ENV["WEST_KEY"] not in rendered


def test_the_openai_shorthand_is_one_upstream_named_default(tmp_path: Path) -> None:
    env = {**ENV, "OPENAI_API_KEY": "k" * 32, "OPENAI_API_BASE": "https://acct.openai.azure.com"}
    loaded = _load(tmp_path, BASE + "[gateway]\nmax_replicas = 1\n", env)
    document = _rendered(loaded)
    assert {e["litellm_params"]["api_key"] for e in document["model_list"]} == {"os.environ/AZURE_API_KEY"}
    assert {e["litellm_params"]["api_base"] for e in document["model_list"]} == {"os.environ/AZURE_API_BASE"}
    assert "redis_host" not in document["router_settings"]  # one replica, no gateway.redis: no Redis
    assert _rendered(_load(tmp_path, BASE + "[gateway]\nmax_replicas = 1\nredis = true\n", env)) \
        ["router_settings"]["redis_port"] == "os.environ/REDIS_PORT"


def test_a_missing_upstream_key_names_its_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, TWO_REGIONS, {k: v for k, v in ENV.items() if k != "WEST_KEY"})
    assert err.value.field == "WEST_KEY"


@pytest.mark.parametrize(("change", "message"), [
    (('{ name = "west", order = 2 }', '{ name = "south" }'), "unknown upstream 'south'"),
    (('{ name = "west", order = 2 }', '"east"'), "listed twice"),
    (('fallbacks = ["gpt-4.1-mini"]', 'fallbacks = ["gpt-4.1"]'), "cannot fall back to itself"),
    (('fallbacks = ["gpt-4.1-mini"]', 'fallbacks = ["gpt-9"]'), "'gpt-9' is not a configured model"),
    (('key_env = "WEST_KEY"', 'key_env = "EAST_KEY"'), "its own key_env"),
    (('name = "west"', 'name = "east"'), "names must be unique"),
    (('order = 2', 'order = 0'), "greater than or equal to 1"),
    (('rpm = 600', 'rpm = -1'), "greater than or equal to 1"),
    (('strategy = "usage-based-routing-v2"', 'strategy = "round-robin"'), "simple-shuffle"),
    (('"https://acct-east.openai.azure.com"', '"http://acct-east.openai.azure.com"'), "https://"),
    (('name = "east"\nbase', 'name = "East_1"\nbase'), "pattern"),
    (('rpm = 600', 'rpn = 600'), "unknown key"),
])
def test_bad_routing_settings_are_refused_naming_the_field(tmp_path: Path, change: tuple[str, str],
                                                           message: str) -> None:
    old, new = change
    assert old in TWO_REGIONS
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, TWO_REGIONS.replace(old, new, 1))
    assert err.value.field.startswith("gateway")
    assert message in str(err.value)


def test_only_a_tier_a_limited_tier_overflows_into_is_spared_cooldowns_for_429s(tmp_path: Path) -> None:
    info = {e["model_info"]["id"]: e["model_info"] for e in _rendered(_load(tmp_path, TWO_REGIONS))["model_list"]}
    assert info["gpt-4.1@west"]["allowed_fails_policy"] == {"RateLimitErrorAllowedFails": 1000}
    assert "allowed_fails_policy" not in info["gpt-4.1@east"]  # the limited tier itself cools down as usual
    assert "allowed_fails_policy" not in info["gpt-4.1-mini@west"]  # no tiers


def test_openai_resource_id_with_named_upstreams_is_refused_naming_the_variable(tmp_path: Path) -> None:
    account = ("/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/g/providers/"
               "Microsoft.CognitiveServices/accounts/a")
    with pytest.raises(ConfigError) as refused:
        _load(tmp_path, TWO_REGIONS, {**ENV, "OPENAI_RESOURCE_ID": account})
    assert refused.value.field == "OPENAI_RESOURCE_ID" and "resource_id" in str(refused.value)


def test_each_named_upstream_has_its_key_secret_and_only_those_with_an_account_an_endpoint(tmp_path: Path) -> None:
    from steps import pipeline, retired

    account = ("/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/g/providers/"
               "Microsoft.CognitiveServices/accounts/a")
    text = TWO_REGIONS.replace('key_env = "WEST_KEY"\n', f'key_env = "WEST_KEY"\nresource_id = "{account}"\n')
    names = {s.name for s in pipeline(_load(tmp_path, text))}
    assert {"key_vault_secret:openai-api-key-east", "key_vault_secret:openai-api-key-west",
            "private_endpoint:openai-west", "private_dns_zone_group:openai-west"} <= names
    assert not {"key_vault_secret:openai-api-key", "private_endpoint:openai", "private_endpoint:openai-east"} & names
    app = next(s for s in pipeline(_load(tmp_path, text)) if s.name == "litellm_app")
    assert {"key_vault_secret:openai-api-key-east", "key_vault_secret:openai-api-key-west"} <= \
        {d.name for d in app.depends_on}
    # Upstreams dropped from the config: their endpoints are removed, their keys forgotten.
    gone = {s.name for s in retired(_load(tmp_path, TWO_REGIONS), names)}
    assert gone == {"private_endpoint:openai-west", "private_dns_zone_group:openai-west"}
    shorthand = _load(tmp_path, BASE, {**ENV, "OPENAI_API_KEY": "k" * 32,
                                       "OPENAI_API_BASE": "https://acct.openai.azure.com"})
    gone = {s.name for s in retired(shorthand, names)}
    assert gone == {"key_vault_secret:openai-api-key-east", "key_vault_secret:openai-api-key-west",
                    "private_endpoint:openai-west", "private_dns_zone_group:openai-west"}
