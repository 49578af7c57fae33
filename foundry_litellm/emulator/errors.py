"""ARM error bodies, as the real Resource Manager sends them."""

from __future__ import annotations

from typing import Any


class ArmError(Exception):
    """An error the emulator answers with: an HTTP status and an ARM error body."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        target: str | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        self.details = details or []
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.target:
            error["target"] = self.target
        if self.details:
            error["details"] = self.details
        return {"error": error}


def not_found(type_: str, name: str, resource_group: str | None) -> ArmError:
    where = f" under resource group '{resource_group}'" if resource_group else ""
    return ArmError(
        404,
        "ResourceNotFound",
        f"The Resource '{type_}/{name}'{where} was not found. "
        "For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    )


def group_not_found(resource_group: str) -> ArmError:
    return ArmError(404, "ResourceGroupNotFound", f"Resource group '{resource_group}' could not be found.")


def parent_not_found(action: str, type_: str, parent_id: str) -> ArmError:
    return ArmError(
        404,
        "ParentResourceNotFound",
        f"Failed to perform '{action}' on resource(s) of type '{type_}', "
        f"because the parent resource '{parent_id}' could not be found.",
    )


def bad_request(code: str, message: str, *, target: str | None = None) -> ArmError:
    return ArmError(400, code, message, target=target)


def conflict(code: str, message: str) -> ArmError:
    return ArmError(409, code, message)


def another_operation(resource_id: str, operation_id: str) -> ArmError:
    # Network RP wording; ARM serializes writes on a resource and its parent (azurerm#3780).
    return ArmError(
        409,
        "AnotherOperationInProgress",
        f"Another operation on this or dependent resource is in progress. To retry later, please check status "
        f"of the operation: {operation_id}. Contact support if issue persists. Resource: {resource_id}",
    )


# The three forms in which Azure says "another operation holds this" (see arm.py ``contention``):
# 409 AnotherOperationInProgress at once (above), 429 RetryableError whose details name the cause
# (ReferencedResourceNotProvisioned; RetryableErrorDueToAnotherOperation, cluster-api-provider-azure#4385, from a
# fault rule), and an operation accepted and then ended Failed with one of those errors.
RETRYABLE = "RetryableError"
RETRYABLE_MESSAGE = "A retryable error occurred."


def referenced_not_provisioned(referenced_id: str, user_id: str, operation_name: str, *,
                               status: int = 429) -> ArmError:
    # A write that uses a subnet another operation is updating (hashicorp/terraform-provider-azurerm#21293,
    # #30197; hashicorp/terraform#7986).
    return ArmError(status, RETRYABLE, RETRYABLE_MESSAGE, details=[{
        "code": "ReferencedResourceNotProvisioned",
        "message": f"Cannot proceed with operation because resource {referenced_id} used by resource {user_id} is "
                   f"not in Succeeded state. Resource is in Updating state and the last operation that "
                   f"updated/is updating the resource is {operation_name}.",
    }])
