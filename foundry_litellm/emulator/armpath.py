"""Parse ARM request paths into typed references.

ARM paths are case-insensitive: the SDK sends ``resourcegroups`` where people write ``resourceGroups``.
Every reference keeps the caller's spelling for display and offers ``key`` (lower case) for lookups.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ArmRef:
    subscription: str
    resource_group: str | None
    scope: str  # everything before the last "/providers/": subscription, group or a parent resource id
    namespace: str | None
    types: tuple[str, ...]
    names: tuple[str, ...]
    action: str | None = None  # trailing POST segment such as "listKeys"

    @property
    def type(self) -> str:
        if self.namespace is None:
            return "Microsoft.Resources/resourceGroups" if self.resource_group else "Microsoft.Resources/subscriptions"
        return "/".join((self.namespace, *self.types))

    @property
    def is_collection(self) -> bool:
        return len(self.names) < len(self.types)

    @property
    def name(self) -> str:
        if self.namespace is None:
            return self.resource_group or self.subscription
        return self.names[-1] if self.names else ""

    @property
    def id(self) -> str:
        if self.namespace is None:
            return self.scope
        parts = [self.scope, "providers", self.namespace]
        for i, type_ in enumerate(self.types):
            parts.append(type_)
            if i < len(self.names):
                parts.append(self.names[i])
        return "/".join(parts)

    @property
    def key(self) -> str:
        return self.id.lower()

    @property
    def is_extension(self) -> bool:
        """True for a resource that lives on another resource, such as a role assignment."""
        return "/providers/" in self.scope.lower()

    @property
    def group_id(self) -> str | None:
        if self.resource_group is None:
            return None
        return f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"

    def parent(self) -> ArmRef | None:
        """The enclosing resource of a child resource (subnet → virtual network)."""
        if self.namespace is None or len(self.names) < 2:
            return None
        n = len(self.names) - 1
        return ArmRef(self.subscription, self.resource_group, self.scope, self.namespace, self.types[:n],
                      self.names[:n])


def _ieq(a: str, b: str) -> bool:
    return a.lower() == b.lower()


def parse(path: str, *, method: str = "GET") -> ArmRef | None:
    """Parse ``path`` (no query string). Returns None for paths outside ARM's resource space."""
    segments = [s for s in path.split("/") if s]
    if len(segments) < 2 or not _ieq(segments[0], "subscriptions"):
        return None
    subscription = segments[1]
    idx = [i for i, s in enumerate(segments) if _ieq(s, "providers")]
    if not idx:
        return _parse_group_path(segments, subscription)
    last = idx[-1]
    if last + 1 >= len(segments):
        return None
    scope_segments = ["subscriptions", *segments[1:last]]
    resource_group = None
    if len(scope_segments) >= 4 and _ieq(scope_segments[2], "resourcegroups"):
        scope_segments[2] = "resourceGroups"
        resource_group = scope_segments[3]
    scope = "/" + "/".join(scope_segments)
    rest = segments[last + 2 :]
    action = None
    if method == "POST" and len(rest) % 2 == 1 and len(rest) > 1:
        action, rest = rest[-1], rest[:-1]
    types = tuple(rest[0::2])
    names = tuple(rest[1::2])
    if not types:
        return None
    return ArmRef(subscription, resource_group, scope, segments[last + 1], types, names, action)


def _parse_group_path(segments: list[str], subscription: str) -> ArmRef | None:
    if len(segments) == 2:
        return ArmRef(subscription, None, f"/subscriptions/{subscription}", None, (), ())
    if not _ieq(segments[2], "resourcegroups"):
        return None
    if len(segments) == 3:  # the collection of groups
        return ArmRef(subscription, None, f"/subscriptions/{subscription}", None, ("resourceGroups",), ())
    if len(segments) == 4:
        scope = f"/subscriptions/{subscription}/resourceGroups/{segments[3]}"
        return ArmRef(subscription, segments[3], scope, None, (), ())
    return None
