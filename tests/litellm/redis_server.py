"""A real redis-server (the Debian package, installed with apt-get when missing, as scripts/test does for tmux)
on a free port with a password, no persistence; the LiteLLM proxies share their router state through it."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.tools import free_port


@dataclass(frozen=True)
class Redis:
    host: str
    port: int
    password: str

    def environment(self) -> dict[str, str]:
        """What the app gets from the Redis side, for a local server without TLS."""
        return {"REDIS_HOST": self.host, "REDIS_PORT": str(self.port), "REDIS_PASSWORD": self.password,
                "REDIS_SSL": "False"}


def redis_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "redis-server"]):
        result = subprocess.run([*sudo, *command], capture_output=True, text=True, timeout=600, check=False)
        if result.returncode != 0:
            pytest.fail(f"could not install redis-server ({' '.join(command)}): {result.stderr[-2000:]}",
                        pytrace=False)
    found = shutil.which("redis-server") or "/usr/bin/redis-server"
    assert Path(found).is_file(), "apt-get installed redis-server, but it is not on PATH"
    return found


@contextmanager
def running_redis(workdir: Path) -> Iterator[Redis]:
    workdir.mkdir(parents=True, exist_ok=True)
    port, password = free_port(), secrets.token_hex(16)
    log = workdir / "redis.log"
    process = subprocess.Popen(
        [redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--requirepass", password, "--save", "",
         "--appendonly", "no", "--dir", str(workdir), "--logfile", str(log)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"redis-server did not start: {log.read_text() if log.exists() else ''}",
                                pytrace=False)
                time.sleep(0.1)
        yield Redis("127.0.0.1", port, password)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
