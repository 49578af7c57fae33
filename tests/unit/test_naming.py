"""Naming: the uniqueString port and Azure's naming rules."""

from __future__ import annotations

import pytest

from foundry_litellm import naming

# Vectors verified against Bicep's uniqueString() (published with a public bash port of the function).
VECTORS = [
    (("test",), "rbgf3xv4ufgzg"),
    (("hello", "world"), "a7wkljktk6wne"),
    (("abc",), "cgtzqvhu4i23s"),
    (("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/my-rg",), "bmg7c6xu4tw46"),
    (("foo", "bar", "baz"), "xzi4ioaxtmth4"),
]


@pytest.mark.parametrize(("args", "expected"), VECTORS)
def test_unique_string_matches_bicep(args: tuple[str, ...], expected: str) -> None:
    assert naming.unique_string(*args) == expected


def test_resource_token_is_stable_and_depends_on_group_and_location() -> None:
    token = naming.resource_token("00000000-0000-0000-0000-000000000001", "rg", "eastus2")
    assert token == naming.resource_token("00000000-0000-0000-0000-000000000001", "rg", "eastus2")
    assert len(token) == 13 and token.isalnum() and token == token.lower()
    assert token != naming.resource_token("00000000-0000-0000-0000-000000000001", "rg2", "eastus2")
    assert token != naming.resource_token("00000000-0000-0000-0000-000000000001", "rg", "westus")


def test_deterministic_guid_ignores_case_and_changes_with_any_part() -> None:
    a = naming.deterministic_guid("/subscriptions/S/rg", "principal", "role")
    assert a == naming.deterministic_guid("/subscriptions/s/RG", "PRINCIPAL", "role")
    assert a != naming.deterministic_guid("/subscriptions/s/rg", "principal", "other-role")


@pytest.mark.parametrize(("kind", "name", "ok"), [
    ("key_vault", "kv-abc", True),
    ("key_vault", "kv--abc", False),
    ("key_vault", "1kv", False),
    ("key_vault", "k" * 25, False),
    ("storage_account", "stabc123", True),
    ("storage_account", "st-abc", False),
    ("storage_account", "STABC", False),
    ("resource_group", "rg.name", True),
    ("resource_group", "rg.", False),
    ("container_app", "ca-litellm-abcdefghijklm", True),
    ("container_app", "Ca-upper", False),
    ("virtual_network", "vnet-a", True),
    ("virtual_network", "v", False),
])
def test_name_rules(kind: str, name: str, ok: bool) -> None:
    assert (naming.check_name(kind, name) is None) is ok
