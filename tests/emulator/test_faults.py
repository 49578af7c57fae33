"""Fault injection: deterministic under a seed; count, probability, latency, dropped connections, failed
operations; the SDK's retry policy survives what Azure throws at it (azure-sdk-notes §2 "Retries")."""

from __future__ import annotations

import contextlib
import time
import urllib.error
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError, ServiceResponseError

from tests.emulator.helpers import clients, log_for, vnet_body


def _no_retry(emulator: Any, credential: Any) -> dict[str, Any]:
    sdk = {"base_url": emulator.url, "connection_verify": str(emulator.ca_cert), "polling_interval": 0.01}
    return clients(sdk, credential, retry_total=0)


def _pattern(emulator: Any, cl: dict[str, Any], spec: dict[str, Any], n: int = 40) -> list[int]:
    """Load ``spec`` and send ``n`` GETs; the status each one got."""
    emulator.admin.set_faults(spec)
    statuses = []
    for _ in range(n):
        try:
            cl["rm"].resource_groups.get("rg1")
            statuses.append(200)
        except HttpResponseError as err:
            statuses.append(int(err.status_code or 0))
    return statuses


def test_same_seed_and_requests_give_the_same_faults(emulator: Any, credential: Any, rg: str) -> None:
    cl = _no_retry(emulator, credential)
    spec = {"seed": 1, "rules": [{"method": "GET", "path": "/resourcegroups/rg1$", "status": 503,
                                  "probability": 0.3}]}
    first = _pattern(emulator, cl, spec)
    second = _pattern(emulator, cl, spec)  # loading the document again restarts the sequence
    assert first == second
    assert 3 <= first.count(503) <= 25 and set(first) == {200, 503}
    other = _pattern(emulator, cl, {**spec, "seed": 2})
    assert other != first


def test_probability_zero_never_fires_and_one_always_does(emulator: Any, credential: Any, rg: str) -> None:
    cl = _no_retry(emulator, credential)
    rule = {"method": "GET", "path": "rg1", "status": 500}
    assert _pattern(emulator, cl, {"seed": 3, "rules": [{**rule, "probability": 0.0}]}, 10) == [200] * 10
    assert _pattern(emulator, cl, {"seed": 3, "rules": [{**rule, "probability": 1.0}]}, 10) == [500] * 10


def test_count_limits_how_often_a_rule_fires(emulator: Any, credential: Any, rg: str) -> None:
    cl = _no_retry(emulator, credential)
    statuses = _pattern(emulator, cl, {"seed": 1, "rules": [{"method": "*", "path": "rg1", "status": 500,
                                                             "count": 2}]}, 5)
    assert statuses == [500, 500, 200, 200, 200]
    assert emulator.admin.set_faults({"seed": 1, "rules": []}) == {"seed": 1, "rules": []}


def test_rules_match_method_and_a_regex_on_the_lower_cased_path(emulator: Any, credential: Any,
                                                                 rg: str) -> None:
    cl = _no_retry(emulator, credential)
    emulator.admin.set_faults({"seed": 0, "rules": [
        {"method": "PUT", "path": r"/virtualnetworks/vnet-a$", "status": 500, "error_code": "Boom"}]})
    with pytest.raises(HttpResponseError) as err:
        cl["net"].virtual_networks.begin_create_or_update(rg, "VNet-A", vnet_body())
    assert err.value.status_code == 500 and err.value.error.code == "Boom"
    with pytest.raises(ResourceNotFoundError):  # a GET of the same path is not matched
        cl["net"].virtual_networks.get(rg, "VNet-A")
    cl["net"].virtual_networks.begin_create_or_update(rg, "VNet-B", vnet_body()).result()
    faulted = [e for e in emulator.admin.requests() if "fault" in e]
    assert [(e["method"], e["status"]) for e in faulted] == [("PUT", 500)]
    assert emulator.admin.resources()[-1]["name"] == "VNet-B"  # the faulted PUT changed nothing


