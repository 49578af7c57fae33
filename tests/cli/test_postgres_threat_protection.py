"""`postgres.threat_protection`: Defender for PostgreSQL switched on by deploy, and back off when the option is."""

from __future__ import annotations

from typing import Any

from .conftest import CONFIG, Workspace


def _setting(workspace: Workspace) -> dict[str, Any] | None:
    found = [r for r in workspace.world()["resources"].values()
             if r["type"] == "Microsoft.DBforPostgreSQL/flexibleServers/advancedThreatProtectionSettings"]
    return found[0]["body"] if found else None


def test_threat_protection_is_enabled_then_switched_off_when_the_option_is(workspace: Workspace) -> None:
    config = workspace.path / "foundry-litellm.toml"
    config.write_text(CONFIG + "\n[postgres]\nthreat_protection = true\n")
    assert (deployed := workspace.run("deploy", "--emulator", "--yes")).returncode == 0, deployed.stderr
    setting = _setting(workspace)
    assert setting is not None and setting["properties"]["state"] == "Enabled"
    assert workspace.state()["steps"]["postgres_threat_protection"]["outputs"] == {"state": "Enabled"}
    config.write_text(CONFIG)
    plan = workspace.run("deploy", "--emulator", "--plan")
    assert "postgres_threat_protection" in plan.stdout + plan.stderr
    assert (deployed := workspace.run("deploy", "--emulator", "--yes")).returncode == 0, deployed.stderr
    setting = _setting(workspace)
    assert setting is not None and setting["properties"]["state"] == "Disabled"
    assert "postgres_threat_protection" not in workspace.state()["steps"]
    status = workspace.run("status", "--emulator")
    assert status.returncode == 0, status.stderr
