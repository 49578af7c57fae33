"""The deployer's rights: the actions each command needs, a check of the effective rights on the resource group
(``Microsoft.Authorization/permissions``, read before any write), and the words for a refusal, which name the
action, the scope and the built-in roles that grant it (Learn "Azure built-in roles").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Built-in roles that grant each kind of action (Learn "Azure built-in roles", "Azure permissions").
WRITERS = "Owner or Contributor"
ROLE_ASSIGNMENT_WRITERS = "Owner, User Access Administrator or Role Based Access Control Administrator"
READERS = "Reader (or any role above it)"


@dataclass(frozen=True)
class Need:
    """One action at one scope, and who grants it."""

    action: str
    scope: str
    roles: str

    def refused(self, consequence: str) -> str:
        return f"not allowed to perform {self.action} over {self.scope} ({self.roles} there grant it): {consequence}"


def subscription_scope(subscription_id: str) -> str:
    return f"/subscriptions/{subscription_id}"


def resource_type(resource_id: str) -> str | None:
    """``Microsoft.X/a/b`` for ``.../providers/Microsoft.X/a/n1/b/n2`` (the last provider segment, as an extension
    resource such as a role assignment is typed by it); the resource group's own type for a group id."""
    parts = resource_id.strip("/").split("/")
    lowered = [p.lower() for p in parts]
    if "providers" not in lowered:
        return "Microsoft.Resources/subscriptions/resourceGroups" if "resourcegroups" in lowered else None
    at = len(lowered) - 1 - lowered[::-1].index("providers")
    namespace, rest = parts[at + 1], parts[at + 2:]
    return "/".join([namespace, *rest[0::2]]) if rest else None


def group_needs(resource_ids: Iterable[str], group_id: str, verb: str) -> list[Need]:
    """``verb`` ("write" or "delete") on every type of resource that lies in the group."""
    types = sorted({t for rid in resource_ids if rid.lower().startswith(group_id.lower() + "/")
                    and (t := resource_type(rid)) is not None}, key=str.lower)
    return [Need(f"{t}/{verb}", group_id,
                 ROLE_ASSIGNMENT_WRITERS if t.lower() == "microsoft.authorization/roleassignments" else WRITERS)
            for t in types]


def _pattern(action: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(part) for part in action.split("*")) + "$", re.IGNORECASE)


def allowed(action: str, permissions: Iterable[dict[str, Any]]) -> bool:
    """ARM's rule: some role assignment's actions match and none of its notActions do."""
    for permission in permissions:
        actions = permission.get("actions") or []
        not_actions = permission.get("notActions") or []
        if any(_pattern(a).match(action) for a in actions) and not any(_pattern(n).match(action) for n in not_actions):
            return True
    return False


def missing(needs: Iterable[Need], permissions: list[dict[str, Any]]) -> list[Need]:
    return [need for need in needs if not allowed(need.action, permissions)]
