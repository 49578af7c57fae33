"""The per-type behaviour table of the emulator.

A provider is a small class: class attributes say how the type behaves on the wire (api-versions, durations,
long-running-operation style, name rules), and a few optional hooks hold the rules that are specific to it
(validation, computed properties, who blocks whose deletion). The generic ARM semantics live in ``arm.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from .armpath import ArmRef
from .errors import ArmError, bad_request
from .wire import Fault, Request, Response
from .wire import Json as Json  # noqa: PLC0414 (re-exported: the alias every provider module imports from here)
from .world import World

Action = Callable[[World, ArmRef, Json, Json | None], tuple[int, Any]]


class ArmCalls(Protocol):
    """What a provider's own ``handle`` calls back in the generic ARM layer (``arm.Arm``, which calls the providers,
    is one)."""

    world: World
    base_url: str

    def put(self, ref: ArmRef, provider: Provider, body: Json, api_version: str, fault: Fault,
            *, patch: bool = False, style: str | None = None) -> Response: ...

    def delete(self, ref: ArmRef, provider: Provider, api_version: str, fault: Fault,
               query: dict[str, str] | None = None) -> Response: ...

    def operation_url(self, record: Json, op: Json, kind: str, api_version: str) -> str: ...

    def retry_after(self, op: Json) -> dict[str, str]: ...


@dataclass(frozen=True)
class Durations:
    """Nominal seconds Azure takes, before the emulator's time scale is applied."""

    create: float = 0.0
    update: float = 0.0
    delete: float = 0.0


@dataclass(frozen=True)
class LateFailure:
    """A write Azure accepts and fails later: its operation ends Failed with ``error`` after ``seconds`` (nominal
    seconds, the whole time: no long tail is added)."""

    seconds: float
    error: Json  # code, message and the status of the failed operation's answer (details optional)


@dataclass(frozen=True)
class NameRule:
    min: int
    max: int
    pattern: str  # a full-match regular expression
    hint: str
    code: str = "InvalidResourceName"

    def check(self, type_: str, name: str) -> None:
        if self.min <= len(name) <= self.max and re.fullmatch(self.pattern, name):
            return
        raise bad_request(
            self.code,
            f"Resource name '{name}' is invalid for type '{type_}': {self.hint} "
            f"({self.min}-{self.max} characters).",
            target="name",
        )


