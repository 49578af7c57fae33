"""Foundry accounts answer as the Azure CLI's recordings against real Azure show
(tests/conformance/recordings/cognitiveservices__test_cognitiveservices_softdelete.yaml and _aiservices.yaml):
DELETE is 200 at once and the deleted account is listed right away; a restore is 201 Succeeded at once; the purge
is 202 with no body and both operation headers; the bodies carry systemData and the service properties."""

from __future__ import annotations

import json
from typing import Any

from azure.core.rest import HttpRequest

from tests.emulator.foundry_support import LOCATION, raw
from tests.emulator.helpers import SUB, rid

API = "2025-06-01"
ACCOUNT: dict[str, Any] = {"location": LOCATION, "kind": "AIServices", "sku": {"name": "S0"},
           "identity": {"type": "SystemAssigned"}, "properties": {"allowProjectManagement": True}}


def _send(c: dict[str, Any], method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """One request through the SDK's pipeline (real HTTPS to the emulator), without its LRO poller."""
    return c["net"].send_request(HttpRequest(method, f"{path}?api-version={API}", json=body))


def _account(rg: str, name: str) -> str:
    return rid(rg, f"Microsoft.CognitiveServices/accounts/{name}")


def _deleted(rg: str, name: str) -> str:
    return (f"/subscriptions/{SUB}/providers/Microsoft.CognitiveServices/locations/{LOCATION}/resourceGroups/{rg}/"
            f"deletedAccounts/{name}")


def test_account_delete_is_200_at_once_and_the_deleted_account_is_listed_right_away(
        c: dict[str, Any], rg: str) -> None:
    # cognitiveservices__test_cognitiveservices_softdelete.yaml: DELETE 200, content-length 0, no LRO headers.
    c["cs"].accounts.begin_create(rg, "acct1", raw(ACCOUNT)).result()
    answer = _send(c, "DELETE", _account(rg, "acct1"))
    assert answer.status_code == 200 and answer.text() == ""
    assert not {"azure-asyncoperation", "location"} & {h.lower() for h in answer.headers}
    deleted = _send(c, "GET", _deleted(rg, "acct1"))
    assert deleted.status_code == 200
    body = deleted.json()
    assert body["type"] == "Microsoft.CognitiveServices/deletedAccounts" and body["etag"]
    assert set(body["systemData"]) >= {"createdBy", "createdByType", "createdAt", "lastModifiedBy",
                                       "lastModifiedByType", "lastModifiedAt"}
    assert body["properties"]["callRateLimit"]["rules"] and body["properties"]["privateEndpointConnections"] == []
    assert [d.name for d in c["cs"].deleted_accounts.list()] == ["acct1"]


def test_restore_is_201_succeeded_at_once_and_brings_the_account_back(c: dict[str, Any], rg: str) -> None:
    # cognitiveservices__test_cognitiveservices_softdelete.yaml: PUT {"location", "properties": {"restore": true}}
    # answers 201 with provisioningState Succeeded and no operation headers; kind, sku and subdomain come back.
    body = {**ACCOUNT, "properties": {**ACCOUNT["properties"], "customSubDomainName": "acct1sub"}}
    created = c["cs"].accounts.begin_create(rg, "acct1", raw(body)).result()
    assert _send(c, "DELETE", _account(rg, "acct1")).status_code == 200
    answer = _send(c, "PUT", _account(rg, "acct1"), {"location": LOCATION, "properties": {"restore": True}})
    assert answer.status_code == 201
    assert not {"azure-asyncoperation", "location"} & {h.lower() for h in answer.headers}
    restored = answer.json()
    assert restored["properties"]["provisioningState"] == "Succeeded"
    assert restored["kind"] == "AIServices" and restored["sku"] == {"name": "S0"}
    assert restored["properties"]["customSubDomainName"] == "acct1sub"
    assert restored["properties"]["internalId"] == created.properties.internal_id
    assert list(c["cs"].deleted_accounts.list()) == []


def test_purge_is_202_without_a_body_with_both_operation_headers(c: dict[str, Any], rg: str) -> None:
    # cognitiveservices__test_cognitiveservices_softdelete.yaml: the purge DELETE answers 202, content-length 0,
    # Azure-AsyncOperation and Location; polled to Succeeded.
    c["cs"].accounts.begin_create(rg, "acct1", raw(ACCOUNT)).result()
    c["cs"].accounts.begin_delete(rg, "acct1").result()
    answer = _send(c, "DELETE", _deleted(rg, "acct1"))
    assert answer.status_code == 202 and answer.text() == ""
    headers = {h.lower() for h in answer.headers}
    assert {"azure-asyncoperation", "location"} <= headers
    c["cs"].deleted_accounts.begin_purge(LOCATION, rg, "acct1").result()  # re-attaches to the running purge
    assert list(c["cs"].deleted_accounts.list()) == []


def test_account_body_has_system_data_and_the_service_properties(c: dict[str, Any], rg: str) -> None:
    # cognitiveservices__test_cognitiveservices_aiservices.yaml: an AIServices account without a subdomain.
    c["cs"].accounts.begin_create(rg, "acct1", raw(ACCOUNT)).result()
    body = _send(c, "GET", _account(rg, "acct1")).json()
    props = body["properties"]
    rule = props["callRateLimit"]["rules"][0]
    assert isinstance(rule["key"], str) and isinstance(rule["renewalPeriod"], int) and isinstance(rule["count"], int)
    assert rule["matchPatterns"][0].keys() == {"path", "method"}
    assert props["apiProperties"] == {"qnaAzureSearchEndpointKey": None} and props["isMigrated"] is False
    assert props["capabilities"][0] == {"name": "VirtualNetworks"}
    assert props["endpoints"]["AI Foundry API"] == "https://acct1.services.ai.azure.com/"
    assert props["endpoint"] == f"https://{LOCATION}.api.cognitive.microsoft.com/"
    system = body["systemData"]
    assert system["createdByType"] == "User" and system["createdAt"].endswith("Z")
    assert system["lastModifiedAt"] >= system["createdAt"]
    json.dumps(body)  # plain JSON throughout
