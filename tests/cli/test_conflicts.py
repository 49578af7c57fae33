"""Every form of "another operation holds this", driven through the CLI with one count-limited fault rule.

Azure refuses a write on a VNet, its subnets and what hangs on them in three forms: 409 AnotherOperationInProgress
at once (azurerm#3780), 429 RetryableError with the cause in ``details`` (cluster-api-provider-azure#4385,
terraform-provider-azurerm#21293), and an accepted write whose operation ends Failed with such an error
(terraform-provider-azurerm#30197, bicep#5132). Nothing landed in any of them: the deploy sends the write again
(after reading the resource back, for a failed operation) and ends in sync.
"""

from __future__ import annotations

from typing import Any

import pytest

from .chaos import deploy_under, matching
from .conftest import TIME_SCALE, Workspace, path_key

SUBNET = r"/virtualnetworks/[^/]+/subnets/[^/]+$"
ENDPOINT = r"/privateendpoints/[^/]+$"
RETRYABLE = {"error_code": "RetryableError", "message": "A retryable error occurred."}


def _rule(path: str, **fault: Any) -> dict[str, Any]:
    return {"seed": 1, "rules": [{"method": "PUT", "path": path, **fault}]}


def _writes_of_first(log: list[dict[str, Any]], pattern: str) -> tuple[str, list[dict[str, Any]]]:
    """The path of the first write matching ``pattern`` and every PUT sent to that path."""
    first = path_key(matching(log, "PUT", pattern)[0])
    return first, [e for e in log if e["method"] == "PUT" and path_key(e) == first]


@pytest.mark.parametrize(("pattern", "fault", "refused"), [
    pytest.param(SUBNET, {"status": 409, "error_code": "AnotherOperationInProgress", "count": 2}, [409, 409],
                 id="409-another-operation-azurerm-3780"),
    # The cause named only in details: matched on the codes there, never on the message.
    pytest.param(ENDPOINT, {"status": 409, "error_code": "Conflict", "count": 1, "details": [
        {"code": "AnotherOperationInProgress", "message": "Another operation is in progress."}]}, [409],
        id="409-cause-in-details"),
    pytest.param(SUBNET, {"status": 429, "retry_after": 0.05, "count": 2, **RETRYABLE, "details": [
        {"code": "RetryableErrorDueToAnotherOperation", "message": "Operation PutSubnetOperation is updating "
                                                                   "the resource."}]}, [429, 429],
        id="429-retryable-capz-4385"),
    pytest.param(ENDPOINT, {"status": 429, "retry_after": 0.05, "count": 1, **RETRYABLE, "details": [
        {"code": "ReferencedResourceNotProvisioned", "message": "Resource is in Updating state."}]}, [429],
        id="429-referenced-not-provisioned-azurerm-21293"),
])
def test_a_refused_write_is_sent_again(workspace: Workspace, pattern: str, fault: dict[str, Any],
                                       refused: list[int]) -> None:
    deploy = deploy_under(workspace, _rule(pattern, **fault), time_scale=TIME_SCALE)
    assert deploy.result.returncode == 0, deploy.error
    _, puts = _writes_of_first(deploy.log, pattern)
    statuses = [e["status"] for e in puts]
    assert statuses[:len(refused)] == refused and statuses[len(refused)] in (200, 201), statuses
    assert deploy.out_of_sync == {}


@pytest.mark.parametrize("pattern", [pytest.param(ENDPOINT, id="endpoint-azurerm-30197"),
                                     pytest.param(SUBNET, id="subnet-bicep-5132")])
def test_a_write_whose_operation_failed_with_a_conflict_is_read_back_then_sent_again(
        workspace: Workspace, pattern: str) -> None:
    fault = {"fail_operation": True, "count": 1, **RETRYABLE,
             "details": [{"code": "ReferencedResourceNotProvisioned", "message": "Resource is in Updating state."}]}
    deploy = deploy_under(workspace, _rule(pattern, **fault), time_scale=TIME_SCALE)
    assert deploy.result.returncode == 0, deploy.error
    path, puts = _writes_of_first(deploy.log, pattern)
    assert len(puts) == 2 and all(200 <= e["status"] < 300 for e in puts), "accepted, failed, sent once more"
    first, second = (deploy.log.index(e) for e in puts)
    between = deploy.log[first + 1:second]
    failed_poll = next(i for i, e in enumerate(between) if e["method"] == "GET" and "/operationstatuses/"
                       in path_key(e))
    assert any(e["method"] == "GET" and path_key(e) == path for e in between[failed_poll + 1:]), \
        "the resource is read back before the write is sent again"
    assert deploy.out_of_sync == {}
    assert not workspace.pending(), "no operation token is left behind"
