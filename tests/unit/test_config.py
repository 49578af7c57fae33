"""Config validation: what is derived, and what is refused with the field named."""

from __future__ import annotations

from pathlib import Path

import pytest

from foundry_litellm import config
from foundry_litellm.config_template import TEMPLATE
from foundry_litellm.errors import ConfigError

ENV = {"AZURE_SUBSCRIPTION_ID": "00000000-0000-0000-0000-000000000001", "OPENAI_API_KEY": "k" * 32,
       "OPENAI_API_BASE": "https://acct.openai.azure.com/"}
HUB_ZONES = "/subscriptions/00000000-0000-0000-0000-0000000000bb/resourceGroups/rg-hub/providers/Microsoft.Network/" \
            "privateDnsZones"


def _load(tmp_path: Path, text: str, **env: str) -> config.Config:
    path = tmp_path / "c.toml"
    path.write_text(text)
    return config.load(path, env={**ENV, **env})


def test_the_init_template_loads_as_is(tmp_path: Path) -> None:
    loaded = _load(tmp_path, TEMPLATE)
    assert loaded.location == "eastus2" and loaded.projects == 3
    assert str(loaded.address_space) == "10.0.0.0/20"
    assert [str(s) for s in (loaded.subnets.agent, loaded.subnets.private_endpoint, loaded.subnets.container_apps,
                             loaded.subnets.app_gateway)] == ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24",
                                                               "10.0.3.0/24"]
    assert loaded.openai_api_base == "https://acct.openai.azure.com"  # trailing slash dropped
    assert loaded.config_validation_result is True


def test_default_address_space_follows_the_reference_by_region(tmp_path: Path) -> None:
    loaded = _load(tmp_path, TEMPLATE.replace('"eastus2"', '"northeurope"'))
    assert str(loaded.address_space) == "192.168.0.0/20"


def test_display_names_of_regions_are_normalized(tmp_path: Path) -> None:
    assert _load(tmp_path, TEMPLATE.replace('"eastus2"', '"East US 2"')).location == "eastus2"


def test_subscription_from_the_file_wins_over_the_environment(tmp_path: Path) -> None:
    text = TEMPLATE.replace('# subscription_id = "00000000-0000-0000-0000-000000000000"',
                            'subscription_id = "11111111-1111-1111-1111-111111111111"')
    assert _load(tmp_path, text).subscription_id == "11111111-1111-1111-1111-111111111111"


def test_missing_openai_settings_are_refused_only_when_required(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(TEMPLATE)
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        config.load(path, env={"AZURE_SUBSCRIPTION_ID": ENV["AZURE_SUBSCRIPTION_ID"]})
    loaded = config.load(path, env={"AZURE_SUBSCRIPTION_ID": ENV["AZURE_SUBSCRIPTION_ID"]}, require_openai=False)
    assert loaded.config_validation_result is False


def test_missing_subscription_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(TEMPLATE)
    with pytest.raises(ConfigError) as err:
        config.load(path, env={"OPENAI_API_KEY": "k", "OPENAI_API_BASE": "https://a.openai.azure.com"})
    assert err.value.field == "azure.subscription_id"


def test_the_token_is_what_bicep_would_compute(tmp_path: Path) -> None:
    from foundry_litellm.naming import unique_string

    loaded = _load(tmp_path, TEMPLATE)
    group_id = f"/subscriptions/{ENV['AZURE_SUBSCRIPTION_ID']}/resourceGroups/rg-foundry-litellm-dev"
    assert loaded.token == unique_string(group_id, "eastus2")


def test_every_commented_setting_of_the_template_is_valid(tmp_path: Path) -> None:
    """Uncommenting what `init` writes must give a valid config: the template documents real keys."""
    import re

    lines = []
    for line in TEMPLATE.splitlines():
        if re.match(r"^# (\[|[a-z_]+ = )", line) and "..." not in line:
            line = line[2:].split("  #", 1)[0]
        lines.append(line)
    loaded = _load(tmp_path, "\n".join(lines) + "\n")
    assert loaded.subscription_id == "00000000-0000-0000-0000-000000000000"
    assert [m.name for m in loaded.gateway.models] == ["azure-gpt-4.1-mini", "azure-gpt-5-mini", "azure-o3-mini"]
    assert loaded.gateway.allowed_source_ips == ["203.0.113.0/24"]
    assert loaded.postgres.version == "16"


def test_existing_dns_zones_are_checked_against_the_zone_each_key_needs(tmp_path: Path) -> None:
    text = (f'[azure]\nresource_group = "rg"\nlocation = "eastus2"\n[network]\nexisting_dns_zones = {{ '
            f'container_apps = "{HUB_ZONES}/privatelink.eastus2.azurecontainerapps.io" }}\n')
    loaded = _load(tmp_path, text)
    assert loaded.existing_dns_zones == {"container_apps": f"{HUB_ZONES}/privatelink.eastus2.azurecontainerapps.io"}
    assert loaded.link_existing_dns_zones is True


@pytest.mark.parametrize(("text", "field"), [
    ('[gateway]\nimage = "ghcr.io/berriai/litellm:latest"\n', "gateway.image"),
    ('[gateway]\nimage = "ghcr.io/berriai/litellm"\n', "gateway.image"),
    ('[gateway]\nmin_replicas = 3\nmax_replicas = 2\n', "gateway"),
    ('[gateway]\nallowed_source_ips = ["not-an-ip"]\n', "gateway.allowed_source_ips"),
    ('[gateway]\nrequest_timeout_seconds = 30\n', "gateway.request_timeout_seconds"),
    ('[postgres]\nadmin_login = "admin"\n', "postgres.admin_login"),
    ('[postgres]\nversion = "9"\n', "postgres.version"),
    ('[key_vault]\nsoft_delete_retention_days = 120\n', "key_vault.soft_delete_retention_days"),
    ('[network]\nexisting_dns_zones = { vault = "x" }\n', "network.existing_dns_zones.vault"),
    ('[network]\nexisting_dns_zones = { blob = "privatelink.blob.core.windows.net" }\n',
     "network.existing_dns_zones.blob"),
    (f'[network]\nexisting_dns_zones = {{ container_apps = "{HUB_ZONES}/privatelink.westus.azurecontainerapps.io" }}\n',
     "network.existing_dns_zones.container_apps"),
])
def test_gateway_and_data_settings_are_refused_with_the_field(tmp_path: Path, text: str, field: str) -> None:
    base = '[azure]\nresource_group = "rg"\nlocation = "eastus2"\n'
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, base + text)
    assert err.value.field.startswith(field)
