"""Validation and defaults of a container app's ``template`` (containers, probes, volumes, scale).

Sources: the CPU/memory rule and message of ContainerAppInvalidResourceTotal (Azure/bicep-types-az#1924; the
Consumption profile of a workload-profiles environment goes to 4 vCPU / 8 GiB, Learn "workload-profiles-overview",
a consumption-only environment to 2 / 4); probe ranges from CommonDefinitions.json (2026-01-01), except the
failure threshold, which the service accepts up to 30 (ContainerAppProbeFailureThresholdOutOfRange,
microsoft/azure-container-apps#1100, whose message prints the literal 'Type'); a secretRef that names no secret
fails with ContainerAppSecretRefNotFound; the default resources are 0.5 vCPU / 1 GiB (Learn "containers").
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import ArmError, bad_request
from ..provider import Json
from .aca_common import template_error

_MEMORY = re.compile(r"(\d+(?:\.\d+)?)Gi")
# (field, minimum, maximum) of each probe setting; successThreshold must be 1 for Liveness and Startup.
_PROBE_RANGES = (("failureThreshold", 1, 30), ("initialDelaySeconds", 0, 60), ("periodSeconds", 1, 240),
                 ("timeoutSeconds", 1, 240), ("successThreshold", 1, 10))
_PROBE_TYPES = ("Liveness", "Readiness", "Startup")


def memory_gib(value: Any) -> float | None:
    match = _MEMORY.fullmatch(str(value).strip()) if value is not None else None
    return float(match.group(1)) if match else None


def _fmt(value: float) -> str:
    return f"{value:g}"


def _combinations(max_cpu: float) -> str:
    return "; ".join(f"[cpu: {n / 4}, memory: {n / 2}Gi]" for n in range(1, int(max_cpu * 4) + 1))


def _resources_error(cpu: float, memory: float, max_cpu: float) -> ArmError:
    return bad_request(
        "ContainerAppInvalidResourceTotal",
        f"The total requested CPU and memory resources for this application (CPU: {_fmt(cpu)}, memory: "
        f"{memory:.1f}) is invalid. Total CPU and memory for all containers defined in a Container App must add up "
        f"to one of the following CPU - Memory combinations: {_combinations(max_cpu)}",
    )


def _all_containers(template: Json) -> list[tuple[str, Json]]:
    return [("containers", c) for c in template.get("containers") or []] + \
        [("initContainers", c) for c in template.get("initContainers") or []]


def check_template(template: Json, secrets: set[str], *, max_cpu: float | None) -> None:
    """Refuse a template Azure refuses; ``max_cpu`` None skips the totals (Dedicated profiles).

    Init containers are counted in the totals with the app containers ("all containers defined in a Container
    App"); whether Azure counts them is not confirmed by the sources.
    """
    containers = template.get("containers") or []
    if not containers:
        raise template_error("template.containers", "Invalid value: \"null\": at least one container is required")
    volumes = {v.get("name"): v for v in template.get("volumes") or []}
    total_cpu = total_memory = 0.0
    for kind, container in _all_containers(template):
        name = container.get("name") or ""
        if not container.get("image"):
            raise template_error(f"template.{kind}.{name}.image", "Invalid value: \"\": image is required")
        resources = container.get("resources") or {}
        cpu = float(resources.get("cpu", 0.5))
        memory = memory_gib(resources.get("memory", "1Gi"))
        if memory is None:
            raise template_error(f"template.{kind}.{name}.resources.memory",
                                 f"Invalid value: \"{resources.get('memory')}\": memory must be in Gi, e.g. 1.0Gi")
        total_cpu += cpu
        total_memory += memory
        for env in container.get("env") or []:
            ref = env.get("secretRef")
            if ref is not None and ref not in secrets:
                raise bad_request("ContainerAppSecretRefNotFound",
                                  f"SecretRef '{ref}' defined for container '{name}' not found.")
        for mount in container.get("volumeMounts") or []:
            if mount.get("volumeName") not in volumes:
                raise template_error(f"template.{kind}.{name}.volumeMounts",
                                     f"Invalid value: \"{mount.get('volumeName')}\": no volume of that name")
        if kind == "containers":
            _check_probes(name, container.get("probes") or [])
    if max_cpu is not None:
        valid = total_cpu <= max_cpu and (total_cpu * 4).is_integer() and abs(total_memory - 2 * total_cpu) < 1e-9
        if not valid or total_cpu <= 0:
            raise _resources_error(total_cpu, total_memory, max_cpu)
    _check_volumes(volumes, secrets)
    _check_scale(template.get("scale") or {})


def _check_probes(container: str, probes: list[Json]) -> None:
    seen: set[str] = set()
    for probe in probes:
        kind = str(probe.get("type") or "")
        if kind.capitalize() in seen:
            raise template_error(f"template.containers.{container}.probes",
                                 f"Invalid value: \"{kind}\": only one probe of each type is allowed")
        seen.add(kind.capitalize())
        for field, low, high in _PROBE_RANGES:
            value = probe.get(field)
            if value is not None and not low <= int(value) <= high:
                title = field[0].upper() + field[1:]
                raise bad_request(f"ContainerAppProbe{title}OutOfRange",
                                  f"Container '{container}' 'Type' probe's {title} must be in the range of "
                                  f"['{low}', '{high}'].")
        if kind.capitalize() in ("Liveness", "Startup") and probe.get("successThreshold") not in (None, 1):
            raise bad_request("ContainerAppProbeSuccessThresholdOutOfRange",
                              f"Container '{container}' '{kind}' probe's SuccessThreshold must be 1.")
        port = (probe.get("httpGet") or probe.get("tcpSocket") or {}).get("port")
        if port is None or not 1 <= int(port) <= 65535:
            raise template_error(f"template.containers.{container}.probes",
                                 f"Invalid value: \"{port}\": a probe needs a port between 1 and 65535")


def _check_volumes(volumes: dict[Any, Json], secrets: set[str]) -> None:
    for name, volume in volumes.items():
        if str(volume.get("storageType") or "EmptyDir").lower() != "secret":
            continue
        for item in volume.get("secrets") or []:
            if item.get("secretRef") not in secrets:
                raise bad_request("ContainerAppSecretRefNotFound",
                                  f"SecretRef '{item.get('secretRef')}' defined for volume '{name}' not found.")


def _check_scale(scale: Json) -> None:
    low, high = scale.get("minReplicas"), scale.get("maxReplicas")
    if low is not None and not 0 <= int(low) <= 1000:
        raise template_error("template.scale.minReplicas", f"Invalid value: \"{low}\": must be between 0 and 1000")
    if high is not None and not 1 <= int(high) <= 1000:
        raise template_error("template.scale.maxReplicas", f"Invalid value: \"{high}\": must be between 1 and 1000")
    if low is not None and high is not None and int(low) > int(high):
        raise template_error("template.scale.minReplicas",
                             f"Invalid value: \"{low}\": minReplicas must not exceed maxReplicas ({high})")


def apply_defaults(template: Json) -> None:
    """What GET shows for settings the request left out."""
    for _, container in _all_containers(template):
        resources = container.setdefault("resources", {})
        resources.setdefault("cpu", 0.5)
        resources.setdefault("memory", "1Gi")
        gib = memory_gib(resources["memory"])
        if gib is not None:  # "1.0Gi" reads back as "1Gi" (recording containerapp/test_containerapp_e2e.yaml)
            resources["memory"] = f"{_fmt(gib)}Gi"
        resources["ephemeralStorage"] = f"{min(8, max(1, round(float(resources['cpu']) * 4)))}Gi"
    template.setdefault("scale", {}).setdefault("maxReplicas", 10)