def test_latency_is_added_to_matching_requests(emulator: Any, credential: Any, rg: str) -> None:
    cl = _no_retry(emulator, credential)
    emulator.admin.set_faults({"seed": 0, "rules": [{"method": "GET", "path": "rg1$", "latency_ms": 300}]})
    started = time.monotonic()
    cl["rm"].resource_groups.get(rg)
    slow = time.monotonic() - started
    started = time.monotonic()
    cl["rm"].resource_groups.check_existence("other")  # HEAD: the rule is for GET
    fast = time.monotonic() - started
    assert slow >= 0.3
    get, head = emulator.admin.requests()[-2:]
    assert get["status"] == 200 and get["duration_ms"] >= 300  # latency alone does not fail the request
    assert head["duration_ms"] < 300 and fast < slow


def test_global_latency_option_delays_every_request(make_emulator: Any, credential: Any) -> None:
    emu = make_emulator(latency_ms=150)
    cl = clients({"base_url": emu.url, "connection_verify": str(emu.ca_cert)}, credential)
    started = time.monotonic()
    cl["rm"].resource_groups.create_or_update("rg1", {"location": "eastus"})
    cl["rm"].resource_groups.get("rg1")
    assert time.monotonic() - started >= 0.3
    assert all(e["duration_ms"] >= 150 for e in emu.admin.requests())


def test_dropped_connection_fails_without_retry_and_is_survived_with_it(emulator: Any, credential: Any,
                                                                       c: dict[str, Any], rg: str) -> None:
    drop = {"seed": 0, "rules": [{"method": "PUT", "path": "networksecuritygroups/n1$", "drop_connection": True,
                                  "count": 1}]}
    emulator.admin.set_faults(drop)
    with pytest.raises(ServiceResponseError):
        _no_retry(emulator, credential)["net"].network_security_groups.begin_create_or_update(
            rg, "n1", {"location": "eastus"})
    assert [r["name"] for r in emulator.admin.resources()] == ["rg1"]  # the dropped write was not applied
    emulator.admin.set_faults(drop)
    nsg = c["net"].network_security_groups.begin_create_or_update(rg, "n1", {"location": "eastus"}).result()
    assert nsg.provisioning_state == "Succeeded"
    puts = log_for(emulator.admin, "PUT", "/networkSecurityGroups/n1")
    assert [(e["status"], e.get("fault", {}).get("dropped")) for e in puts] == [(None, True), (None, True),
                                                                              (201, None)]


def test_sdk_retry_survives_a_503(emulator: Any, c: dict[str, Any], rg: str) -> None:
    emulator.admin.set_faults({"seed": 0, "rules": [{"method": "PUT", "path": "virtualnetworks/v1$",
                                                     "status": 503, "count": 1}]})
    assert c["net"].virtual_networks.begin_create_or_update(rg, "v1", vnet_body()).result().name == "v1"
    statuses = [e["status"] for e in log_for(emulator.admin, "PUT", "/virtualNetworks/v1")]
    assert statuses == [503, 201]


def test_sdk_retry_honours_429_with_retry_after(emulator: Any, c: dict[str, Any], rg: str) -> None:
    emulator.admin.set_faults({"seed": 0, "rules": [{"method": "GET", "path": "rg1$", "status": 429,
                                                     "retry_after": 1, "count": 1}]})
    started = time.monotonic()
    assert c["rm"].resource_groups.get(rg).name == "rg1"
    assert time.monotonic() - started >= 1.0  # the SDK slept Retry-After, not its own backoff
    gets = [e for e in emulator.admin.requests() if e["method"] == "GET"]
    assert [e["status"] for e in gets] == [429, 200]


def test_injected_error_bodies_and_retry_after_headers(emulator: Any, credential: Any, rg: str) -> None:
    cl = _no_retry(emulator, credential)
    emulator.admin.set_faults({"seed": 0, "rules": [{"method": "GET", "path": "rg1$", "status": 429,
                                                     "retry_after": 7, "count": 1}]})
    seen: list[Any] = []
    with pytest.raises(HttpResponseError) as err:
        cl["rm"].resource_groups.get(rg, raw_response_hook=lambda r: seen.append(r.http_response))
    assert err.value.error.code == "TooManyRequests"
    assert seen[0].headers["Retry-After"] == "7"
    emulator.admin.set_faults({"seed": 0, "rules": [{"method": "GET", "path": "rg1$", "status": 503,
                                                     "count": 1}]})
    with pytest.raises(HttpResponseError) as err:
        cl["rm"].resource_groups.get(rg)
    assert err.value.error.code == "ServiceUnavailable"


