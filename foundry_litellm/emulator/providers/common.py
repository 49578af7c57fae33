"""Helpers shared by providers: address arithmetic, generated values."""

from __future__ import annotations

import base64
import ipaddress
import secrets
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..authz import DEFAULT_OBJECT_ID
from ..errors import bad_request
from ..wire import Fault, Request, Response

if TYPE_CHECKING:
    from ..armpath import ArmRef
    from ..provider import ArmCalls, Provider

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def cidr(value: object, field: str) -> Network:
    if not isinstance(value, str):
        raise bad_request("InvalidAddressPrefixFormat", f"{field} must be a CIDR string.", target=field)
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise bad_request(
            "InvalidAddressPrefixFormat", f"Address prefix '{value}' of {field} is not a valid CIDR: {exc}.",
            target=field,
        ) from exc


def contained(inner: Network, outer: list[Network]) -> bool:
    return any(inner.version == o.version and inner.subnet_of(o) for o in outer)  # type: ignore[arg-type]


def new_guid() -> str:
    return str(uuid.uuid4())


def new_key(nbytes: int = 64) -> str:
    return base64.b64encode(secrets.token_bytes(nbytes)).decode()


def system_data(record: dict[str, Any]) -> dict[str, Any]:
    """ARM's ``systemData`` of a record: the writer noted in ``internal`` (``createdBy``/``modifiedBy``, the
    caller's object id) or else the emulator's default caller, and the record's ``created``/``modified`` times
    (``internal`` may carry an older ``created``, as a recovered Key Vault does)."""
    internal = record.get("internal") or {}
    created: float = internal.get("created", record["created"])
    modified: float = internal.get("modified", created)
    by: str = internal.get("createdBy", DEFAULT_OBJECT_ID)
    return {"createdBy": by, "createdByType": "User",
            "createdAt": datetime.fromtimestamp(created, UTC).isoformat().replace("+00:00", "Z"),
            "lastModifiedBy": internal.get("modifiedBy", by), "lastModifiedByType": "User",
            "lastModifiedAt": datetime.fromtimestamp(modified, UTC).isoformat().replace("+00:00", "Z")}


def put_done_at_once(arm: ArmCalls, req: Request, ref: ArmRef, provider: Provider, fault: Fault, *,
                     body: dict[str, Any], status: int | None = None) -> Response:
    """A PUT that Azure answers already Succeeded although the type's writes usually take time (a recovered
    workspace, a search service whose capacity is ready): done in the request, whatever the durations say."""
    response = arm.put(ref, provider, body, req.api_version or "", fault, style="sync")
    if status is not None and response.status in (200, 201):
        response.status = status
    return response
