"""HTTPS with a local CA, bearer authentication, the context manager and the request log."""

from __future__ import annotations

import http.client
import json
import ssl
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.mgmt.resource.resources import ResourceManagementClient

from tests.emulator.helpers import SUB, vnet_body


class _Token:
    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(self.token, 4102444800)


def _raw(emulator: Any, method: str, path: str, headers: dict[str, str] | None = None,
         body: bytes | None = None) -> tuple[int, dict[str, str], Any]:
    host, port = emulator.url.removeprefix("https://").split(":")
    conn = http.client.HTTPSConnection(host, int(port), context=ssl.create_default_context(
        cafile=str(emulator.ca_cert)), timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        raw = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, json.loads(raw) if raw else None
    finally:
        conn.close()


def test_serves_https_on_loopback_with_its_own_ca(emulator: Any, sdk: dict[str, Any], credential: Any) -> None:
    assert emulator.url.startswith("https://127.0.0.1:")
    assert Path(emulator.ca_cert).parent == emulator.data_dir
    rm = ResourceManagementClient(credential, SUB, **sdk)
    assert rm.resource_groups.create_or_update("rg1", {"location": "eastus"}).name == "rg1"
    # The system trust store does not know the emulator's CA: TLS is real, not bypassed.
    plain = ResourceManagementClient(credential, SUB, base_url=emulator.url, retry_total=0)
    with pytest.raises(ServiceRequestError, match="CERTIFICATE_VERIFY_FAILED"):
        plain.resource_groups.get("rg1")


def test_ca_is_created_once_and_reused_after_restart(make_emulator: Any, tmp_path: Path, credential: Any) -> None:
    data = tmp_path / "world"
    first = make_emulator(data)
    ca_path = Path(first.ca_cert)
    ca_bytes = ca_path.read_bytes()
    assert stat.S_IMODE((data / "ca-key.pem").stat().st_mode) == 0o600
    first.stop()
    second = make_emulator(data)
    assert Path(second.ca_cert) == ca_path
    assert ca_path.read_bytes() == ca_bytes
    # A client that trusted the first run's CA file keeps working against the new process.
    rm = ResourceManagementClient(credential, SUB, base_url=second.url, connection_verify=str(ca_path))
    rm.resource_groups.create_or_update("rg1", {"location": "westus"})


def test_any_bearer_token_is_accepted(emulator: Any, sdk: dict[str, Any]) -> None:
    for token in ("a", "eyJhbGciOi.not-a-real.jwt"):
        rm = ResourceManagementClient(_Token(token), SUB, **sdk)
        rm.resource_groups.create_or_update("rg1", {"location": "eastus"})
    assert [e["status"] for e in emulator.admin.requests()] == [201, 200]


def test_request_without_authorization_gets_401(emulator: Any, sdk: dict[str, Any], credential: Any) -> None:
    path = f"/subscriptions/{SUB}/resourcegroups/rg1?api-version=2025-04-01"
    status, _, body = _raw(emulator, "GET", path)
    assert status == 401
    assert body["error"]["code"] == "AuthenticationFailed"
    status, _, _ = _raw(emulator, "GET", path, {"Authorization": "Basic dXNlcjpwYXNz"})
    assert status == 401
    # The SDK with its bearer policy replaced by a no-op sends no Authorization header at all.
    anonymous = ResourceManagementClient(credential, SUB, authentication_policy=SansIOHTTPPolicy(), **sdk)
    with pytest.raises(ClientAuthenticationError):
        anonymous.resource_groups.create_or_update("rg1", {"location": "eastus"})
    assert emulator.admin.resources() == []  # nothing was written


def test_context_manager_exposes_url_and_ca_and_stops(tmp_path: Path, credential: Any) -> None:
    from foundry_litellm.emulator import Emulator

    with Emulator(data_dir=tmp_path / "cm", time_scale=0.001) as emu:
        url, ca = emu.url, emu.ca_cert
        rm = ResourceManagementClient(credential, SUB, base_url=url, connection_verify=str(ca))
        rm.resource_groups.create_or_update("rg1", {"location": "eastus"})
        assert emu.admin.info()["time_scale"] == 0.001
    rm = ResourceManagementClient(credential, SUB, base_url=url, connection_verify=str(ca), retry_total=0)
    with pytest.raises(ServiceRequestError):
        rm.resource_groups.get("rg1")
    with pytest.raises(AssertionError):
        _ = emu.url


def test_request_log_records_every_request_and_write_bodies(emulator: Any, c: dict[str, Any]) -> None:
    c["rm"].resource_groups.create_or_update("rg1", {"location": "eastus", "tags": {"team": "a"}})
    body = vnet_body(subnets={"s1": "10.0.1.0/24"})
    c["net"].virtual_networks.begin_create_or_update("rg1", "v1", body).result()
    c["net"].virtual_networks.begin_delete("rg1", "v1").result()
    log = emulator.admin.requests()
    assert {"time", "method", "path", "api_version", "status", "duration_ms"} <= set(log[0])
    assert log[0]["method"] == "PUT" and log[0]["status"] == 201 and log[0]["api_version"] == "2025-04-01"
    assert log[0]["body"] == {"location": "eastus", "tags": {"team": "a"}}
    put = next(e for e in log if e["method"] == "PUT" and e["path"].endswith("/v1"))
    assert put["body"] == body
    assert all("body" not in e for e in log if e["method"] == "GET")
    (delete,) = [e for e in log if e["method"] == "DELETE"]
    assert delete["status"] == 202 and "body" not in delete  # no body was sent
    assert [e["seq"] for e in log] == list(range(len(log)))
    assert emulator.admin.requests(since=2) == log[2:]
    path = emulator.data_dir / "requests.jsonl"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(path.read_text().splitlines()) == len(log)


def test_request_log_keeps_a_non_json_write_body_verbatim(emulator: Any) -> None:
    path = f"/subscriptions/{SUB}/resourcegroups/rg1?api-version=2025-04-01"
    status, _, body = _raw(emulator, "PUT", path, {"Authorization": "Bearer x"}, b"not json{")
    assert status == 400 and body["error"]["code"] == "InvalidRequestContent"
    assert emulator.admin.requests()[-1]["body"] == "not json{"


def test_request_log_survives_a_restart(make_emulator: Any, tmp_path: Path, credential: Any) -> None:
    first = make_emulator(tmp_path / "w")
    rm = ResourceManagementClient(credential, SUB, base_url=first.url, connection_verify=str(first.ca_cert))
    rm.resource_groups.create_or_update("rg1", {"location": "eastus"})
    rm.resource_groups.get("rg1")
    before = first.admin.requests()
    first.stop()
    second = make_emulator(tmp_path / "w")
    rm = ResourceManagementClient(credential, SUB, base_url=second.url, connection_verify=str(second.ca_cert))
    rm.resource_groups.get("rg1")
    after = second.admin.requests()
    assert after[:2] == before
    assert [e["seq"] for e in after] == [0, 1, 2]


def test_request_log_recovers_from_a_line_torn_by_a_kill(make_emulator: Any, tmp_path: Path,
                                                          credential: Any) -> None:
    data = tmp_path / "w"
    first = make_emulator(data)
    rm = ResourceManagementClient(credential, SUB, base_url=first.url, connection_verify=str(first.ca_cert))
    rm.resource_groups.create_or_update("rg1", {"location": "eastus"})
    first.stop()
    with (data / "requests.jsonl").open("a") as log:  # what a SIGKILL in the middle of a write leaves
        log.write('{"time":"2026-01-01T00:00:00Z","method":"PU')
    for _ in range(2):  # the entry written after the torn line must survive the next restart too
        emu = make_emulator(data)
        rm = ResourceManagementClient(credential, SUB, base_url=emu.url, connection_verify=str(emu.ca_cert))
        rm.resource_groups.get("rg1")
        emu.stop()
    final = make_emulator(data)
    log = final.admin.requests()
    assert [(e["method"], e["status"]) for e in log] == [("PUT", 201), ("GET", 200), ("GET", 200)]
    assert [e["seq"] for e in log] == [0, 1, 2]


def test_responses_are_not_held_back_by_nagle(c: dict[str, Any], rg: str) -> None:
    # Headers and body leave in two writes; with Nagle on, each response waited for the client's delayed ACK
    # (40 ms on Linux), so every round trip took over 40 ms.
    times = []
    for _ in range(21):
        started = time.monotonic()
        c["rm"].resource_groups.get(rg)
        times.append(time.monotonic() - started)
    assert sorted(times)[10] < 0.03  # the median


def test_a_chunked_request_body_is_read(emulator: Any, c: dict[str, Any], rg: str) -> None:
    # A body from a stream of unknown size goes out chunked; left unread, it would be parsed as the next request.
    from azure.core.rest import HttpRequest

    def body() -> Any:
        yield b'{"location": '
        yield b'"eastus", "tags": {"a": "b"}}'

    path = f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Network/networkSecurityGroups/n1"
    response = c["net"].send_request(HttpRequest("PUT", path + "?api-version=2026-03-01", content=body(),
                                                 headers={"Content-Type": "application/json"}))
    assert response.status_code == 201 and response.json()["tags"] == {"a": "b"}
    assert emulator.admin.requests()[-1]["body"] == {"location": "eastus", "tags": {"a": "b"}}
    assert c["net"].network_security_groups.get(rg, "n1").tags == {"a": "b"}  # same connection, still in sync


def test_admin_requests_refuses_a_bad_since(emulator: Any) -> None:
    import urllib.error

    with pytest.raises(urllib.error.HTTPError) as err:
        emulator.admin._call("GET", "/requests?since=abc")
    assert err.value.code == 400
    assert emulator.admin.requests(since=0) == []
