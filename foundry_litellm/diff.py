"""Compare what a step wants with what Azure has, field by field.

The desired body is a subset of the actual one: Azure adds read-only and defaulted properties, which are not
drift. Lists of named objects (subnets, rules) are matched by name; lists of scalars are compared as sets;
resource ids are compared without regard to case, as ARM treats them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

Json = dict[str, Any]


@dataclass(frozen=True)
class Change:
    path: str
    actual: Any
    desired: Any

    def describe(self) -> str:
        return f"{self.path}: {_short(self.actual)} → {_short(self.desired)}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_REGION_KEYS = frozenset({"location", "locationName"})


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and value.lower().startswith("/subscriptions/")


def _same_scalar(desired: Any, actual: Any, path: str) -> bool:
    if _is_id(desired) and isinstance(actual, str):
        return bool(desired.lower() == actual.lower())
    if path.rsplit(".", 1)[-1] in _REGION_KEYS and isinstance(desired, str) and isinstance(actual, str):
        # Some providers answer with the display name ("East US 2" from Cosmos DB) for "eastus2".
        return desired.replace(" ", "").lower() == actual.replace(" ", "").lower()
    if isinstance(desired, bool) or isinstance(actual, bool):
        return desired is actual
    return bool(desired == actual)


def _named(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(i, dict) and isinstance(i.get("name"), str) for i in items)


def diff(desired: Any, actual: Any, *, ignore: tuple[str, ...] = (), path: str = "") -> list[Change]:
    """Every place where ``actual`` does not hold what ``desired`` asks for."""
    if path in ignore:
        return []
    if isinstance(desired, dict):
        if not isinstance(actual, dict):
            return [Change(path or "(body)", actual, desired)]
        changes: list[Change] = []
        for key, value in desired.items():
            changes += diff(value, actual.get(key), ignore=ignore, path=f"{path}.{key}" if path else key)
        return changes
    if isinstance(desired, list):
        if not isinstance(actual, list):
            return [] if not desired and actual is None else [Change(path, actual, desired)]
        if _named(desired):
            by_name = {i.get("name", "").lower(): i for i in actual if isinstance(i, dict)}
            changes = []
            for item in desired:
                name = item["name"]
                rest = {k: v for k, v in item.items() if k != "name"}  # names matched above, without case
                match = by_name.get(name.lower())
                where = f"{path}[{name}]"
                changes += diff(rest, match, ignore=ignore, path=where) if match is not None else \
                    [Change(where, None, item)]
            return changes
        if all(not isinstance(i, (dict, list)) for i in desired):
            want = sorted(str(i).lower() if _is_id(i) else repr(i) for i in desired)
            have = sorted(str(i).lower() if _is_id(i) else repr(i) for i in actual)
            return [] if want == have else [Change(path, actual, desired)]
        if len(desired) != len(actual):
            return [Change(path, actual, desired)]
        changes = []
        for i, (d, a) in enumerate(zip(desired, actual, strict=True)):
            changes += diff(d, a, ignore=ignore, path=f"{path}[{i}]")
        return changes
    return [] if _same_scalar(desired, actual, path) else [Change(path, actual, desired)]


def merge(actual: Json, desired: Json, preserve: tuple[str, ...]) -> Json:
    """The body of an update: what the step wants, plus the server-side parts it must not wipe.

    A PUT replaces the whole resource, so properties managed elsewhere (a VNet's subnets, say) are carried
    over from the live resource.
    """
    body = copy.deepcopy(desired)
    for dotted in preserve:
        value = _get(actual, dotted)
        if value is not None and _get(body, dotted) is None:
            _set(body, dotted, copy.deepcopy(value))
    return body


def _get(node: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _set(node: Json, dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value
