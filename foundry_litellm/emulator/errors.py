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
