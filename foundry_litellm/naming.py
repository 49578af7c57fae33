"""Deterministic resource names.

Every name is built from a resource token: Bicep's ``uniqueString(resourceGroup().id, location)`` ported
exactly (a MurmurHash64 variant of the dash-joined arguments in 13 base-32 characters), so names are stable
across runs and match what the reference template would produce for the same group. Each name is checked
against its type's Azure naming rules before anything is sent.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

_MASK = 0xFFFFFFFF
_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
_K1, _K2 = 597399067, 2869860233
_F1, _F2 = 2246822507, 3266489909


def _rotl(value: int, shift: int) -> int:
    return ((value << shift) | (value >> (32 - shift))) & _MASK


def _le32(data: bytes, offset: int, length: int) -> int:
    return int.from_bytes(data[offset : offset + length], "little")


def _fmix(value: int) -> int:
    value = ((value ^ (value >> 16)) * _F1) & _MASK
    value = ((value ^ (value >> 13)) * _F2) & _MASK
    return value ^ (value >> 16)


def _murmur64(data: bytes) -> int:
    """The 64-bit MurmurHash variant behind ARM's uniqueString (two 32-bit lanes, seed 0)."""
    h1 = h2 = 0
    length = len(data)
    index = 0
    while index + 8 <= length:
        k1 = _rotl((_le32(data, index, 4) * _K1) & _MASK, 15) * _K2 & _MASK
        h1 = (_rotl(h1 ^ k1, 19) + h2) & _MASK
        h1 = (h1 * 5 + 1444728091) & _MASK
        k2 = _rotl((_le32(data, index + 4, 4) * _K2) & _MASK, 17) * _K1 & _MASK
        h2 = (_rotl(h2 ^ k2, 13) + h1) & _MASK
        h2 = (h2 * 5 + 197830471) & _MASK
        index += 8
    tail = length - index
    if tail > 0:
        k1 = _le32(data, index, min(tail, 4))
        h1 ^= _rotl((k1 * _K1) & _MASK, 15) * _K2 & _MASK
        if tail > 4:
            k2 = _le32(data, index + 4, tail - 4)
            h2 ^= _rotl((k2 * _K2) & _MASK, 17) * _K1 & _MASK
    h1 ^= length
    h2 ^= length
    h1 = (h1 + h2) & _MASK
    h2 = (h2 + h1) & _MASK
    h1, h2 = _fmix(h1), _fmix(h2)
    h1 = (h1 + h2) & _MASK
    h2 = (h2 + h1) & _MASK
    return (h2 << 32) | h1


def unique_string(*values: str) -> str:
    """ARM's ``uniqueString(...)``: 13 characters of ``[a-z2-7]``."""
    value = _murmur64("-".join(values).encode())
    out = []
    for _ in range(13):
        out.append(_BASE32[value >> 59])
        value = (value << 5) & 0xFFFFFFFFFFFFFFFF
    return "".join(out)


def resource_token(subscription_id: str, resource_group: str, location: str) -> str:
    """The reference's token: ``toLower(uniqueString(resourceGroup().id, location))``."""
    group_id = f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
    return unique_string(group_id, location).lower()


def deterministic_guid(*parts: str) -> str:
    """A stable GUID for role-assignment names: the same scope, principal and role give the same name."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(p.lower() for p in parts)))


@dataclass(frozen=True)
class NameRule:
    min: int
    max: int
    pattern: str
    hint: str

    def check(self, kind: str, name: str) -> str | None:
        """None when ``name`` is valid, else a message."""
        if not self.min <= len(name) <= self.max:
            return f"{kind} name '{name}' must be {self.min}-{self.max} characters long"
        if not re.fullmatch(self.pattern, name):
            return f"{kind} name '{name}' is invalid: {self.hint}"
        return None


# Azure naming rules (learn.microsoft.com "Naming rules and restrictions for Azure resources").
RULES: dict[str, NameRule] = {
    "resource_group": NameRule(1, 90, r"[-\w.()]*[-\w()]", "letters, digits, '-', '_', '.', '(' and ')', "
                               "not ending in '.'"),
    "virtual_network": NameRule(2, 64, r"[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9_]",
                                "alphanumerics, '.', '-', '_'; start alphanumeric, end alphanumeric or '_'"),
    "subnet": NameRule(1, 80, r"[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9_])?", "alphanumerics, '.', '-', '_'"),
    "network_security_group": NameRule(1, 80, r"[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9_])?",
                                       "alphanumerics, '.', '-', '_'"),
    "managed_identity": NameRule(3, 128, r"[a-zA-Z0-9][a-zA-Z0-9_-]*", "alphanumerics, '-', '_'"),
    "log_analytics": NameRule(4, 63, r"[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]", "alphanumerics and '-'"),
    "application_insights": NameRule(1, 260, r"[^%&\\?/#<>]+", "no %&\\?/#<>"),
    "key_vault": NameRule(3, 24, r"[a-zA-Z](?!.*--)[a-zA-Z0-9-]*[a-zA-Z0-9]",
                          "alphanumerics and '-', start with a letter, no '--'"),
    "storage_account": NameRule(3, 24, r"[a-z0-9]+", "lowercase letters and digits only"),
    "cosmos_account": NameRule(3, 44, r"[a-z0-9](-?[a-z0-9])*", "lowercase letters, digits and '-'"),
    "search_service": NameRule(2, 60, r"[a-z0-9](-?[a-z0-9])*", "lowercase letters, digits and '-'"),
    "postgres_server": NameRule(3, 63, r"[a-z0-9](-?[a-z0-9])*", "lowercase letters, digits and '-'"),
    # redisenterprise.json (2025-07-01) ClusterNameParameter: 1-60 alphanumerics, single dashes between them.
    "redis_cluster": NameRule(1, 60, r"[A-Za-z0-9]+(-[A-Za-z0-9]+)*", "alphanumerics and single '-' between them"),
    "cognitive_account": NameRule(2, 64, r"[a-zA-Z0-9][a-zA-Z0-9-]*", "alphanumerics and '-'"),
    "foundry_project": NameRule(2, 64, r"[a-zA-Z0-9][a-zA-Z0-9_.-]*", "alphanumerics, '-', '_', '.'"),
    "container_app_environment": NameRule(2, 60, r"[a-z][a-z0-9-]*[a-z0-9]", "lowercase letters, digits, '-'"),
    "container_app": NameRule(2, 32, r"[a-z][a-z0-9-]*[a-z0-9]", "lowercase letters, digits and '-'"),
    "public_ip": NameRule(1, 80, r"[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9_])?", "alphanumerics, '.', '-', '_'"),
    "dns_label": NameRule(3, 63, r"[a-z][a-z0-9-]*[a-z0-9]", "lowercase letters, digits and '-'"),
    "application_gateway": NameRule(1, 80, r"[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9_])?",
                                    "alphanumerics, '.', '-', '_'"),
    "private_endpoint": NameRule(2, 64, r"[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9_])?",
                                 "alphanumerics, '.', '-', '_'"),
}


def check_name(kind: str, name: str) -> str | None:
    return RULES[kind].check(kind.replace("_", " "), name)
