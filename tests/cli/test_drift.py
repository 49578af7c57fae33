"""A resource changed or deleted behind the tool's back shows in status and plan; the next deploy repairs it."""

from __future__ import annotations

import json

from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.postgresqlflexibleservers import PostgreSQLManagementClient
from azure.mgmt.privatedns import PrivateDnsManagementClient

from foundry_litellm.emulator import Emulator
from tests.conftest import SUBSCRIPTION, FakeCredential

from .conftest import Workspace, writes


def _tamper(workspace: Workspace) -> None:
    """Change an NSG rule, delete a DNS link and switch off PostgreSQL's TLS requirement, as someone in the
    portal would."""
    with Emulator(workspace.emulator_dir, time_scale=0.002) as emu:
        kw = {"base_url": emu.url, "connection_verify": str(emu.ca_cert), "polling_interval": 0.02}
        network = NetworkManagementClient(FakeCredential(), SUBSCRIPTION, **kw)
        nsgs = [n for n in network.network_security_groups.list("rg-fl-test") if n.name.endswith("-appgw")]
        body = nsgs[0].as_dict()
        rules = body["properties"]["securityRules"]
        https = next(r for r in rules if r["name"] == "AllowHttpsInbound")
        https["properties"]["destinationPortRange"] = "8443"
        network.network_security_groups.begin_create_or_update("rg-fl-test", nsgs[0].name, body).result()
        dns = PrivateDnsManagementClient(FakeCredential(), SUBSCRIPTION, **kw)
        zone = "privatelink.vaultcore.azure.net"
        link = next(iter(dns.virtual_network_links.list("rg-fl-test", zone)))
        dns.virtual_network_links.begin_delete("rg-fl-test", zone, link.name).result()
        pg = PostgreSQLManagementClient(FakeCredential(), SUBSCRIPTION, **kw)
        server = next(iter(pg.servers.list_by_resource_group("rg-fl-test"))).name
        pg.configurations.begin_put("rg-fl-test", server, "require_secure_transport",
                                    {"properties": {"value": "off", "source": "user-override"}}).result()


def _outcomes(stdout: str) -> dict[str, dict[str, object]]:
    return {s["step"]: s for s in json.loads(stdout)["steps"]}


def test_drift_and_deletion_show_in_status_and_plan_and_deploy_repairs(workspace: Workspace) -> None:
    assert workspace.run("deploy", "--emulator", "--yes").returncode == 0
    # A new server already requires TLS: the parameter steps read it and write nothing.
    assert not [w for w in writes(workspace.requests()) if "/configurations/" in w["path"]]
    _tamper(workspace)

    status = _outcomes(workspace.run("status", "--emulator", "-o", "json").stdout)
    nsg = status["network_security_group:app_gateway"]
    assert nsg["outcome"] == "drifted"
    assert any("AllowHttpsInbound" in c["path"] and "destinationPortRange" in c["path"]
               for c in nsg["changes"])  # type: ignore[attr-defined]
    assert status["private_dns_zone_link:key_vault"]["outcome"] == "missing"
    assert status["virtual_network"]["outcome"] == "in sync"
    tls = status["postgres_parameter:require_secure_transport"]
    assert tls["outcome"] == "drifted" and tls["changes"] == [  # CIS Azure Foundations 5.2.1
        {"path": "properties.value", "actual": "off", "desired": "on"}]

    seen = len(workspace.requests())
    plan = workspace.run("deploy", "--emulator", "--plan", "--detailed-exitcode", "-o", "json")
    assert plan.returncode == 4, plan.stderr
    planned = _outcomes(plan.stdout)
    assert planned["network_security_group:app_gateway"]["action"] == "update"
    assert planned["private_dns_zone_link:key_vault"]["action"] == "create"
    assert planned["virtual_network"]["action"] == "no change"
    assert writes(workspace.requests()[seen:]) == []

    repaired = workspace.run("deploy", "--emulator", "--yes", "-o", "json")
    assert repaired.returncode == 0, repaired.stderr
    changed = {s["step"]: s["outcome"] for s in json.loads(repaired.stdout)["steps"] if s["outcome"] != "unchanged"}
    assert changed == {"network_security_group:app_gateway": "updated", "private_dns_zone_link:key_vault": "created",
                       "postgres_parameter:require_secure_transport": "updated"}

    final = workspace.run("deploy", "--emulator", "--plan", "--detailed-exitcode")
    assert final.returncode == 0, final.stdout + final.stderr
