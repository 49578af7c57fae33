"""ARM's request throttling (Learn "Understand how Azure Resource Manager throttles requests": a token bucket per
subscription and principal; subscription reads 250 refilled at 25 a second, writes and deletes 200 at 10)."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from typing import Any

import pytest

from foundry_litellm.emulator.throttle import AZURE_LIMITS, Throttle, parse_bucket
from tests.conftest import SUBSCRIPTION

GROUPS = f"/subscriptions/{SUBSCRIPTION}/resourcegroups"
API = "?api-version=2021-04-01"


def _call(emu: Any, method: str, path: str, body: Any = None, token: str = "t1") -> tuple[int, dict[str, str], Any]:
    ctx = ssl.create_default_context(cafile=str(emu.ca_cert))
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(emu.url + path, data=data, method=method,
                                     headers={"Authorization": f"Bearer {token}",
                                              "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, context=ctx, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, json.loads(err.read() or b"null")


def test_azure_figures_are_the_default_and_every_answer_says_what_is_left(make_emulator: Any) -> None:
    assert AZURE_LIMITS == {"reads": (250, 25.0), "writes": (200, 10.0), "deletes": (200, 10.0)}
    emu = make_emulator()
    status, headers, _ = _call(emu, "GET", GROUPS + API)
    assert status == 200
    assert int(headers["x-ms-ratelimit-remaining-subscription-reads"]) == 249
    status, headers, _ = _call(emu, "PUT", f"{GROUPS}/rg1{API}", {"location": "eastus"})
    assert status == 201 and int(headers["x-ms-ratelimit-remaining-subscription-writes"]) == 199
    assert "x-ms-ratelimit-remaining-subscription-reads" not in headers  # one kind per answer, as ARM sends
    status, headers, _ = _call(emu, "GET", f"{GROUPS}/nothere{API}")
    assert status == 404 and "x-ms-ratelimit-remaining-subscription-reads" in headers  # errors count too
    status, headers, _ = _call(emu, "DELETE", f"{GROUPS}/rg1{API}")
    assert status in (200, 202) and int(headers["x-ms-ratelimit-remaining-subscription-deletes"]) == 199


def test_the_headers_count_down(make_emulator: Any) -> None:
    emu = make_emulator(throttle={"reads": "10/0.01"})
    left = [int(_call(emu, "GET", GROUPS + API)[1]["x-ms-ratelimit-remaining-subscription-reads"]) for _ in range(4)]
    assert left == [9, 8, 7, 6]


def test_past_the_budget_a_429_with_retry_after_and_arms_code(make_emulator: Any) -> None:
    emu = make_emulator(throttle={"writes": "2/0.5"})
    for i in range(2):
        assert _call(emu, "PUT", f"{GROUPS}/rg{i}{API}", {"location": "eastus"})[0] == 201
    status, headers, body = _call(emu, "PUT", f"{GROUPS}/rg9{API}", {"location": "eastus"})
    assert status == 429
    assert headers["retry-after"] == "2"  # one token at 0.5 a second
    assert headers["x-ms-ratelimit-remaining-subscription-writes"] == "0"
    assert body["error"]["code"] == "SubscriptionRequestsThrottled"
    assert body["error"]["message"].startswith(f"Number of 'write' requests for subscription '{SUBSCRIPTION}'")
    assert "Please try again after '2' seconds." in body["error"]["message"]
    assert "rg9" not in {r["name"] for r in emu.admin.resources()}  # refused before anything was done
    assert _call(emu, "GET", GROUPS + API)[0] == 200  # reads draw from their own bucket
    assert _call(emu, "PUT", f"{GROUPS}/rg9{API}", {"location": "eastus"}, token="t2")[0] == 201  # per principal
    logged = [e["status"] for e in emu.admin.requests() if e["method"] == "PUT"]
    assert logged == [201, 201, 429, 201]


def test_the_throttle_can_be_switched_off(make_emulator: Any) -> None:
    emu = make_emulator(throttle="off")
    _, headers, _ = _call(emu, "GET", GROUPS + API)
    assert not any(k.startswith("x-ms-ratelimit") for k in headers)


def test_a_refused_request_costs_nothing_and_the_bucket_refills() -> None:
    now = [0.0]
    throttle = Throttle({"reads": parse_bucket("2/1"), "writes": parse_bucket("2/1"),
                         "deletes": parse_bucket("2/1")}, clock=lambda: now[0])
    assert [v.remaining for v in (throttle.take("GET", "s", "p"), throttle.take("HEAD", "s", "p")) if v] == [1, 0]
    refused = throttle.take("GET", "s", "p")
    assert refused is not None and refused.retry_after == pytest.approx(1.0)
    now[0] = 1.0
    again = throttle.take("GET", "s", "p")
    assert again is not None and again.retry_after is None and again.remaining == 0
    assert throttle.take("POST", "s", "p").kind == "writes"  # type: ignore[union-attr]


@pytest.mark.parametrize("spec", ["5", "x/1", "0/1", "5/0", "5/-1"])
def test_a_malformed_bucket_is_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="SIZE/REFILL"):
        parse_bucket(spec)


def test_serve_takes_the_buckets_as_options(serve: Any) -> None:
    proc = serve("--throttle-writes", "1/0.2", "--time-scale", "0.002")
    proc.ready()
    emu = type("Served", (), {"url": proc.url, "ca_cert": proc.ca_cert})()
    assert _call(emu, "PUT", f"{GROUPS}/rg1{API}", {"location": "eastus"})[0] == 201
    status, headers, _ = _call(emu, "PUT", f"{GROUPS}/rg2{API}", {"location": "eastus"})
    assert status == 429 and headers["retry-after"] == "5"
    bad = serve("--throttle-reads", "lots")
    assert bad.proc.wait(timeout=60) == 2
