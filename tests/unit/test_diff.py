"""The field-by-field comparison of desired and actual bodies."""

from __future__ import annotations

from foundry_litellm.diff import diff, merge


def test_extra_properties_azure_adds_are_not_drift() -> None:
    desired = {"location": "eastus2", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/20"]}}}
    actual = {"id": "x", "location": "eastus2", "etag": "W/1", "properties": {
        "addressSpace": {"addressPrefixes": ["10.0.0.0/20"]}, "provisioningState": "Succeeded"}}
    assert diff(desired, actual) == []


def test_changed_scalar_and_missing_key_are_reported_with_their_path() -> None:
    desired = {"properties": {"retentionInDays": 30, "sku": {"name": "PerGB2018"}}}
    actual = {"properties": {"retentionInDays": 60}}
    changes = {c.path: (c.actual, c.desired) for c in diff(desired, actual)}
    assert changes == {"properties.retentionInDays": (60, 30), "properties.sku": (None, {"name": "PerGB2018"})}


def test_named_lists_match_by_name_in_any_order() -> None:
    desired = {"rules": [{"name": "b", "properties": {"port": 2}}, {"name": "a", "properties": {"port": 1}}]}
    actual = {"rules": [{"name": "A", "properties": {"port": 1, "x": 0}}, {"name": "b", "properties": {"port": 3}}]}
    assert [c.path for c in diff(desired, actual)] == ["rules[b].properties.port"]


def test_resource_ids_compare_without_case_but_other_strings_do_not() -> None:
    assert diff({"id": "/subscriptions/A/resourceGroups/RG"}, {"id": "/subscriptions/a/resourcegroups/rg"}) == []
    assert diff({"tags": {"owner": "Team"}}, {"tags": {"owner": "team"}}) != []


def test_scalar_lists_compare_as_sets_and_booleans_strictly() -> None:
    assert diff({"p": ["b", "a"]}, {"p": ["a", "b"]}) == []
    assert diff({"p": ["a"]}, {"p": ["a", "b"]}) != []
    assert diff({"flag": False}, {"flag": 0}) != []
    assert diff({"flag": False}, {"flag": False}) == []


def test_ignored_paths_are_never_compared() -> None:
    assert diff({"properties": {"password": "x"}}, {"properties": {}}, ignore=("properties.password",)) == []


def test_merge_keeps_server_side_children_unless_desired_sets_them() -> None:
    actual = {"properties": {"subnets": [{"name": "a"}], "other": 1}}
    body = merge(actual, {"properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/20"]}}},
                 ("properties.subnets",))
    assert body == {"properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/20"]}, "subnets": [{"name": "a"}]}}
    assert "other" not in body["properties"]
