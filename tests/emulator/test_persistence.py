"""The world lives in the data dir: a later process sees it, operations in flight survive a kill, and a kill
never tears the store."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import AzureError
from azure.core.rest import HttpRequest
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient

from tests.emulator.helpers import SUB, clients, vnet_body
from tests.tools import free_port


def _sdk(emu: Any) -> dict[str, Any]:
    return {"base_url": emu.url, "connection_verify": str(emu.ca_cert), "polling_interval": 0.02}


def test_a_later_process_sees_the_same_world(make_emulator: Any, tmp_path: Path, credential: Any) -> None:
    first = make_emulator(tmp_path / "w")
    cl = clients(_sdk(first), credential)
    cl["rm"].resource_groups.create_or_update("rg1", {"location": "eastus", "tags": {"k": "v"}})
    vnet = cl["net"].virtual_networks.begin_create_or_update("rg1", "v1", vnet_body(subnets={"s": "10.0.0.0/24"}))
    vnet = vnet.result()
    ident = cl["msi"].user_assigned_identities.create_or_update("rg1", "id1", {"location": "eastus"})
    first.stop()
    second = make_emulator(tmp_path / "w")
    cl = clients(_sdk(second), credential)
    assert cl["rm"].resource_groups.get("rg1").tags == {"k": "v"}
    again = cl["net"].virtual_networks.get("rg1", "v1")
    assert (again.etag, again.resource_guid) == (vnet.etag, vnet.resource_guid)
    assert [s.name for s in cl["net"].subnets.list("rg1", "v1")] == ["s"]
    assert cl["msi"].user_assigned_identities.get("rg1", "id1").principal_id == ident.principal_id


def test_one_data_dir_is_served_by_one_process(make_emulator: Any, tmp_path: Path) -> None:
    from foundry_litellm.emulator.store import DataDirBusy

    make_emulator(tmp_path / "w")
    with pytest.raises(DataDirBusy):
        make_emulator(tmp_path / "w", claim_wait=0.5)  # the first one does not let go


def test_an_operation_in_flight_completes_on_time_after_a_kill(serve: Any, tmp_path: Path,
                                                               credential: Any) -> None:
    port = str(free_port())  # the same port after the restart, so the operation URL stays valid
    data = tmp_path / "w"
    server = serve("--port", port, "--time-scale", "0.5", data_dir=data)  # VNet create: 5 s
    server.ready()
    sdk = server.sdk()
    ResourceManagementClient(credential, SUB, **sdk).resource_groups.create_or_update("rg1", {"location": "eastus"})
    net = NetworkManagementClient(credential, SUB, **sdk)
    put_at = time.time()
    token = net.virtual_networks.begin_create_or_update("rg1", "v1", vnet_body()).continuation_token()
    server.kill()  # SIGKILL: no chance to save anything more
    time.sleep(0.5)
    restarted = serve("--port", port, "--time-scale", "0.5", data_dir=data)
    restarted.ready()
    restarted_at = time.time()
    net = NetworkManagementClient(credential, SUB, **restarted.sdk())
    if restarted_at < put_at + 4.5:
        assert net.virtual_networks.get("rg1", "v1").provisioning_state == "Updating"  # still in flight
    vnet = net.virtual_networks.begin_create_or_update("rg1", "v1", None, continuation_token=token).result()
    done_at = time.time()
    assert vnet.provisioning_state == "Succeeded"
    # Due 5 s after the PUT, as first promised; a clock restarted with the process would end 5 s after it.
    assert put_at + 5.0 - 0.1 <= done_at < restarted_at + 5.0
    ops = json.loads(net.send_request(HttpRequest("GET", f"{restarted.url}/_emulator/operations")).text())
    (op,) = [o for o in ops if o["resource"].endswith("/v1")]
    assert op["status"] == "Succeeded"
    assert op["end"] - op["start"] == pytest.approx(5.0, abs=0.01)
    assert op["start"] == pytest.approx(put_at, abs=0.5)


def test_a_kill_during_writes_never_corrupts_the_store(serve: Any, tmp_path: Path, credential: Any) -> None:
    data = tmp_path / "w"
    acknowledged: list[str] = []
    for round_ in range(2):
        server = serve(data_dir=data)
        server.ready()
        sdk = {**server.sdk(), "retry_total": 0}
        rm = ResourceManagementClient(credential, SUB, **sdk)
        rm.resource_groups.create_or_update("rg1", {"location": "eastus"})
        msi = ManagedServiceIdentityClient(credential, SUB, **sdk)
        stop = threading.Event()

        def writer(worker: int, round_: int = round_, msi: Any = msi) -> None:
            n = 0
            while not stop.is_set():
                name = f"id-{round_}-{worker}-{n}"
                try:
                    msi.user_assigned_identities.create_or_update("rg1", name, {"location": "eastus"})
                except AzureError:
                    return  # the server is gone
                acknowledged.append(name)
                n += 1

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
        for t in threads:
            t.start()
        target = len(acknowledged) + 15
        deadline = time.monotonic() + 20
        while len(acknowledged) < target and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05 * round_)  # kill at a different point of the write stream each round
        server.kill()
        stop.set()
        for t in threads:
            t.join(10)
    final = serve(data_dir=data)
    final.ready()
    json.loads((data / "world.json").read_text())  # a whole document, not a torn one
    msi = ManagedServiceIdentityClient(credential, SUB, **final.sdk())
    stored = {i.name for i in msi.user_assigned_identities.list_by_resource_group("rg1")}
    assert len(acknowledged) >= 30
    assert set(acknowledged) <= stored  # every write that was answered had been saved
