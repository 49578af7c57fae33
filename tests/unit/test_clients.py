"""The shared transport reads the proxy and CA-bundle variables once, for the one host every request goes to
(requests would read the whole environment again at every request)."""

from __future__ import annotations

import pytest

from foundry_litellm.clients import Clients, Target

SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"


def _session(target: Target) -> tuple[object, object]:
    clients = Clients(target, SUBSCRIPTION)
    clients._shared_transport()
    return clients._session, clients._verify


def test_a_proxy_and_a_ca_bundle_from_the_environment_apply_to_every_request(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp.example:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/corp/ca.pem")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    session, verify = _session(Target.cloud("AzureCloud"))
    assert session.proxies == {"https": "http://proxy.corp.example:3128"}  # type: ignore[attr-defined]
    assert verify == "/etc/corp/ca.pem"
    assert session.trust_env is False  # type: ignore[attr-defined]


def test_no_proxy_and_an_explicit_ca_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp.example:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/corp/ca.pem")
    session, verify = _session(Target.endpoint("https://127.0.0.1:8443", "/tmp/emulator-ca.pem", emulator=True))
    assert session.proxies == {}  # type: ignore[attr-defined]
    assert verify == "/tmp/emulator-ca.pem"
