"""One deploy per retry path, each with one targeted, count-limited fault and an assertion from the request log.

azure-core's RetryPolicy (1.41.0) sets the bounds these faults go past: retry_status 3 (the 4th 408/429/5xx
answer in a row is returned to the caller), a POST or PATCH retried only on 500/503/504 or a Retry-After
header (not on 408/429 with ``retry-after-ms`` alone), and no retry of a POST or PATCH whose connection dropped
(only HEAD, GET, PUT, DELETE, OPTIONS, TRACE are retried after a read error) — while a PUT whose connection
dropped after the server carried it out is sent again blind.
"""

from __future__ import annotations

from typing import Any

import pytest

from foundry_litellm.config import DEFAULT_MODELS, ModelSection

from .chaos import OPERATION_POLL, cli, deploy_checked, deploy_under, landed, matching
from .conftest import CONFIG, TIME_SCALE, Workspace, path_key, served

FOURTH_MODEL = "".join(
    f'\n[[gateway.models]]\nname = "{m.name}"\ndeployment = "{m.deployment}"\napi_version = "{m.api_version}"\n'
    for m in (*DEFAULT_MODELS, ModelSection(name="azure-gpt-4o", deployment="gpt-4o", api_version="2024-10-21")))
PG_POLL = r"/providers/microsoft\.dbforpostgresql/locations/[^/]+/operationstatuses/"


def _rule(method: str, path: str, **fault: Any) -> dict[str, Any]:
    return {"seed": 1, "rules": [{"method": method, "path": path, **fault}]}


def test_an_operation_poll_answered_503_five_times_in_a_row_is_polled_on(workspace: Workspace) -> None:
    # azure-core: retry_status 3, so the 4th 503 on a poll ends the poller with an error; the operation goes on.
    deploy = deploy_under(workspace, _rule("GET", PG_POLL, status=503, count=5), time_scale=TIME_SCALE)
    assert deploy.result.returncode == 0, deploy.error
    polls = matching(deploy.log, "GET", PG_POLL)
    first = path_key(polls[0])
    assert OPERATION_POLL.search(first)
    assert [e["status"] for e in polls[:5]] == [503] * 5 and {path_key(e) for e in polls[:5]} == {first}
    assert any(path_key(e) == first and e["status"] == 200 for e in polls[5:]), "the same operation is polled on"
    server = matching(deploy.log, "PUT", r"/flexibleservers/[^/]+$")
    assert len(server) == 1 and landed(server[0]), "one PUT: the operation is waited for, not started again"
    assert deploy.out_of_sync == {}


@pytest.mark.parametrize("fault", [
    # azure-core retries a POST on 503 three times only (retry_status 3).
    pytest.param({"status": 503, "count": 4}, id="503-four-times"),
    # azure-core never retries a POST whose connection dropped (not in its method allow-list).
    pytest.param({"drop_connection": True, "count": 1}, id="dropped"),
])
def test_the_workspace_shared_keys_post_is_retried(workspace: Workspace, fault: dict[str, Any]) -> None:
    deploy = deploy_under(workspace, _rule("POST", r"/sharedkeys$", **fault), time_scale=TIME_SCALE)
    assert deploy.result.returncode == 0, deploy.error
    posts = matching(deploy.log, "POST", r"/sharedkeys$")
    expected = [503] * 4 if "status" in fault else [None]
    assert [e["status"] for e in posts] == [*expected, 200]
    assert deploy.out_of_sync == {}


def test_a_connection_patch_answered_429_four_times_is_retried(workspace: Workspace) -> None:
    # Retry-After in whole seconds as Azure sends it: azure-core then retries any method, but 3 times only.
    static = r"/accounts/[^/]+/connections/litellm-gateway-[^/]+-static$"
    with served(workspace) as srv:
        assert cli(workspace, srv, "deploy", "--yes").returncode == 0
        (workspace.path / "foundry-litellm.toml").write_text(CONFIG + FOURTH_MODEL)  # the static list changes
        srv.admin.set_faults(_rule("PATCH", static, status=429, retry_after=1, count=4))
        deploy = deploy_checked(workspace, srv)
    assert deploy.result.returncode == 0, deploy.error
    assert [e["status"] for e in matching(deploy.log, "PATCH", static)] == [429] * 4 + [200]
    assert matching(deploy.log, "PUT", static) == [], "an update is a PATCH (a PUT would need the master key)"
    assert deploy.out_of_sync == {}


def test_the_initial_put_of_an_operation_answered_503_four_times_is_sent_again(workspace: Workspace) -> None:
    # azure-core retries a PUT on 503 three times (retry_status 3); the 4th answer is the caller's to handle.
    server = r"/flexibleservers/[^/]+$"
    deploy = deploy_under(workspace, _rule("PUT", server, status=503, count=4), time_scale=TIME_SCALE)
    assert deploy.result.returncode == 0, deploy.error
    puts = matching(deploy.log, "PUT", server)
    assert [e["status"] for e in puts[:4]] == [503] * 4
    assert len([e for e in puts if landed(e)]) == 1, [e["status"] for e in puts]
    assert deploy.out_of_sync == {}


@pytest.mark.parametrize("target", [
    pytest.param(r"/vaults/[^/]+/secrets/litellm-salt-key$", id="key-vault-secret"),  # synchronous PUT
    pytest.param(r"/networksecuritygroups/nsg-[^/]+-default$", id="network-security-group"),  # long-running
    pytest.param(r"/managedenvironments/[^/]+$", id="container-apps-environment"),  # long-running
])
def test_a_put_whose_connection_dropped_after_it_landed_is_read_back_not_sent_again(workspace: Workspace,
                                                                                    target: str) -> None:
    # azure-core re-sends a PUT after a read error: a second write of what Azure already holds.
    deploy = deploy_under(workspace, _rule("PUT", target, drop_connection_after=True, count=1),
                          time_scale=TIME_SCALE)
    assert deploy.result.returncode == 0, deploy.error
    puts = matching(deploy.log, "PUT", target)
    assert len(puts) == 1 and landed(puts[0]) and puts[0]["fault"]["dropped"], \
        [(e["status"], e.get("fault")) for e in puts]
    reads = [e for e in matching(deploy.log, "GET", target) if e["seq"] > puts[0]["seq"]]
    assert reads and reads[0]["status"] == 200, "the tool reads the resource back after the lost answer"
    assert deploy.out_of_sync == {}


def test_a_read_answered_408_four_times_is_retried(workspace: Workspace) -> None:
    # 408 Request Timeout is retryable; azure-core gives up after retry_status 3.
    vault = r"/providers/microsoft\.keyvault/vaults/[^/]+$"
    deploy = deploy_under(workspace, _rule("GET", vault, status=408, count=4), time_scale=TIME_SCALE)
    assert deploy.result.returncode == 0, deploy.error
    gets = matching(deploy.log, "GET", vault)
    assert [e["status"] for e in gets[:4]] == [408] * 4 and gets[4]["status"] in (200, 404)
    assert deploy.out_of_sync == {}
