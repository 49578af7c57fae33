"""Private DNS zones a hub already holds are used, linked to our VNet, and never touched by destroy.

Why: a VNet cannot be linked to two zones of the same name, and a hub's resolvers answer from the hub's zones
(foundry-samples PR #214; MicrosoftDocs/azure-aks-docs#212; peers-and-pain-points §2.10).
"""

from __future__ import annotations

import json
from typing import Any

from azure.mgmt.privatedns import PrivateDnsManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient

from foundry_litellm.emulator import Emulator
from tests.conftest import FakeCredential

from .conftest import CONFIG, Workspace, writes

HUB = "00000000-0000-0000-0000-0000000000bb"
ZONES = {"key_vault": "privatelink.vaultcore.azure.net", "blob": "privatelink.blob.core.windows.net"}


def _hub_zone_id(zone: str) -> str:
    return f"/subscriptions/{HUB}/resourceGroups/rg-hub-dns/providers/Microsoft.Network/privateDnsZones/{zone}"


def _create_hub_zones(workspace: Workspace) -> None:
    with Emulator(workspace.emulator_dir, time_scale=0.002, registered="new") as emu:
        kw: dict[str, Any] = {"base_url": emu.url, "connection_verify": str(emu.ca_cert), "polling_interval": 0.02}
        resources = ResourceManagementClient(FakeCredential(), HUB, **kw)
        resources.providers.register("Microsoft.Network")  # a hub subscription uses it already
        resources.resource_groups.create_or_update("rg-hub-dns", {"location": "eastus2"})
        dns = PrivateDnsManagementClient(FakeCredential(), HUB, **kw)
        for zone in ZONES.values():
            dns.private_zones.begin_create_or_update("rg-hub-dns", zone, {"location": "global"}).result()


def test_hub_zones_are_used_linked_and_left_in_place(workspace: Workspace) -> None:
    zones = ", ".join(f'{key} = "{_hub_zone_id(zone)}"' for key, zone in ZONES.items())
    (workspace.path / "foundry-litellm.toml").write_text(CONFIG + f"\n[network]\nexisting_dns_zones = {{ {zones} }}\n")
    _create_hub_zones(workspace)
    seen = len(workspace.requests())

    deployed = workspace.run("deploy", "--emulator", "--yes", "-o", "json")
    assert deployed.returncode == 0, deployed.stderr
    steps = {s["step"] for s in json.loads(deployed.stdout)["steps"]}
    assert "private_dns_zone:key_vault" not in steps and "private_dns_zone:cosmos" in steps
    puts = [e["path"].lower() for e in writes(workspace.requests()[seen:]) if e["method"] == "PUT"]
    assert not [p for p in puts if p.endswith(("/privatednszones/privatelink.vaultcore.azure.net",
                                                "/privatednszones/privatelink.blob.core.windows.net"))]
    resources = {r["id"].lower(): r for r in workspace.world()["resources"].values()}
    hub_vault = _hub_zone_id(ZONES["key_vault"]).lower()
    links = [r for k, r in resources.items() if k.startswith(hub_vault + "/virtualnetworklinks/")]
    token = workspace.state()["resource_token"]
    assert len(links) == 1 and links[0]["body"]["properties"]["virtualNetwork"]["id"].endswith(f"/vnet-{token}")
    records = [k for k in resources if k.startswith(hub_vault + "/a/")]
    assert len(records) == 1 and records[0].endswith(f"/a/kv-{token}")
    group = next(r for k, r in resources.items() if k.endswith(f"/pe-key-vault-{token}/privatednszonegroups/default"))
    assert group["body"]["properties"]["privateDnsZoneConfigs"][0]["properties"]["privateDnsZoneId"].lower() \
        == hub_vault

    assert workspace.run("destroy", "--emulator", "--yes").returncode == 0
    left = sorted(r["id"].lower() for r in workspace.world()["resources"].values())
    assert left == sorted(["/subscriptions/" + HUB + "/resourcegroups/rg-hub-dns",
                           *(_hub_zone_id(z).lower() for z in ZONES.values())])


def test_a_zone_of_the_wrong_name_is_refused_before_any_request(workspace: Workspace) -> None:
    wrong = _hub_zone_id("privatelink.blob.core.windows.net")
    (workspace.path / "foundry-litellm.toml").write_text(
        CONFIG + f'\n[network]\nexisting_dns_zones = {{ key_vault = "{wrong}" }}\n')
    result = workspace.run("deploy", "--emulator", "--yes")
    assert result.returncode == 2
    assert "network.existing_dns_zones.key_vault" in result.stderr
    assert "privatelink.vaultcore.azure.net" in result.stderr
    assert workspace.requests() == []
