"""Definitions shared by the Container Apps providers (environments and apps)."""

from __future__ import annotations

from typing import Any

from ..errors import ArmError, bad_request
from ..provider import Json, prop

# 2022-01-01-preview and 2023-02-01: the api-supported-versions header of the Azure CLI recordings (containerapp/*).
VERSIONS = frozenset({
    "2022-01-01-preview", "2022-03-01", "2022-06-01-preview", "2022-10-01", "2022-11-01-preview", "2023-02-01",
    "2023-04-01-preview", "2023-05-01",
    "2023-05-02-preview", "2023-08-01-preview", "2023-11-02-preview", "2024-02-02-preview", "2024-03-01",
    "2024-08-02-preview", "2024-10-02-preview", "2025-01-01", "2025-02-02-preview", "2025-07-01",
    "2025-10-02-preview", "2026-01-01", "2026-07-01",
})
ENV_TYPE = "Microsoft.App/managedEnvironments"
APP_TYPE = "Microsoft.App/containerApps"


def is_workload_profiles(body: Json) -> bool:
    """Workload-profiles environments list their profiles; consumption-only (v1) ones have none."""
    return bool(prop(body, "properties.workloadProfiles"))


def infrastructure_subnet(body: Json) -> str | None:
    value = prop(body, "properties.vnetConfiguration.infrastructureSubnetId")
    return value if isinstance(value, str) and value else None


def app_environment_id(body: Json) -> str:
    props = body.get("properties") or {}
    return str(props.get("environmentId") or props.get("managedEnvironmentId") or "")


def template_error(field: str, details: str) -> ArmError:
    """The Container Apps umbrella validation error (microsoft/azure-container-apps#1159, #1174)."""
    return bad_request("InvalidParameterValueInContainerTemplate",
                       f"The following field(s) are either invalid or missing. Field '{field}' is invalid with "
                       f"details: '{details}';.")


def drop_nulls(value: Any) -> Any:
    """``value`` without the object members that are null: the RP reads a null setting as an absent one."""
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value]
    return value


def with_nulls(body: Any, skeleton: Any) -> Any:
    """``body`` with a null for each member of ``skeleton`` it lacks, as the RP serializes its model (every known
    setting, null when unset); a list's items are filled from the skeleton's first item."""
    if isinstance(skeleton, dict) and isinstance(body, dict):
        for key, sub in skeleton.items():
            if body.get(key) is None:
                body[key] = None
            elif sub is not None:
                body[key] = with_nulls(body[key], sub)
    elif isinstance(skeleton, list) and skeleton and isinstance(body, list):
        return [with_nulls(item, skeleton[0]) for item in body]
    return body
