"""``foundry-litellm emulator serve`` as a subprocess: one JSON line when ready, serve until a signal, exit 0."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.resource.resources import ResourceManagementClient

from foundry_litellm.emulator import AdminClient
from tests.emulator.helpers import SUB, ServeProcess, clients, vnet_body


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_prints_one_json_line_serves_and_exits_0_on_signal(serve: Any, tmp_path: Path, credential: Any,
                                                          signum: int) -> None:
    proc: ServeProcess = serve(data_dir=tmp_path / "d")
    info = proc.ready()
    assert set(info) == {"url", "ca_cert", "data_dir"}
    assert info["url"].startswith("https://127.0.0.1:") and not info["url"].endswith(":0")
    assert Path(info["ca_cert"]).is_file() and Path(info["ca_cert"]).is_absolute()
    assert info["data_dir"] == str((tmp_path / "d").resolve())
    rm = ResourceManagementClient(credential, SUB, base_url=info["url"], connection_verify=info["ca_cert"])
    rm.resource_groups.create_or_update("rg1", {"location": "eastus"})  # it accepts connections already
    code, out, _ = proc.signal(signum)
    assert code == 0
    assert out == ""  # nothing after the one line that ready() read
    assert json.loads((tmp_path / "d" / "world.json").read_text())["resources"]


def test_options_reach_the_server(serve: Any, tmp_path: Path, credential: Any) -> None:
    proc = serve("--host", "127.0.0.1", "--time-scale", "0.5", "--latency-ms", "120", data_dir=tmp_path / "d")
    proc.ready()
    cl = clients(proc.sdk(), credential)
    cl["rm"].resource_groups.create_or_update("rg1", {"location": "eastus"})
    cl["net"].virtual_networks.begin_create_or_update("rg1", "v1", vnet_body(), polling=False)
    admin = AdminClient(proc.url, proc.ca_cert)
    assert admin.info()["time_scale"] == 0.5
    (op,) = admin.operations()
    assert op["due"] - op["start"] == pytest.approx(5.0, rel=1e-4)  # 10 s VNet x 0.5
    assert all(e["duration_ms"] >= 120 for e in admin.requests())
    # A second server on the same data dir is refused: one process owns a world.
    second = serve(data_dir=tmp_path / "d")
    out, err = second.proc.communicate(timeout=60)
    assert second.proc.returncode == 2 and out == "" and "another emulator" in err


def test_faults_file_uses_the_admin_format(serve: Any, tmp_path: Path, credential: Any) -> None:
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps({"seed": 1, "rules": [
        {"method": "GET", "path": "resourcegroups/rg1$", "status": 503, "count": 1, "error_code": "Busy"}]}))
    proc = serve("--faults", str(faults), data_dir=tmp_path / "d")
    proc.ready()
    rm = ResourceManagementClient(credential, SUB, **proc.sdk(), retry_total=0)
    rm.resource_groups.create_or_update("rg1", {"location": "eastus"})
    with pytest.raises(HttpResponseError) as err:
        rm.resource_groups.get("rg1")
    assert err.value.status_code == 503 and err.value.error.code == "Busy"
    assert rm.resource_groups.get("rg1").name == "rg1"  # count 1: fired once


@pytest.mark.parametrize("document", ['{"seed": 1, "rules": [{"colour": "red"}]}', "not json"])
def test_a_malformed_faults_file_is_refused_before_serving(serve: Any, tmp_path: Path, document: str) -> None:
    faults = tmp_path / "faults.json"
    faults.write_text(document)
    proc = serve("--faults", str(faults), data_dir=tmp_path / "d")
    out, err = proc.proc.communicate(timeout=60)
    assert proc.proc.returncode == 2
    assert out == "" and "error" in err


def test_the_registration_profile_is_an_option(serve: Any, tmp_path: Path) -> None:
    proc = serve("--registered", "new", data_dir=tmp_path / "d")
    proc.ready()
    assert AdminClient(proc.url, proc.ca_cert).info()["registered"] == "new"
    wrong = serve("--registered", "some", data_dir=tmp_path / "e")
    out, err = wrong.proc.communicate(timeout=60)
    assert wrong.proc.returncode == 2 and out == "" and "registered must be one of new, all" in err