def test_fail_operation_accepts_the_write_and_fails_its_operation(emulator: Any, c: dict[str, Any],
                                                                  rg: str) -> None:
    emulator.admin.set_faults({"seed": 0, "rules": [{"method": "PUT", "path": "virtualnetworks/v1$",
                                                     "fail_operation": True, "error_code": "InternalError",
                                                     "message": "The VNet broke."}]})
    poller = c["net"].virtual_networks.begin_create_or_update(rg, "v1", vnet_body())
    with pytest.raises(HttpResponseError) as err:
        poller.result()
    assert err.value.error.code == "InternalError" and "The VNet broke." in err.value.error.message
    assert log_for(emulator.admin, "PUT", "/virtualNetworks/v1")[0]["status"] == 201
    status = next(op for op in emulator.admin.operations() if op["resource"].endswith("/v1"))
    assert status["status"] == "Failed" and status["error"]["code"] == "InternalError"
    assert c["net"].virtual_networks.get(rg, "v1").provisioning_state == "Failed"
    emulator.admin.clear_faults()  # a retry of the write repairs the resource
    assert c["net"].virtual_networks.begin_create_or_update(rg, "v1", vnet_body()).result() \
        .provisioning_state == "Succeeded"


def test_fail_operation_on_a_private_dns_zone_operation(emulator: Any, c: dict[str, Any], rg: str) -> None:
    # The zone PUT answers 202 {} with both headers (recording privatedns__test_PutZone_ZoneNotExists_...):
    # the SDK follows Azure-AsyncOperation, whose status carries the failure.
    emulator.admin.set_faults({"seed": 0, "rules": [{"method": "PUT", "path": "privatednszones",
                                                     "fail_operation": True, "status": 409,
                                                     "error_code": "ZoneBroken"}]})
    with pytest.raises(HttpResponseError) as err:
        c["dns"].private_zones.begin_create_or_update(rg, "x.example.com", {"location": "global"}).result()
    assert err.value.error.code == "ZoneBroken"
    polls = log_for(emulator.admin, "GET", "/operationStatuses/")
    assert polls and polls[-1]["status"] == 200


def test_fail_operation_on_a_delete(emulator: Any, c: dict[str, Any], rg: str) -> None:
    c["net"].network_security_groups.begin_create_or_update(rg, "n1", {"location": "eastus"}).result()
    emulator.admin.set_faults({"seed": 0, "rules": [{"method": "DELETE", "path": "n1$", "fail_operation": True}]})
    with pytest.raises(HttpResponseError) as err:
        c["net"].network_security_groups.begin_delete(rg, "n1").result()
    assert err.value.error.code == "InternalServerError"
    assert c["net"].network_security_groups.get(rg, "n1").provisioning_state == "Failed"  # still there


def test_fail_operation_on_a_synchronous_type_fails_the_request(emulator: Any, credential: Any,
                                                                rg: str) -> None:
    # Managed identities answer PUT and DELETE at once: there is no operation to fail later.
    cl = _no_retry(emulator, credential)
    emulator.admin.set_faults({"seed": 0, "rules": [{"method": "PUT", "path": "userassignedidentities",
                                                     "fail_operation": True, "error_code": "IdentityBroken",
                                                     "count": 1}]})
    with pytest.raises(HttpResponseError) as err:
        cl["msi"].user_assigned_identities.create_or_update(rg, "id1", {"location": "eastus"})
    assert err.value.status_code == 500 and err.value.error.code == "IdentityBroken"
    with pytest.raises(ResourceNotFoundError):
        cl["msi"].user_assigned_identities.get(rg, "id1")
    cl["msi"].user_assigned_identities.create_or_update(rg, "id1", {"location": "eastus"})
    emulator.admin.set_faults({"seed": 0, "rules": [{"method": "DELETE", "path": "userassignedidentities",
                                                     "fail_operation": True, "count": 1}]})
    with pytest.raises(HttpResponseError):
        cl["msi"].user_assigned_identities.delete(rg, "id1")
    assert cl["msi"].user_assigned_identities.get(rg, "id1").name == "id1"


