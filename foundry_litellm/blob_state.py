"""The state in Azure Blob Storage, as a team shares it: one blob per environment, held under a lease for a whole run.

- Lock: a finite blob lease (``lease_seconds``, 15-60: a runner that dies frees it within a minute), renewed in the
  background, plus the holder's details in the blob's metadata. A second run anywhere is refused at once (exit 3)
  with them; ``state unlock LOCK_ID`` breaks a stale lease as ``terraform force-unlock`` does.
- Writes carry the lease and the ETag of the last write (If-Match): a lease lost mid-run (expired, broken) stops the
  run at its next write, and nothing someone else wrote since is ever overwritten.
- History: where the account has blob versioning, every write leaves a version; otherwise (Azurite, an account
  without it) each write is followed by a snapshot. ``history`` lists either, ``read_version`` reads one back.

An environment that was never deployed has an empty blob (the lease needs one to exist).
"""

from __future__ import annotations

import getpass
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .errors import StateLocked, StateLockLost, ToolError
from .state import State, Version, fresh, now_iso, parse

# The holder's details, kept in the blob's metadata while the lease is held (names: C# identifiers).
LOCK_FIELDS = ("lockid", "lockwho", "lockhost", "lockoperation", "locksince")
# Codes of a write refused because the lease it names is gone, or another write came first (Blob service REST
# reference, "Blob service error codes").
LOST_CODES = frozenset({"LeaseLost", "LeaseIdMismatchWithBlobOperation", "LeaseNotPresentWithBlobOperation",
                        "LeaseIdMissing", "ConditionNotMet", "LeaseIsBrokenAndCannotBeRenewed",
                        "LeaseIdMismatchWithLeaseOperation", "LeaseNotPresentWithLeaseOperation"})


@dataclass(frozen=True)
class BlobLocation:
    account_url: str  # https://<account>.blob.core.windows.net, or any Blob endpoint (Azurite's)
    container: str
    key: str
    lease_seconds: int = 60

    def describe(self) -> str:
        return f"{self.account_url.rstrip('/')}/{self.container}/{self.key}"


def _code(exc: Exception) -> str:
    code = getattr(exc, "error_code", None)
    return str(getattr(code, "value", code) or "")


def lock_info(metadata: dict[str, str]) -> dict[str, str]:
    return {field: metadata[field] for field in LOCK_FIELDS if metadata.get(field)}


def describe_holder(info: dict[str, str]) -> str:
    if not info:
        return "an unknown holder (a lease without lock details)"
    return (f"{info.get('lockwho', '?')} on {info.get('lockhost', '?')} ({info.get('lockoperation', 'run')} "
            f"since {info.get('locksince', '?')}, lock id {info.get('lockid', '?')})")


