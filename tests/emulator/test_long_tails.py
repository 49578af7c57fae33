"""Long tails drawn per resource under the seed: the agent subnet's link release (15 min to 2 days after the
purge, peers-and-pain-points §2.4: foundry-samples PR #276, TESTING-GUIDE, #153) and the extra duration of
capability host and Application Gateway writes (none by default)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from foundry_litellm.emulator.providers import authorization, registry
from foundry_litellm.emulator.store import Store
from foundry_litellm.emulator.tails import DEFAULT_TAILS, TailSpecError, parse_range, tails_from
from foundry_litellm.emulator.world import World
from tests.emulator.foundry_support import caphost_body, create_account, foundry_clients, raw

SUBNETS = [f"/subscriptions/s/resourcegroups/rg/providers/microsoft.network/virtualnetworks/v/subnets/agent{i}"
           for i in range(8)]
HOLDER = "/subscriptions/s/resourcegroups/rg/providers/microsoft.cognitiveservices/accounts/acct"


def _release_delays(tmp_path: Path, seed: int, tails: Any = None) -> list[float]:
    """Nominal seconds after the purge at which each of eight links (one holder) is released."""
    now = 1000.0
    world = World(Store(tmp_path / f"w{seed}-{len(list(tmp_path.iterdir()))}", fsync=False), registry(),
                  time_scale=1.0, clock=lambda: now, tails=tails, seed=seed)
    for subnet in SUBNETS:
        world.add_link(subnet, {"name": "legionservicelink", "holder": HOLDER})
    world.release_links(HOLDER, tail="link_release")
    return [world.links(subnet)[0]["release_at"] - now for subnet in SUBNETS]


def test_the_link_release_is_drawn_per_link_from_the_range_and_repeats_under_the_seed(tmp_path: Path) -> None:
    whole = {"link_release": "15m..2d"}
    delays = _release_delays(tmp_path, 7, whole)
    assert all(15 * 60 <= d <= 2 * 86400 for d in delays)
    assert len(set(delays)) == len(delays)  # per link, not one figure for all
    assert _release_delays(tmp_path, 7, whole) == delays  # the same seed, the same world
    assert _release_delays(tmp_path, 8, whole) != delays


def test_the_default_link_release_is_the_usual_case(tmp_path: Path) -> None:
    assert DEFAULT_TAILS["link_release"] == (900.0, 1500.0)
    assert all(900 <= d <= 1500 for d in _release_delays(tmp_path, 0))
    assert _release_delays(tmp_path, 0, {"link_release": "20m"}) == [1200.0] * len(SUBNETS)


def test_a_release_at_once_stays_at_once(tmp_path: Path) -> None:
    world = World(Store(tmp_path, fsync=False), registry(), time_scale=1.0, clock=lambda: 5.0,
                  tails={"link_release": "1h..2h"})
    world.add_link(SUBNETS[0], {"name": "DBforPostgreSQL-flexibleServers", "holder": HOLDER})
    world.release_links(HOLDER)  # a holder without a tail (PostgreSQL) lets go when it is gone
    assert world.links(SUBNETS[0]) == []


@pytest.mark.parametrize(("text", "bounds"), [("15m..2d", (900.0, 172800.0)), ("90", (90.0, 90.0)),
                                              ("1.5h..3h", (5400.0, 10800.0))])
def test_ranges_read_with_units(text: str, bounds: tuple[float, float]) -> None:
    assert parse_range(text) == bounds


@pytest.mark.parametrize("spec", [{"link_release": "2d..15m"}, {"link_release": "soon"}, {"caphost": "1h"}])
def test_a_malformed_tail_is_refused(spec: dict[str, str]) -> None:
    with pytest.raises(TailSpecError):
        tails_from(spec)


def _caphost_nominal(make_emulator: Any, credential: Any, scale: float, **options: Any) -> float:
    emu = make_emulator(time_scale=scale, **options)
    c = foundry_clients({"base_url": emu.url, "connection_verify": str(emu.ca_cert), "polling_interval": 0.01},
                        credential)
    c["rm"].resource_groups.create_or_update("rg1", {"location": "eastus2"})
    create_account(c, "rg1", "acct")
    c["cs"].account_capability_hosts.begin_create_or_update("rg1", "acct", "caphostacct", raw(caphost_body()),
                                                            polling=False)
    op = next(o for o in emu.admin.operations() if o["type"].endswith("accounts/capabilityHosts"))
    return float((op["due"] - op["start"]) / scale)


def test_a_capability_host_tail_adds_a_drawn_duration(make_emulator: Any, credential: Any) -> None:
    scale = 0.002
    assert _caphost_nominal(make_emulator, credential, scale) == pytest.approx(324, rel=1e-3)  # no tail by default
    tails = {"capability_host": "1h..2h"}
    first = _caphost_nominal(make_emulator, credential, scale, tails=tails, seed=3)
    assert first == pytest.approx(324 + 5400, abs=1800 + 1e-3)  # within 1h..2h more
    assert _caphost_nominal(make_emulator, credential, scale, tails=tails, seed=3) == pytest.approx(first, rel=1e-6)


def test_an_app_gateway_tail_applies_to_its_type_only(tmp_path: Path) -> None:
    world = World(Store(tmp_path, fsync=False), registry(), time_scale=1.0, clock=lambda: 0.0,
                  tails={"app_gateway": "30m"})
    gateway = {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/applicationGateways/agw",
               "type": "Microsoft.Network/applicationGateways"}
    vnet = {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v",
            "type": "Microsoft.Network/virtualNetworks"}
    assert world.start_operation(gateway, kind="update", seconds=360, busy=set())["due"] == 360 + 1800
    assert world.start_operation(gateway, kind="delete", seconds=300, busy=set())["due"] == 300  # writes only
    assert world.start_operation(vnet, kind="create", seconds=10, busy=set())["due"] == 10


def _propagation_delays(tmp_path: Path, tails: Any = None) -> list[float]:
    """Nominal seconds after which each of eight role assignments created at 1000 is honoured (to the second)."""
    world = World(Store(tmp_path / f"p{len(list(tmp_path.iterdir()))}", fsync=False), registry(), time_scale=1.0,
                  clock=lambda: 1000.0, tails=tails)
    records = [{"id": f"{HOLDER}/providers/Microsoft.Authorization/roleAssignments/{i}", "created": 1000.0}
               for i in range(8)]
    return [next(s for s in range(0, 1200) if authorization.propagated(world, r, at=1000.0 + s)) for r in records]


def test_role_propagation_is_a_few_minutes_by_default_and_drawn_per_assignment_from_a_range(tmp_path: Path) -> None:
    # "a few minutes" (Azure/azure-dev#2742), at most 10 (Learn "Troubleshoot Azure RBAC"), sometimes over 5
    # (microsoft/CromwellOnAzure#98): the range is drawn per assignment, the same answer on every look
    assert _propagation_delays(tmp_path) == [180] * 8
    drawn = _propagation_delays(tmp_path, {"role_propagation": "1m..10m"})
    assert all(60 <= d <= 600 for d in drawn) and len(set(drawn)) > 1
    assert _propagation_delays(tmp_path, {"role_propagation": "1m..10m"}) == drawn
    assert _propagation_delays(tmp_path, {"role_propagation": None}) == [0] * 8
