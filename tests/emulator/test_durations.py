"""Durations per resource type, from the times users report (peers-and-pain-points.md §4), times the scale.

§4: Log Analytics ~21 s (azd log in MicrosoftDocs/azure-docs container-apps/microservices-dapr-bindings.md), but
recorded traffic shows it Succeeded 14 s after the PUT (application-insights/test_component_with_linked_workspace.yaml,
tests/conformance/recordings), so 10 s; private DNS zone ~35 s and its VNet link similar
(turbot/steampipe-plugin-azure PR #824).
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest

from tests.emulator.helpers import clients, rid, vnet_body


def _world(make_emulator: Any, credential: Any, scale: float) -> tuple[Any, dict[str, Any]]:
    emu = make_emulator(time_scale=scale)
    cl = clients({"base_url": emu.url, "connection_verify": str(emu.ca_cert), "polling_interval": 0.01},
                 credential)
    cl["rm"].resource_groups.create_or_update("rg1", {"location": "eastus"})
    return emu, cl


def _start_everything(cl: dict[str, Any]) -> None:
    """Start one write of each long-running type, without waiting."""
    cl["net"].virtual_networks.begin_create_or_update("rg1", "v1", vnet_body(), polling=False)
    cl["net"].network_security_groups.begin_create_or_update("rg1", "n1", {"location": "eastus"}, polling=False)
    cl["net"].public_ip_addresses.begin_create_or_update("rg1", "ip1", {"location": "eastus"}, polling=False)
    cl["dns"].private_zones.begin_create_or_update("rg1", "a.example.com", {"location": "global"}, polling=False)
    cl["la"].workspaces.begin_create_or_update("rg1", "ws-1", {"location": "eastus"}, polling=False)


def _nominal(emu: Any, scale: float) -> dict[tuple[str, str], float]:
    """Nominal seconds of each operation: (due - start) / scale, by (type, kind)."""
    return {(op["type"].split("/")[-1], op["kind"]): round((op["due"] - op["start"]) / scale, 3)
            for op in emu.admin.operations()}


def test_nominal_durations_follow_the_reported_times(make_emulator: Any, credential: Any) -> None:
    emu, cl = _world(make_emulator, credential, 1.0)  # real time: nothing completes during the test
    _start_everything(cl)
    assert _nominal(emu, 1.0) == {
        ("virtualNetworks", "create"): 10.0,
        ("networkSecurityGroups", "create"): 5.0,
        ("publicIPAddresses", "create"): 5.0,
        ("privateDnsZones", "create"): 35.0,
        ("workspaces", "create"): 10.0,
    }


def test_a_vnet_with_three_subnets_takes_about_what_users_report(make_emulator: Any, credential: Any) -> None:
    # §4's estimate for "VNet+subnets (subnets serialized)" is 0.1 x 4.5 min = 27 s.
    emu, cl = _world(make_emulator, credential, 0.001)
    cl["net"].virtual_networks.begin_create_or_update("rg1", "v1", vnet_body()).result()
    for i in range(3):
        cl["net"].subnets.begin_create_or_update("rg1", "v1", f"s{i}", {
            "properties": {"addressPrefix": f"10.0.{i}.0/24"}}).result()
    ops = emu.admin.operations()
    total = sum(op["due"] - op["start"] for op in ops) / 0.001
    assert [op["type"].split("/")[-1] for op in ops] == ["virtualNetworks"] + ["subnets"] * 3
    assert total == pytest.approx(27, rel=0.1)
    # The operations ran one after another, never side by side.
    assert all(a["end"] <= b["start"] for a, b in itertools.pairwise(ops))


@pytest.mark.parametrize("scale", [0.01, 0.04])
def test_durations_are_multiplied_by_the_time_scale(make_emulator: Any, credential: Any, scale: float) -> None:
    emu, cl = _world(make_emulator, credential, scale)
    _start_everything(cl)
    ops = {op["type"].split("/")[-1]: op["due"] - op["start"] for op in emu.admin.operations()}
    assert ops["privateDnsZones"] == pytest.approx(35 * scale, rel=1e-4)
    # Proportions hold at every scale: a zone takes 3.5 VNets, a workspace 1.
    assert ops["privateDnsZones"] / ops["virtualNetworks"] == pytest.approx(3.5, rel=1e-4)
    assert ops["workspaces"] / ops["virtualNetworks"] == pytest.approx(1.0, rel=1e-4)


def test_wall_clock_time_of_an_lro_matches_its_scaled_duration(make_emulator: Any, credential: Any) -> None:
    _, cl = _world(make_emulator, credential, 0.01)
    started = time.monotonic()
    cl["dns"].private_zones.begin_create_or_update("rg1", "b.example.com", {"location": "global"}).result()
    zone = time.monotonic() - started
    started = time.monotonic()
    cl["net"].network_security_groups.begin_create_or_update("rg1", "n2", {"location": "eastus"}).result()
    nsg = time.monotonic() - started
    # Never before the scaled duration; not much later either (the generous bound leaves room for a busy
    # machine, but not for a duration of the wrong order, such as the nominal 35 s).
    assert 0.35 <= zone < 0.35 + 2.0
    assert 0.05 <= nsg < 0.05 + 2.0


def test_resource_group_delete_lasts_as_long_as_its_slowest_resource(make_emulator: Any, credential: Any) -> None:
    emu, cl = _world(make_emulator, credential, 0.001)
    cl["net"].network_security_groups.begin_create_or_update("rg1", "n1", {"location": "eastus"}).result()
    cl["dns"].private_zones.begin_create_or_update("rg1", "z.example.com", {"location": "global"}).result()
    cl["rm"].resource_groups.begin_delete("rg1", polling=False)
    deletes = [op for op in emu.admin.operations() if op["kind"] == "delete"]
    assert [op["resource"] for op in deletes] == [rid("rg1")]
    # Azure deletes the resources in parallel: 20 s of its own plus the DNS zone's 35 s.
    assert (deletes[0]["due"] - deletes[0]["start"]) / 0.001 == pytest.approx(55.0, rel=1e-3)
