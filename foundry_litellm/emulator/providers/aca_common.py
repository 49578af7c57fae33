"""Definitions shared by the Container Apps providers (environments and apps)."""

from __future__ import annotations

from ..errors import ArmError, bad_request
from ..provider import Json, prop

VERSIONS = frozenset({
    "2022-03-01", "2022-06-01-preview", "2022-10-01", "2022-11-01-preview", "2023-04-01-preview", "2023-05-01",
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
