"""Helpers shared by providers: address arithmetic, generated values."""

from __future__ import annotations

import base64
import ipaddress
import secrets
import uuid

from ..errors import bad_request

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