class Provider:
    """Behaviour of one resource type. Subclasses override attributes and the hooks they need."""

    type: ClassVar[str]
    api_versions: ClassVar[frozenset[str]]
    durations: ClassVar[Durations] = Durations()
    # How a PUT answers: "async" (Azure-AsyncOperation + body), "async+location", "location" (202, no body),
    # "body" (201 with a non-terminal provisioningState; the SDK polls the resource), "sync" (done at once),
    # "async+location+accepted" (202 with both headers and no body, for creates and updates alike), "held" (done when
    # answered, but the answer comes only after the operation's duration, as a Foundry project's).
    put_style: ClassVar[str] = "async"
    # How a PATCH answers; None: like a PUT. The Network RP's UpdateTags is synchronous (virtualNetwork.json).
    patch_style: ClassVar[str | None] = None
    # How a DELETE answers: "async", "location", "async+location" (202 + headers), "sync" (200 at once) or "held"
    # (200 once done, after the duration).
    delete_style: ClassVar[str] = "location"
    # "required", "global" (must be the literal 'global'), "inherit" (child: parent's location), "none".
    # Status of a PUT that creates: 201 for most, 200 where the spec knows no 201 (Insights components).
    create_status: ClassVar[int] = 201
    location: ClassVar[str] = "required"
    name_rule: ClassVar[NameRule | None] = None
    creating_state: ClassVar[str] = "Creating"
    updating_state: ClassVar[str] = "Updating"
    deleting_state: ClassVar[str] = "Deleting"
    # Writes to a child also lock its parent (subnets of one VNet, children of one Foundry account).
    lock_parent: ClassVar[bool] = False
    # Dotted paths of write-only properties: kept internally, never returned by GET (passwords, keys).
    write_only: ClassVar[tuple[str, ...]] = ()
    # Top-level keys of the body besides properties that this type accepts and returns.
    top_level: ClassVar[tuple[str, ...]] = ("tags",)
    etag: ClassVar[bool] = False
    poll_seconds: ClassVar[float] = 10.0
    # True where the provider keeps provisioningState outside properties (never for our types).
    actions: ClassVar[dict[str, str]] = {}  # POST action name (lower case) -> method name

    # --- hooks -------------------------------------------------------------------------------------------
    def handle(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
        """Answer a request entirely (virtual resources such as ``deletedVaults``); None: generic handling.

        Called after the api-version check, before any generic processing.
        """
        return None

    def validate(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        """Refuse a PUT with an ArmError before anything is stored."""

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        """Fill computed, read-only properties of ``body`` (the record about to be stored)."""

    def committed(self, world: World, ref: ArmRef, record: Json, existing: Json | None) -> None:
        """React once a write has been accepted (keep inline children consistent, register identities)."""

    def completed(self, world: World, record: Json, op: Json) -> None:
        """React when a create or update operation succeeds."""

    def render(self, world: World, record: Json) -> Json:
        """The body GET returns. Default: the stored body."""
        body: Json = record["body"]
        return body

    def busy_keys(self, world: World, ref: ArmRef) -> set[str]:
        """Resources a write on ``ref`` locks for its duration."""
        keys = {ref.key}
        parent = ref.parent()
        if self.lock_parent and parent is not None:
            keys.add(parent.key)
        return keys

    def delete_blocker(self, world: World, record: Json, *, cascade: frozenset[str], root: str) -> ArmError | None:
        """An error that forbids deleting ``record`` now; ``cascade`` holds the keys deleted with it."""
        return None

    def blocking_refs(self, record: Json) -> list[str]:
        """Ids of resources that cannot be deleted while this one points at them (a PE's subnet)."""
        return []

    def in_use_error(self, record: Json, user: Json) -> ArmError:
        """The error Azure answers when ``record`` is deleted while ``user`` still points at it."""
        return ArmError(409, "ResourceInUse", f"Resource {record['id']} is in use by {user['id']}.")

    def deleting(self, world: World, record: Json, query: dict[str, str]) -> None:
        """React when a DELETE is accepted (query flags such as Log Analytics' ``force``)."""

    def deleted(self, world: World, record: Json) -> None:
        """React after the record is gone (soft delete, releasing links)."""

    def put_duration(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> float:
        """Nominal seconds the operation of a PUT with ``body`` (as the request sent it) lasts, before the long tail
        ``world.start_operation`` adds. A PATCH takes ``durations.update``."""
        return self.durations.update if existing is not None else self.durations.create

    def late_failure(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> LateFailure | None:
        """How a PUT with ``body`` that Azure accepts fails later (an App Gateway that cannot read its certificate);
        None: it does not. A fault rule's failure wins over it, but the operation still lasts its ``seconds``."""
        return None

    def delete_duration(self, world: World, record: Json) -> float:
        return self.durations.delete


class ProviderRegistry:
    def __init__(self) -> None:
        self._by_type: dict[str, Provider] = {}

    def add(self, provider: Provider) -> None:
        self._by_type[provider.type.lower()] = provider

    def get(self, type_: str) -> Provider | None:
        return self._by_type.get(type_.lower())

    def all(self) -> list[Provider]:
        return list(self._by_type.values())


def require(condition: bool, code: str, message: str, *, target: str | None = None) -> None:
    if not condition:
        raise bad_request(code, message, target=target)


def prop(body: Json, dotted: str, default: Any = None) -> Any:
    """Read a dotted path such as ``properties.addressSpace.addressPrefixes``."""
    node: Any = body
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node
