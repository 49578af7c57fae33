"""The state backend a configuration names: the local file (default) or a blob in Azure Storage."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from .blob_state import BlobLocation, BlobStateStore
from .clients import BLOB_SUFFIXES, blob_container
from .config import StateSection
from .state import Backend, StateStore


def blob_location(section: StateSection, environment: str, cloud: str = "AzureCloud") -> BlobLocation:
    account_url = section.endpoint or f"https://{section.storage_account}.{BLOB_SUFFIXES[cloud]}"
    return BlobLocation(account_url, section.container, section.key or f"{environment}.json", section.lease_seconds)


def open_backend(section: StateSection, environment: str, state_dir: Path, *, cloud: str = "AzureCloud",
                 env: Mapping[str, str] | None = None) -> Backend:
    """The backend, not yet locked; nothing is sent before the first call that needs it."""
    if section.backend == "local":
        return StateStore(state_dir, environment)
    location = blob_location(section, environment, cloud)
    environ = dict(os.environ) if env is None else env
    return BlobStateStore(location, environment,
                          lambda: blob_container(location.account_url, location.container, cloud=cloud, env=environ))
