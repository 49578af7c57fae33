"""Azure Managed Redis for more than one replica: the cluster, its database, private endpoint, DNS zone group and
the redis-password secret are deployed; the app gets REDIS_HOST, REDIS_PORT and a Key Vault reference for
REDIS_PASSWORD; the access key appears in no state file, log or output; a re-deploy writes nothing; one replica
removes it all."""

from __future__ import annotations

from typing import Any

from foundry_litellm.ownership import OWNER_TAG, OWNER_VALUE

from .conftest import CONFIG, Workspace, writes

REDIS_STEPS = ("redis_cluster", "redis_database", "redis_password", "private_endpoint:redis",
               "private_dns_zone_group:redis", "private_dns_zone:redis", "private_dns_zone_link:redis")


def _of_type(workspace: Workspace, type_: str) -> list[dict[str, Any]]:
    return [r for r in workspace.world()["resources"].values() if r["type"].lower() == type_.lower()]


def _app_template(workspace: Workspace) -> dict[str, Any]:
    app = _of_type(workspace, "Microsoft.App/containerApps")[0]["body"]
    return app["properties"]


def _everything_written(workspace: Workspace) -> str:
    """The text of every file the tool wrote in the workspace (state, logs), the emulator's own data aside."""
    found = []
    for path in workspace.path.rglob("*"):
        if path.is_file() and workspace.emulator_dir not in path.parents:
            found.append(path.read_text(errors="replace"))
    return "\n".join(found)


def test_two_replicas_deploy_redis_wired_through_key_vault_and_one_replica_removes_it(workspace: Workspace) -> None:
    config = workspace.path / "foundry-litellm.toml"
    config.write_text(CONFIG + "\n[gateway]\nmax_replicas = 2\n")
    first = workspace.run("deploy", "--emulator", "--yes")
    assert first.returncode == 0, first.stderr
    state = workspace.state()["steps"]
    assert set(REDIS_STEPS) <= set(state)

    [cluster] = _of_type(workspace, "Microsoft.Cache/redisEnterprise")
    props = cluster["body"]["properties"]
    assert (cluster["body"]["sku"]["name"], props["publicNetworkAccess"], props["minimumTlsVersion"]) == \
        ("Balanced_B0", "Disabled", "1.2")
    assert cluster["body"]["tags"][OWNER_TAG] == OWNER_VALUE
    [database] = _of_type(workspace, "Microsoft.Cache/redisEnterprise/databases")
    db = database["body"]["properties"]
    assert (db["port"], db["clientProtocol"], db["clusteringPolicy"], db["accessKeysAuthentication"]) == \
        (10000, "Encrypted", "NoCluster", "Enabled")
    [endpoint] = [e for e in _of_type(workspace, "Microsoft.Network/privateEndpoints")
                  if e["body"]["name"].startswith("pe-redis-")]
    link = endpoint["body"]["properties"]["privateLinkServiceConnections"][0]["properties"]
    assert link["groupIds"] == ["redisEnterprise"] and link["privateLinkServiceId"].lower() == cluster["id"].lower()
    host = props["hostName"]
    records = [r for r in _of_type(workspace, "Microsoft.Network/privateDnsZones/A")
               if "/privatelink.redis.azure.net/" in r["id"].lower()]
    assert [r["body"]["name"] for r in records] == [host.removesuffix(".redis.azure.net")]
    [secret] = [s for s in _of_type(workspace, "Microsoft.KeyVault/vaults/secrets")
                if s["body"]["name"] == "redis-password"]
    key = database["internal"]["keys"]["primaryKey"]
    assert secret["internal"]["properties.value"] == key  # the value Key Vault holds (write-only)

    app = _app_template(workspace)
    env = {e["name"]: e for e in app["template"]["containers"][0]["env"]}
    assert env["REDIS_HOST"]["value"] == host and env["REDIS_PORT"]["value"] == "10000"
    assert env["REDIS_PASSWORD"] == {"name": "REDIS_PASSWORD", "secretRef": "redis-password"}
    [reference] = [s for s in app["configuration"]["secrets"] if s["name"] == "redis-password"]
    assert reference["keyVaultUrl"] == state["redis_password"]["outputs"]["uri"]
    assert reference["keyVaultUrl"].endswith("/secrets/redis-password")

    outputs = workspace.run("outputs", "--emulator")
    assert outputs.returncode == 0, outputs.stderr
    for text in (first.stdout, first.stderr, outputs.stdout, outputs.stderr, _everything_written(workspace)):
        assert key not in text

    before = len(workspace.requests())
    again = workspace.run("deploy", "--emulator", "--yes")
    assert again.returncode == 0, again.stderr
    assert writes(workspace.requests()[before:]) == []
    assert key not in again.stdout + again.stderr + _everything_written(workspace)

    config.write_text(CONFIG + "\n[gateway]\nmax_replicas = 1\n")
    off = workspace.run("deploy", "--emulator", "--yes")
    assert off.returncode == 0, off.stderr
    assert not set(REDIS_STEPS) & set(workspace.state()["steps"])
    assert _of_type(workspace, "Microsoft.Cache/redisEnterprise") == []
    assert not [e for e in _of_type(workspace, "Microsoft.Network/privateEndpoints")
                if e["body"]["name"].startswith("pe-redis-")]
    env = {e["name"] for e in _app_template(workspace)["template"]["containers"][0]["env"]}
    assert not {"REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD"} & env
    secrets = [s for s in _of_type(workspace, "Microsoft.KeyVault/vaults/secrets")]
    assert not [s for s in _app_template(workspace)["configuration"]["secrets"] if s["name"] == "redis-password"]
    assert "redis-password" in {s["body"]["name"] for s in secrets}  # secrets go with their vault