def test_faults_document_is_validated(emulator: Any) -> None:
    for bad in ({"seed": 1, "rules": [{"bogus": 1}]}, {"seed": "x", "rules": []},
                {"rules": [{"path": "("}]}, {"rules": [{"probability": 2}]}, {"rules": {}}):
        with pytest.raises(urllib.error.HTTPError) as err:
            emulator.admin.set_faults(bad)
        assert err.value.code == 400
    described = emulator.admin.set_faults({"seed": 5, "rules": [{"method": "GET", "status": 503, "count": 1}]})
    assert described["seed"] == 5 and described["rules"][0]["fired"] == 0


@pytest.mark.parametrize("rule", [
    {"count": "1"}, {"probability": "0.5"}, {"latency_ms": "100"}, {"status": "503"}, {"status": 200},
    {"drop_connection": "yes"}, {"method": "FETCH"}, {"path": 5}, {"retry_after": "1"}, {"count": -1},
    {"latency_ms": True},
])
def test_fault_rules_with_wrong_types_are_refused(emulator: Any, credential: Any, rg: str,
                                                  rule: dict[str, Any]) -> None:
    with pytest.raises(urllib.error.HTTPError) as err:
        emulator.admin.set_faults({"seed": 1, "rules": [{"path": "rg1$", "status": 503, **rule}]})
    assert err.value.code == 400
    assert _no_retry(emulator, credential)["rm"].resource_groups.get(rg).name == "rg1"


def test_fault_rule_method_is_case_insensitive(emulator: Any, credential: Any, rg: str) -> None:
    cl = _no_retry(emulator, credential)
    assert _pattern(emulator, cl, {"seed": 0, "rules": [{"method": "get", "path": "rg1$", "status": 500,
                                                         "count": 1}]}, 2) == [500, 200]


def test_faults_never_touch_the_admin_routes(emulator: Any) -> None:
    emulator.admin.set_faults({"seed": 0, "rules": [{"method": "*", "path": ".*", "status": 500}]})
    assert emulator.admin.resources() == []
    assert emulator.admin.requests() == []


def test_drop_connection_after_carries_the_write_out_then_drops_the_answer(emulator: Any, credential: Any,
                                                                           c: dict[str, Any], rg: str) -> None:
    # The client cannot tell whether its write landed (a reset after the front door accepted it): it did.
    cl = _no_retry(emulator, credential)
    emulator.admin.set_faults({"seed": 0, "rules": [{"method": "PUT", "path": "networksecuritygroups/n1$",
                                                     "drop_connection_after": True, "count": 1},
                                                    {"method": "PUT", "path": "userassignedidentities/id1$",
                                                     "drop_connection_after": True, "count": 1}]})
    with pytest.raises(ServiceResponseError):
        cl["net"].network_security_groups.begin_create_or_update(rg, "n1", {"location": "eastus"})
    with pytest.raises(ServiceResponseError):  # a synchronous type: the resource is complete at once
        cl["msi"].user_assigned_identities.create_or_update(rg, "id1", {"location": "eastus"})
    assert sorted(r["name"] for r in emulator.admin.resources()) == ["id1", "n1", "rg1"]
    assert cl["msi"].user_assigned_identities.get(rg, "id1").name == "id1"
    assert cl["net"].network_security_groups.get(rg, "n1").name == "n1"
    puts = [e for e in emulator.admin.requests() if e["method"] == "PUT" and "rg1/" in e["path"]]
    assert [(e["status"], e["fault"]["dropped"]) for e in puts] == [(201, True), (201, True)]
    # azure-core sends a PUT again after a read error: the write reaches Azure twice (a 409 while the first one's
    # operation is still in flight, else a second update).
    emulator.admin.set_faults({"seed": 0, "rules": [{"method": "PUT", "path": "networksecuritygroups/n2$",
                                                     "drop_connection_after": True, "count": 1}]})
    with contextlib.suppress(HttpResponseError):
        c["net"].network_security_groups.begin_create_or_update(rg, "n2", {"location": "eastus"})
    again = log_for(emulator.admin, "PUT", "/networkSecurityGroups/n2")
    assert len(again) == 2 and (again[0]["status"], again[0]["fault"]["dropped"]) == (201, True)
