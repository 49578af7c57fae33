"""The deployer's rights: resource types from ids, ARM's action matching, what a group-scoped role misses."""

from __future__ import annotations

from foundry_litellm.access import Need, allowed, group_needs, missing, resource_type

GROUP = "/subscriptions/s1/resourceGroups/rg"
# Built-in role definitions (Learn "Azure built-in roles"): the parts that matter here.
OWNER = {"actions": ["*"], "notActions": []}
CONTRIBUTOR = {"actions": ["*"], "notActions": ["Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
                                                "Microsoft.Authorization/elevateAccess/Action"]}
RBAC_ADMIN = {"actions": ["Microsoft.Authorization/roleAssignments/write",
                          "Microsoft.Authorization/roleAssignments/delete", "*/read"], "notActions": []}
READER = {"actions": ["*/read"], "notActions": []}


def test_resource_type_of_nested_extension_and_group_ids() -> None:
    assert resource_type(f"{GROUP}/providers/Microsoft.Network/virtualNetworks/v/subnets/s") == \
        "Microsoft.Network/virtualNetworks/subnets"
    assert resource_type(f"{GROUP}/providers/Microsoft.KeyVault/vaults/kv/providers/Microsoft.Authorization/"
                         "roleAssignments/g") == "Microsoft.Authorization/roleAssignments"
    assert resource_type(GROUP) == "Microsoft.Resources/subscriptions/resourceGroups"
    assert resource_type("/subscriptions/s1/providers/Microsoft.App") is None


def test_actions_match_case_insensitively_with_wildcards_and_not_actions_win() -> None:
    assert allowed("Microsoft.Network/virtualNetworks/write", [CONTRIBUTOR])
    assert not allowed("Microsoft.Authorization/roleAssignments/write", [CONTRIBUTOR])
    assert allowed("microsoft.authorization/roleassignments/WRITE", [CONTRIBUTOR, RBAC_ADMIN])
    assert not allowed("Microsoft.Network/virtualNetworks/write", [READER])
    assert allowed("Microsoft.Network/virtualNetworks/read", [READER])


def test_contributor_alone_misses_only_the_role_assignments() -> None:
    ids = [f"{GROUP}/providers/Microsoft.Network/virtualNetworks/v",
           f"{GROUP}/providers/Microsoft.KeyVault/vaults/kv/providers/Microsoft.Authorization/roleAssignments/g",
           "/subscriptions/s1/resourceGroups/hub/providers/Microsoft.Network/privateDnsZones/z",  # not in the group
           "/subscriptions/s1/providers/Microsoft.App"]  # a registration: subscription scope
    needs = group_needs(ids, GROUP, "write")
    assert [n.action for n in needs] == ["Microsoft.Authorization/roleAssignments/write",
                                         "Microsoft.Network/virtualNetworks/write"]
    gaps = missing(needs, [CONTRIBUTOR])
    assert [n.action for n in gaps] == ["Microsoft.Authorization/roleAssignments/write"]
    assert "Role Based Access Control Administrator" in gaps[0].roles
    assert missing(needs, [OWNER]) == []


def test_a_refusal_names_the_action_the_scope_and_the_roles() -> None:
    text = Need("Microsoft.KeyVault/locations/deletedVaults/purge/action", "/subscriptions/s1",
                "Owner or Contributor").refused("the vault stays soft-deleted")
    assert "Microsoft.KeyVault/locations/deletedVaults/purge/action" in text
    assert "/subscriptions/s1" in text and "Owner or Contributor" in text