class BlobStateStore:
    """See the module docstring. ``container_client`` builds the SDK's ContainerClient (client factory's job)."""

    def __init__(self, location: BlobLocation, environment: str, container_client: Callable[[], Any]) -> None:
        self.location = location
        self.environment = environment
        self._container_client = container_client
        self._blob: Any = None
        self._lease: Any = None
        self._etag: str | None = None
        self._metadata: dict[str, str] = {}
        self._lost: str | None = None
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None
        self._write_lock = threading.Lock()

    def describe(self) -> str:
        return self.location.describe()

    def blob(self) -> Any:
        if self._blob is None:
            self._blob = self._container_client().get_blob_client(self.location.key)
        return self._blob

    # --- the lock ------------------------------------------------------------------------------------------
    def acquire(self, operation: str = "run") -> None:
        from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError

        blob = self.blob()
        try:
            blob.upload_blob(b"", overwrite=False)  # the lease needs a blob; an empty one means "not deployed"
        except ResourceExistsError:
            pass
        except ResourceNotFoundError as exc:
            raise ToolError(f"the state container {self.location.container} does not exist at "
                            f"{self.location.account_url}",
                            hint="create it with 'foundry-litellm state bootstrap'") from exc
        try:
            lease = blob.acquire_lease(lease_duration=self.location.lease_seconds)
        except HttpResponseError as exc:
            if _code(exc) != "LeaseAlreadyPresent":
                raise
            holder = lock_info(blob.get_blob_properties().metadata or {})
            raise StateLocked(
                f"environment '{self.environment}' is locked by {describe_holder(holder)}",
                hint=f"wait for that run to finish; if it died, its lease expires within "
                     f"{self.location.lease_seconds}s, or break it with 'foundry-litellm state unlock "
                     f"{holder.get('lockid', '<lock id>')}'") from exc
        self._lease = lease
        self._metadata = {"lockid": str(uuid.uuid4()), "lockwho": _who(), "lockhost": socket.gethostname(),
                          "lockoperation": operation, "locksince": now_iso()}
        self._etag = blob.set_blob_metadata(self._metadata, lease=lease)["etag"]
        self._stop.clear()
        self._renewer = threading.Thread(target=self._renew, name="state-lease", daemon=True)
        self._renewer.start()

    def _renew(self) -> None:
        interval = self.location.lease_seconds / 3
        while not self._stop.wait(interval):
            try:
                self._lease.renew()
            except Exception as exc:  # any failure: the lease can no longer be trusted
                self._lost = f"the state's lease could not be renewed ({_code(exc) or type(exc).__name__})"
                return

    def release(self) -> None:
        if self._lease is None:
            return
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=10)
        if self._lost is None:
            try:
                self.blob().set_blob_metadata({}, lease=self._lease)
                self._lease.release()
            except Exception as exc:
                if _code(exc) not in LOST_CODES:
                    raise
        self._lease = None

    @property
    def lock_id(self) -> str | None:
        return self._metadata.get("lockid") if self._lease is not None else None

    def holder_details(self) -> dict[str, str]:
        """The current holder's lock details (empty when nobody holds the lease)."""
        from azure.core.exceptions import ResourceNotFoundError

        try:
            props = self.blob().get_blob_properties()
        except ResourceNotFoundError:
            return {}
        return (lock_info(props.metadata or {}) or {"lockid": "?"}) if props.lease.state == "leased" else {}

    def holder(self) -> str | None:
        details = self.holder_details()
        return describe_holder(details) if details else None

    def unlock(self, lock_id: str) -> dict[str, str]:
        """Break the lease of the holder ``lock_id`` names; refused for another id (it may be a live run)."""
        holder = self.holder_details()
        if not holder:
            raise ToolError(f"environment '{self.environment}' is not locked")
        if holder.get("lockid") != lock_id:
            raise ToolError(f"lock id {lock_id} does not match the holder: {describe_holder(holder)}",
                            hint="pass the lock id the refused run printed")
        from azure.storage.blob import BlobLeaseClient

        BlobLeaseClient(self.blob()).break_lease(lease_break_period=0)
        return holder

    # --- the document ----------------------------------------------------------------------------------------
    def exists(self) -> bool:
        return bool(self.read_text())

    def read_text(self) -> str | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            download = self.blob().download_blob(lease=self._lease) if self._lease else self.blob().download_blob()
            raw: bytes = download.readall()
        except ResourceNotFoundError:
            return None
        return raw.decode() or None

    def load(self, **identity: str) -> State:
        text = self.read_text()
        data = parse(text, self.describe()) if text else fresh(self.environment, **identity)
        return State(data, self.write_text)

    def write_text(self, text: str) -> None:
        """Replace the document (only under the lease, only over our own last write), keeping the old one."""
        from azure.core import MatchConditions
        from azure.core.exceptions import HttpResponseError

        with self._write_lock:
            if self._lease is None:
                raise ToolError("the state is written only under its lock")
            if self._lost is not None:
                raise StateLockLost(f"stopped: {self._lost}; another run may hold the state now",
                                    hint="nothing was written since; run again once the other run is done")
            try:
                written = self.blob().upload_blob(
                    text.encode(), overwrite=True, lease=self._lease, metadata=self._metadata,
                    etag=self._etag, match_condition=MatchConditions.IfNotModified)
                self._etag = written["etag"]
                if not written.get("version_id"):  # no blob versioning on this account: a snapshot per write
                    self.blob().create_snapshot(lease=self._lease)
            except HttpResponseError as exc:
                if _code(exc) not in LOST_CODES:
                    raise
                self._lost = f"the state's lease was lost ({_code(exc)})"
                raise StateLockLost(f"stopped: {self._lost}; another run may hold the state now",
                                    hint="nothing was written; run again once the other run is done") from exc

    def history(self) -> list[Version]:
        found = []
        items = self._container_client().list_blobs(name_starts_with=self.location.key,
                                                    include=["snapshots", "versions"])
        for item in items:
            if item.name != self.location.key or getattr(item, "is_current_version", False):
                continue
            # Both are timestamps: the id says which, for read_version.
            version = f"snapshot:{item.snapshot}" if item.snapshot else \
                f"version:{item.version_id}" if getattr(item, "version_id", None) else None
            if version and item.size:
                found.append(Version(version, _aware(item.last_modified), int(item.size)))
        return sorted(found, key=lambda v: v.id.partition(":")[2], reverse=True)

    def read_version(self, version: str) -> str:
        from azure.core.exceptions import HttpResponseError

        kind, _, stamp = version.partition(":")
        if kind not in ("snapshot", "version") or not stamp:
            raise ToolError(f"'{version}' is not a version of the state (snapshot:<time> or version:<id>)",
                            hint="'foundry-litellm state history' lists them")
        container = self._container_client()
        selector = {"snapshot": stamp} if kind == "snapshot" else {"version_id": stamp}
        try:
            raw: bytes = container.get_blob_client(self.location.key, **selector).download_blob().readall()
        except HttpResponseError as exc:
            raise ToolError(f"no version {version} of {self.describe()} ({_code(exc) or exc.status_code})",
                            hint="'foundry-litellm state history' lists them") from exc
        return raw.decode()


def _aware(value: datetime | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _who() -> str:
    try:
        return os.environ.get("GITHUB_ACTOR") or os.environ.get("BUILD_REQUESTEDFOR") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
