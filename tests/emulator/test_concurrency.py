"""Many clients at once: every thread has its own SDK client, and no write is lost."""

from __future__ import annotations

import errno
import select
import socket
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.network import NetworkManagementClient

from tests.emulator.helpers import SUB, clients

N = 50


def _run(target: Any) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(N)

    def work(i: int) -> None:
        try:
            barrier.wait(10)
            target(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


def test_50_concurrent_creates_are_all_kept(make_emulator: Any, tmp_path: Path, credential: Any) -> None:
    emu = make_emulator(tmp_path / "w")
    sdk = {"base_url": emu.url, "connection_verify": str(emu.ca_cert), "polling_interval": 0.01}
    clients(sdk, credential)["rm"].resource_groups.create_or_update("rg1", {"location": "eastus"})

    def create(i: int) -> None:
        if i % 2:
            net = NetworkManagementClient(credential, SUB, **sdk)
            net.network_security_groups.begin_create_or_update("rg1", f"nsg-{i}", {"location": "eastus"}).result()
        else:
            msi = ManagedServiceIdentityClient(credential, SUB, **sdk)
            msi.user_assigned_identities.create_or_update("rg1", f"id-{i}", {"location": "eastus"})

    assert _run(create) == []
    cl = clients(sdk, credential)
    nsgs = {n.name for n in cl["net"].network_security_groups.list("rg1")}
    ids = {i.name for i in cl["msi"].user_assigned_identities.list_by_resource_group("rg1")}
    assert nsgs == {f"nsg-{i}" for i in range(1, N, 2)}
    assert ids == {f"id-{i}" for i in range(0, N, 2)}
    assert all(n.provisioning_state == "Succeeded" for n in cl["net"].network_security_groups.list("rg1"))
    # And on disk: a new process sees all of them.
    emu.stop()
    again = make_emulator(tmp_path / "w")
    assert len(again.admin.resources()) == N + 1


def test_50_concurrent_public_ips_get_50_addresses(emulator: Any, sdk: dict[str, Any], credential: Any) -> None:
    clients(sdk, credential)["rm"].resource_groups.create_or_update("rg1", {"location": "eastus"})
    addresses: list[str] = []

    def create(i: int) -> None:
        # Each allocation is a read-modify-write of one shared counter: a lost update gives a duplicate.
        net = NetworkManagementClient(credential, SUB, **sdk)
        ip = net.public_ip_addresses.begin_create_or_update("rg1", f"ip-{i}", {"location": "eastus",
                                                                                "sku": {"name": "Standard"}}).result()
        addresses.append(ip.ip_address)

    assert _run(create) == []
    assert len(set(addresses)) == N


def test_concurrent_writes_to_one_vnet_are_serialized_not_merged(make_emulator: Any, tmp_path: Path,
                                                                 credential: Any) -> None:
    setup = make_emulator(tmp_path / "w", time_scale=0.001)  # build the VNet quickly ...
    cl = clients({"base_url": setup.url, "connection_verify": str(setup.ca_cert), "polling_interval": 0.01},
                 credential)
    cl["rm"].resource_groups.create_or_update("rg1", {"location": "eastus"})
    cl["net"].virtual_networks.begin_create_or_update("rg1", "v1", {
        "location": "eastus", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}}).result()
    setup.stop()
    emu = make_emulator(tmp_path / "w", time_scale=1.0)  # ... then a subnet write takes 5 s: all 50 overlap it
    sdk = {"base_url": emu.url, "connection_verify": str(emu.ca_cert), "polling_interval": 0.01}
    cl = clients(sdk, credential)
    won: list[int] = []

    def subnet(i: int) -> None:
        from azure.core.exceptions import ResourceExistsError

        try:
            NetworkManagementClient(credential, SUB, **sdk).subnets.begin_create_or_update(
                "rg1", "v1", f"s{i}", {"properties": {"addressPrefix": f"10.0.{i}.0/24"}}, polling=False)
            won.append(i)
        except ResourceExistsError as err:
            assert err.error.code == "AnotherOperationInProgress"

    assert _run(subnet) == []
    assert len(won) == 1  # one write at a time on a VNet (azurerm#3780)
    assert [s.name for s in cl["net"].subnets.list("rg1", "v1")] == [f"s{won[0]}"]


def test_a_burst_of_50_connections_is_accepted_at_once(emulator: Any, sdk: dict[str, Any], credential: Any,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from azure.mgmt.resource.resources import ResourceManagementClient

    from foundry_litellm.emulator.server import _HttpsServer

    ResourceManagementClient(credential, SUB, **sdk).resource_groups.create_or_update("rg1", {"location": "eastus"})
    rms = [ResourceManagementClient(credential, SUB, **sdk) for _ in range(N)]
    assert _run(lambda i: rms[i].resource_groups.get("rg1")) == []  # a new connection each, all answered

    # With a listen backlog of 5, most of a burst (39 of 50, measured) waited for a SYN retransmit (1 s) before
    # being accepted. Whether a SYN is dropped depends only on the kernel's accept queue, so hold the server's
    # accept loop (no connection is taken off the queue: however fast or slow the machine, the queue alone must
    # hold the burst) and open 50 connections: each completes its handshake only if the queue has room for it.
    # With a backlog of 5 no more than 6 ever would, whatever the wait.
    holding, release = threading.Event(), threading.Event()

    def hold(self: Any, request: Any, client_address: Any) -> bool:
        holding.set()
        release.wait(60)
        return True

    monkeypatch.setattr(_HttpsServer, "verify_request", hold)
    address = urlsplit(emulator.url)
    host, port = address.hostname or "127.0.0.1", address.port or 443
    first = socket.create_connection((host, port), timeout=30)
    burst: list[socket.socket] = []
    try:
        assert holding.wait(30), "the accept loop never took the first connection"
        for _ in range(N):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            burst.append(sock)
            assert sock.connect_ex((host, port)) in (0, errno.EINPROGRESS)
        pending = set(burst)
        deadline = time.monotonic() + 30  # reached only by a failing test: dropped SYNs never complete here
        while pending and time.monotonic() < deadline:
            _, writable, _ = select.select([], list(pending), [], 0.5)
            for sock in writable:
                assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
                pending.discard(sock)
        assert not pending, f"{len(pending)} of {N} connections found the listen queue full"
    finally:
        for sock in [first, *burst]:
            sock.close()
        release.set()
