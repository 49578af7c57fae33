"""The step contract, and ``ArmStep``: the generic get / compare / put / delete of one ARM resource.

A step computes its desired body from the config and earlier steps' outputs, reads the live resource, and
lets the runner decide: create, update, replace, or nothing. Steps speak REST JSON; the SDK operation
group and methods they use are named in ``Sdk``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypedDict

from . import azure_ops
from .clients import API_VERSIONS
from .diff import Change, diff, merge
from .ownership import ENV_TAG, OWNER_TAG, OWNER_VALUE

if TYPE_CHECKING:
    from .context import RunContext

Json = dict[str, Any]


class IdOutputs(TypedDict):
    """What every step produces unless it says more (each step's own TypedDict extends it)."""

    id: str


class NamedOutputs(IdOutputs):
    name: str


class StateOutputs(TypedDict):
    state: str  # a setting's or a registration's state


class Action(enum.Enum):
    NOOP = "no change"
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"


@dataclass(frozen=True)
class Plan:
    step: str
    action: Action
    changes: tuple[Change, ...] = ()
    resource_id: str = ""
    note: str = ""


@dataclass(frozen=True)
class Sdk:
    """Which SDK package, operations group and methods manage the resource. Requests by resource id (the generic
    read, write and delete) send the package's api-version and poll a write or delete as the package's method for it
    would (``long_running``); the operations group serves what has no generic shape."""

    client: str
    group: str
    put: str = "begin_create_or_update"
    delete: str = "begin_delete"

    @property
    def api_version(self) -> str:
        return API_VERSIONS[self.client]

    @staticmethod
    def long_running(method: str) -> bool:
        """Whether Azure answers the operation with a long-running operation to poll (the SDK's ``begin_*``) or at
        once (its other methods): sent by resource id, a write is polled only in the first case."""
        return method.startswith("begin_")


class Step:
    """One provisioning step. See ``ArmStep`` for the usual implementation."""

    name: str = ""
    title: str = ""  # what the progress table shows, e.g. "Virtual network"
    depends_on: tuple[Step, ...] = ()  # steps whose resources (or outputs) this one needs
    # Resource provider namespaces this step needs registered besides the one of its own resource type.
    registrations: tuple[str, ...] = ()
    create_timeout: float = 30 * 60  # seconds; at least azurerm's defaults
    delete_timeout: float = 30 * 60
    # Azure seconds a create usually takes: before the state has timed the step, the runner starts first the steps
    # with the longest chain of such times still ahead of them (runner.priority_order). Minutes-long types say so.
    typical_seconds: float = 10.0
    replaceable: bool = False  # a change to an immutable field may be done as delete + create

    def resource_id(self, ctx: RunContext) -> str:
        raise NotImplementedError

    def lock_keys(self, ctx: RunContext) -> frozenset[str]:
        """Steps sharing a key never write at the same time (Azure serializes these writes)."""
        return frozenset()

    def not_before(self, ctx: RunContext) -> tuple[float, str]:
        """Asked once its dependencies are done, by deploy: the time (``time.time()``) before which the step should
        not start and why, for a wait Azure imposes that no operation shows (a role's propagation); (0, "") for
        none. The runner keeps its slot and lock keys free for other steps until then."""
        return 0.0, ""

    def start_lags(self) -> dict[str, float]:
        """Dependency name -> Azure seconds this step waits after it ends (what ``not_before`` waits out on a
        first create): the runner's priorities and the deploy benchmark's bound count them."""
        return {}

    def desired(self, ctx: RunContext) -> Json:
        raise NotImplementedError

    def read(self, ctx: RunContext) -> Json | None:
        raise NotImplementedError

    def changes(self, ctx: RunContext, desired: Json, actual: Json) -> list[Change]:
        return diff(desired, actual)

    def immutable_changes(self, changes: list[Change]) -> list[Change]:
        return []

    def apply(self, ctx: RunContext, desired: Json, actual: Json | None) -> Json | None:
        raise NotImplementedError

    def delete(self, ctx: RunContext, actual: Json) -> None:
        raise NotImplementedError

    def left_in_place(self, ctx: RunContext) -> str | None:
        """Why deleting this step leaves its resource where it is while the state forgets it (``delete`` then
        raises ``Forgotten`` with it), for a plan to say so; None when a delete removes it."""
        return None

    def finish_delete(self, ctx: RunContext) -> None:
        """Called by destroy once the resource is gone: finish what its deletion left (a purge that a killed or
        failed run did not send)."""

    def outputs(self, ctx: RunContext, actual: Json) -> Mapping[str, object]:
        """What later steps (``ctx.output_of(step)``) and ``outputs`` need, never a secret: a step that others
        read declares it as a TypedDict (its return type types their lookups)."""
        return IdOutputs(id=str(actual.get("id", "")))

    def owned(self, ctx: RunContext, actual: Json) -> bool:
        tags = actual.get("tags") or {}
        return bool(tags.get(OWNER_TAG) == OWNER_VALUE and tags.get(ENV_TAG) == ctx.config.environment)


class ArmStep(Step):
    """A resource managed with get / begin_create_or_update / begin_delete of one SDK operations group.

    Subclasses set ``sdk``, ``name``, ``title``, ``depends_on`` and write ``args`` (the path arguments of the
    operations) and ``body`` (the desired REST body, without ownership tags).
    """

    sdk: ClassVar[Sdk]
    # The resource's identity, declared once: its ARM type and ``names`` (one per type segment, the parents' first).
    # ``resource_id``, the SDK's path arguments (``args``), the lock key and ownership through a parent derive from
    # it; only a step whose SDK signature differs overrides ``args``.
    arm_type: ClassVar[str] = ""
    tagged: ClassVar[bool] = True  # child resources without tags inherit ownership from their parent
    immutable: ClassVar[tuple[str, ...]] = ()  # paths whose change needs a replace
    preserve: ClassVar[tuple[str, ...]] = ()  # paths kept from the live resource on update
    ignore: ClassVar[tuple[str, ...]] = ()  # paths never compared (write-only values)

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        raise NotImplementedError

    def resource_id(self, ctx: RunContext) -> str:
        return ctx.resource_id(self.arm_type, *self.names(ctx))

    def args(self, ctx: RunContext) -> tuple[Any, ...]:
        return (ctx.resource_group, *self.names(ctx))

    def parent(self) -> ArmStep | None:
        """The step of the resource this one is owned through (a subnet's VNet), if any."""
        return None

    def lock_holder(self) -> ArmStep | None:
        """The step whose resource Azure locks while this one is written (the VNet of a subnet or an endpoint, the
        Foundry account of its children): steps with the same holder never write at the same time."""
        return None

    def lock_keys(self, ctx: RunContext) -> frozenset[str]:
        holder = self.lock_holder()
        return frozenset() if holder is None else frozenset({holder.resource_id(ctx).lower()})

    def owned(self, ctx: RunContext, actual: Json) -> bool:
        """Ours when tagged so (a tagged resource) and when its parent is ours (a child resource)."""
        if self.tagged and not super().owned(ctx, actual):
            return False
        parent = self.parent()
        if parent is None:
            return True
        key = parent.resource_id(ctx).lower()
        if key not in ctx.owned_parents:  # one read per parent and run, however many children it has
            live = parent.read(ctx)
            ctx.owned_parents[key] = live is not None and parent.owned(ctx, live)
        return ctx.owned_parents[key]

    def body(self, ctx: RunContext) -> Json:
        raise NotImplementedError

    def desired(self, ctx: RunContext) -> Json:
        body = self.body(ctx)
        if self.tagged:
            body["tags"] = {**ctx.tags, **(body.get("tags") or {})}
        return body

    def operations(self, ctx: RunContext) -> Any:
        return getattr(ctx.clients.get(self.sdk.client), self.sdk.group)

    def read(self, ctx: RunContext) -> Json | None:
        return azure_ops.read_by_id(ctx.clients, self.resource_id(ctx), self.sdk.api_version)

    def changes(self, ctx: RunContext, desired: Json, actual: Json) -> list[Change]:
        return diff(desired, actual, ignore=self.ignore)

    def immutable_changes(self, changes: list[Change]) -> list[Change]:
        return [c for c in changes if any(c.path == p or c.path.startswith(p + ".") for p in self.immutable)]

    def update_body(self, desired: Json, actual: Json) -> Json:
        return merge(actual, desired, self.preserve)

    def apply(self, ctx: RunContext, desired: Json, actual: Json | None) -> Json | None:
        body = desired if actual is None else self.update_body(desired, actual)
        resource_id = self.resource_id(ctx)
        send = azure_ops.begin_by_id if self.sdk.long_running(self.sdk.put) else azure_ops.send_by_id
        result: Json | None = ctx.run(
            self, "write", lambda: send(ctx.clients, "PUT", resource_id, self.sdk.api_version, body=body),
            timeout=self.create_timeout,
        )
        return result

    def delete(self, ctx: RunContext, actual: Json) -> None:
        resource_id = self.resource_id(ctx)
        send = azure_ops.begin_by_id if self.sdk.long_running(self.sdk.delete) else azure_ops.send_by_id
        ctx.run(self, "delete", lambda: send(ctx.clients, "DELETE", resource_id, self.sdk.api_version),
                timeout=self.delete_timeout, missing_ok=True)
