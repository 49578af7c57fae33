"""The emulated Azure: live resources, operations in flight, soft-deleted items and subnet links.

All methods expect the caller to hold ``store.lock``. Time is wall-clock time, so an operation that was in
flight when the server died completes on time after a restart.
"""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from .armpath import ArmRef, parse
from .store import Store
from .tails import draw, tails_from, write_tail_of
from .wire import Json

TENANT_ID = "72f988bf-0000-4000-8000-00000000e4a1"
OPERATION_TTL = 24 * 3600  # seconds a finished operation stays queryable


class Hooks(Protocol):
    """What the world asks of a resource type's provider (every ``provider.Provider`` is one): the providers receive
    the world, so the world knows them only by this."""

    @property
    def type(self) -> str: ...

    @property
    def api_versions(self) -> frozenset[str]: ...

    def render(self, world: World, record: Json) -> Json: ...

    def blocking_refs(self, record: Json) -> list[str]: ...

    def completed(self, world: World, record: Json, op: Json) -> None: ...

    def deleted(self, world: World, record: Json) -> None: ...

    def delete_duration(self, world: World, record: Json) -> float: ...


class Registry(Protocol):
    def get(self, type_: str) -> Hooks | None: ...

    def all(self) -> Sequence[Hooks]: ...


class World:
    def __init__(self, store: Store, registry: Registry, *, time_scale: float,
                 clock: Callable[[], float] = time.time, registration_profile: str = "new",
                 tails: Any = None, seed: int = 0) -> None:
        self.store = store
        self.registry = registry
        self.time_scale = time_scale
        self.clock = clock
        # Namespaces registered before any request: "new" (a new subscription) or "all"; see registration.py.
        self.registration_profile = registration_profile
        self.tails = tails_from(tails)  # Azure-second ranges drawn per resource under ``seed`` (tails.py)
        self.seed = seed

    @property
    def data(self) -> dict[str, Any]:
        return self.store.data

    # --- time ------------------------------------------------------------------------------------------
    def now(self) -> float:
        return self.clock()

    def scaled(self, seconds: float) -> float:
        return seconds * self.time_scale

    # --- resources -------------------------------------------------------------------------------------
    @property
    def resources(self) -> dict[str, Json]:
        res: dict[str, Json] = self.data["resources"]
        return res

    def get(self, key: str) -> Json | None:
        return self.resources.get(key.lower())

    def provider_of(self, record: Json) -> Hooks:
        provider = self.registry.get(record["type"])
        assert provider is not None, record["type"]
        return provider

    def store_record(self, record: Json) -> None:
        self.resources[record["id"].lower()] = record

    def descendants(self, key: str) -> list[Json]:
        """Records nested under ``key``: child resources and extension resources on it."""
        prefix = key.lower() + "/"
        return [r for k, r in self.resources.items() if k.startswith(prefix)]

    def in_group(self, subscription: str, group: str) -> list[Json]:
        prefix = f"/subscriptions/{subscription}/resourcegroups/{group}/".lower()
        return [r for k, r in self.resources.items() if k.startswith(prefix)]

    def of_type(self, type_: str) -> Iterator[Json]:
        t = type_.lower()
        return (r for r in self.resources.values() if r["type"].lower() == t)

    def users_of(self, key: str) -> list[Json]:
        """Records that point at ``key`` in a way that blocks its deletion."""
        k = key.lower()
        return [r for r in self.resources.values()
                if any(ref.lower() == k for ref in self.provider_of(r).blocking_refs(r))]

    def render(self, record: Json) -> Json:
        return copy.deepcopy(self.provider_of(record).render(self, record))

    def remove(self, record: Json) -> None:
        """Remove ``record`` with everything nested under it, running each provider's ``deleted`` hook."""
        doomed = [record, *self.descendants(record["id"])]
        doomed.sort(key=lambda r: -len(r["id"]))  # children first
        for item in doomed:
            if self.resources.pop(item["id"].lower(), None) is not None:
                self.provider_of(item).deleted(self, item)

    # --- operations --------------------------------------------------------------------------------------
    @property
    def operations(self) -> dict[str, Json]:
        ops: dict[str, Json] = self.data["operations"]
        return ops

    def start_operation(self, record: Json, *, kind: str, seconds: float, busy: set[str],
                        fail: Json | None = None, stall: bool = False) -> Json:
        now = self.now()
        if kind in ("create", "update"):
            seconds += self.tail(write_tail_of(record["type"]), record["id"])
        op = {
            "id": str(uuid.uuid4()),
            "resource": record["id"],
            "type": record["type"],
            "kind": kind,  # create | update | delete
            "status": "InProgress",
            "start": now,
            "due": now + self.scaled(seconds),
            "busy": sorted(busy),
            "fail": fail,
            "stall": stall,
            "error": None,
            "end": None,
        }
        self.operations[op["id"]] = op
        record["op"] = op["id"]
        return op

    def in_flight(self, busy: set[str]) -> Json | None:
        """An operation in progress that holds one of ``busy``."""
        for op in self.operations.values():
            if op["status"] == "InProgress" and busy.intersection(op["busy"]):
                return op
        return None

    def advance(self) -> bool:
        """Complete every operation whose time has come. Returns True when the world changed."""
        now = self.now()
        due = sorted(
            (op for op in self.operations.values()
             if op["status"] == "InProgress" and not op["stall"] and op["due"] <= now),
            key=lambda op: op["due"],
        )
        for op in due:
            self._finish(op)
        return bool(due) | self._expire_links(now) | self._forget_old_operations(now)

    def _forget_old_operations(self, now: float) -> bool:
        """Drop finished operations after a day, as ARM stops answering their status URLs; this keeps the world
        document (rewritten on every change) from growing without end in a long-running emulator."""
        old = [k for k, op in self.operations.items()
               if op["status"] != "InProgress" and op.get("end") is not None and op["end"] < now - OPERATION_TTL]
        for key in old:
            del self.operations[key]
        return bool(old)

    def _finish(self, op: Json) -> None:
        op["end"] = op["due"]
        record = self.get(op["resource"])
        if op["fail"]:
            op["status"] = "Failed"
            op["error"] = {"code": op["fail"]["code"], "message": op["fail"]["message"]}
            if record is not None:
                record["op"] = None
                record["body"].setdefault("properties", {})["provisioningState"] = "Failed"
            return
        op["status"] = "Succeeded"
        if record is None:
            return
        record["op"] = None
        if op["kind"] == "delete":
            self.remove(record)
            return
        record["body"].setdefault("properties", {})["provisioningState"] = "Succeeded"
        self.provider_of(record).completed(self, record, op)

    # --- service association links ---------------------------------------------------------------------
    def links(self, subnet_key: str) -> list[Json]:
        links: list[Json] = self.data["links"].get(subnet_key.lower(), [])
        return links

    def add_link(self, subnet_key: str, link: Json) -> None:
        self.data["links"].setdefault(subnet_key.lower(), []).append(link)

    def release_links(self, holder: str, *, after: float = 0.0, tail: str | None = None) -> None:
        """Links held by ``holder`` go away ``after`` nominal seconds from now, plus a delay drawn per link from
        the ``tail`` range (Azure lets the Foundry agent subnet's link linger: tails.py)."""
        for subnet, links in self.data["links"].items():
            for link in links:
                if link["holder"].lower() == holder.lower():
                    delay = after + self.tail(tail, f"{subnet}/{link.get('name', '')}")
                    link["release_at"] = self.now() + self.scaled(delay)
        self._expire_links(self.now())

    def tail(self, name: str | None, key: str) -> float:
        """Azure seconds drawn from the ``name`` range for ``key``; each draw for the same key counts on, so a
        re-created resource draws anew (0 when the tail is not configured)."""
        bounds = self.tails.get(name) if name else None
        if bounds is None:
            return 0.0
        return draw(bounds, self.seed, str(name), f"{key}#{self.counter(f'tail:{name}:{key.lower()}')}")

    def drawn(self, name: str, key: str) -> float:
        """Azure seconds drawn from the ``name`` range for ``key``, the same on every call (0 when not configured)."""
        bounds = self.tails.get(name)
        return 0.0 if bounds is None else draw(bounds, self.seed, name, key)

    def _expire_links(self, now: float) -> bool:
        changed = False
        for key in list(self.data["links"]):
            kept = [lk for lk in self.data["links"][key] if lk.get("release_at") is None or lk["release_at"] > now]
            if len(kept) != len(self.data["links"][key]):
                changed = True
                if kept:
                    self.data["links"][key] = kept
                else:
                    del self.data["links"][key]
        return changed

    # --- soft delete ---------------------------------------------------------------------------------------
    def soft_deleted(self, kind: str) -> dict[str, Json]:
        return self.data["deleted"].setdefault(kind, {})  # type: ignore[no-any-return]

    # --- identities ------------------------------------------------------------------------------------------
    def register_principal(self, principal_id: str, *, age: float = 0.0, kind: str | None = None) -> None:
        """A directory object: a new managed identity, or (with ``age`` in real seconds and a ``kind`` such as
        "User") one made long before, outside ARM."""
        self.data["principals"][principal_id] = self.now() - age
        if kind is not None:
            self.data.setdefault("principal_types", {})[principal_id] = kind

    def principal_type(self, principal_id: str) -> str | None:
        kind: str | None = self.data.get("principal_types", {}).get(principal_id)
        return kind

    def principal_age(self, principal_id: str) -> float | None:
        """Seconds since the principal was created, or None when no such principal exists."""
        created = self.data["principals"].get(principal_id)
        return None if created is None else self.now() - created

    def counter(self, name: str) -> int:
        value = int(self.data["counters"].get(name, 0)) + 1
        self.data["counters"][name] = value
        return value

    def ref_of(self, record: Json) -> ArmRef:
        ref = parse(record["id"])
        assert ref is not None
        return ref
