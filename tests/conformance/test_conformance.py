"""`foundry-litellm emulator conformance`: the pure parts on tiny inline cassettes, and one run on the corpus."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from foundry_litellm import conformance as c
from foundry_litellm.emulator.providers import registry

RECORDINGS = Path(__file__).parent / "recordings"
ARM = "https://management.azure.com"
SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
RG = f"{SUB}/resourceGroups/clitest.rg000001"

CASSETTE = f"""
interactions:
- request:
    body: '{{"location": "westus", "properties": {{"subnet": {{"id": "{RG}/providers/Microsoft.Network/x"}}}}}}'
    headers: {{}}
    method: PUT
    uri: {ARM}{RG}/providers/Microsoft.Storage/storageAccounts/cli000002?api-version=2021-02-01
  response:
    body: {{string: ''}}
    headers:
      Location: ['{ARM}:443{SUB}/providers/Microsoft.Storage/locations/westus/asyncoperations/abc?api-version=1']
      date: ['Mon, 19 Apr 2021 11:14:42 GMT']
    status: {{code: 202, message: Accepted}}
- request:
    body: null
    headers: {{}}
    method: GET
    uri: {ARM}{SUB}/providers/Microsoft.Storage/locations/westus/asyncoperations/abc?api-version=1
  response:
    body: {{string: '{{"status": "Succeeded"}}'}}
    headers:
      date: ['Mon, 19 Apr 2021 11:15:02 GMT']
    status: {{code: 200, message: OK}}
"""


def test_load_and_recorded_terminal_state(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(CASSETTE)
    items = c.load(path)
    assert [(it.method, it.status) for it in items] == [("PUT", 202), ("GET", 200)]
    assert items[0].headers["location"].startswith(f"{ARM}:443/")
    assert c.recorded_terminal(items, 0) == "Succeeded"  # the poll's URI lacks the header's ":443"
    assert c.recorded_terminal(items, 1) is None
    assert c.recorded_gaps(items) == [0.0, 20.0]


def test_scope_classification() -> None:
    reg = registry()
    polled = {f"{ARM}{SUB}/somewhere/else?api-version=1"}

    def why(uri: str, method: str = "GET") -> str | None:
        return c.out_of_scope(uri, method, reg, polled)

    assert why(f"{ARM}{RG}/providers/Microsoft.Storage/storageAccounts/a?api-version=1") is None
    assert why(f"{ARM}{RG}?api-version=2021-04-01") is None
    assert why(f"{ARM}{SUB}/providers/Microsoft.Storage/register?api-version=2021-04-01", "POST") is None
    assert why("https://cli000002.vault.azure.net/secrets/s?api-version=7.4") == "not ARM (cli000002.vault.azure.net)"
    assert why("https://graph.microsoft.com/v1.0/me") == "not ARM (graph.microsoft.com)"
    assert why(f"{ARM}{RG}/providers/Microsoft.Resources/deployments/d?api-version=1", "PUT") \
        == "Microsoft.Resources/deployments"
    assert why(f"{ARM}{SUB}/providers/Microsoft.Network/locations/westus/operations/abc?api-version=1") \
        == "operation poll"
    assert why(f"{ARM}{SUB}/somewhere/else?api-version=1") == "operation poll"  # a URL an LRO header named
    assert why(f"{ARM}{RG}/providers/Microsoft.Compute/virtualMachines/vm?api-version=1") \
        == "no provider for Microsoft.Compute/virtualMachines"
    assert why(f"{ARM}/providers/Microsoft.Authorization/operations?api-version=1") == "not a resource path"


def test_host_and_subscription_mapping() -> None:
    uri = f"{ARM}:443{SUB}/resourceGroups/clitest.rg000001?api-version=1"
    mapped = c.map_text(uri, "https://127.0.0.1:8443/")
    assert mapped == f"https://127.0.0.1:8443/subscriptions/{c.SUBSCRIPTION}/resourceGroups/clitest.rg000001?api-version=1"
    body = '{"id": "/subscriptions/69025406-6e93-4e67-8c42-da236d205106/resourceGroups/g"}'
    assert c.map_text(body, "https://e") == f'{{"id": "/subscriptions/{c.SUBSCRIPTION}/resourceGroups/g"}}'


def test_property_paths_nested_and_lists_by_first_element() -> None:
    body = {"id": "x", "properties": {"n": 1, "ok": True, "tags": None, "rules": [{"key": "a"}, {"other": 1}]},
            "empty": []}
    assert c.property_paths(body) == {
        "id": "string", "properties": "object", "properties.n": "number", "properties.ok": "boolean",
        "properties.tags": "null", "properties.rules": "array", "properties.rules[].key": "string",
        "empty": "array"}
    assert c.property_paths([{"a": 1.5}]) == {"[].a": "number"}


def test_missing_paths_counts_absent_and_retyped_but_not_recorded_null() -> None:
    recorded = {"id": "x", "etag": "W/\"1\"", "properties": {"n": 1, "tags": None, "list": [{"k": "v"}]}}
    ours = {"id": "x", "properties": {"n": "1", "tags": {"a": "b"}, "list": []}, "extra": 1}
    assert c.missing_paths(recorded, ours) == ["etag", "properties.n", "properties.list[].k"]
    assert c.missing_paths(recorded, recorded) == []
    assert c.missing_paths({"a": 1}, None) == ["a"]


def test_lro_contract_error_codes_and_terminal_states() -> None:
    assert c.lro_contract({"location": "u", "retry-after-ms": "5"}, "") == {
        "Azure-AsyncOperation": False, "Location": True, "Retry-After": True, "body": False, "state": None}
    assert c.lro_contract({}, '{"properties": {"provisioningState": "Creating"}}')["state"] == "Creating"
    err = '{"error": {"code": "Top", "message": "m", "details": [{"code": "Inner"}]}}'
    assert c.error_codes(400, err) == ["Top", "Inner"]
    assert c.error_codes(200, err) == []
    assert c.error_codes(404, "not json") == []
    assert c.terminal(202, "") is None
    assert c.terminal(200, '{"status": "InProgress"}') is None
    assert c.terminal(200, '{"status": "Succeeded"}') == "Succeeded"
    assert c.terminal(204, "") == "Succeeded"
    assert c.terminal(500, "") == "Failed"


def test_cassettes_expands_folders(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text("interactions: []")
    (tmp_path / "a.yaml").write_text("interactions: []")
    (tmp_path / "notes.md").write_text("")
    single = tmp_path / "a.yaml"
    assert c.cassettes([tmp_path, single]) == [tmp_path / "a.yaml", tmp_path / "b.yaml", single]


def test_corpus_runs_and_prints_a_summary() -> None:
    """Not that the emulator passes (it is not yet brought to the recordings): that the replay completes."""
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "foundry_litellm", "emulator", "conformance", str(RECORDINGS),
                           "-o", "json"], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    assert time.monotonic() - start < 120
    report = json.loads(proc.stdout)
    summary = report["summary"]
    assert summary["recordings"] == len(list(RECORDINGS.glob("*.yaml"))) == len(report["recordings"])
    assert summary["in_scope"] > 0
    assert 0 <= summary["status"] <= summary["in_scope"]
    assert 0.0 <= summary["path_coverage"] <= 100.0
    assert proc.returncode == (0 if summary["status"] == summary["lro"] == summary["error"] == summary["in_scope"]
                               else 1)
