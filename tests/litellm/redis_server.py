"""A real redis-server (the Debian package, installed with apt-get when missing, as scripts/test does for tmux)
on a free port with a password, no persistence, and TLS only when asked (as Azure Managed Redis: port 10000 takes
TLS alone); the LiteLLM proxies share their router state through it."""

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

from tests.tools import free_port, stop


@dataclass(frozen=True)
class Redis:
    host: str
    port: int
    password: str
    ca_file: Path | None  # the CA of the server's certificate when it speaks TLS only

    def environment(self) -> dict[str, str]:
        """What the app gets from the Redis side. With TLS the rendered REDIS_SSL=True stands, and OpenSSL's
        default trust (which redis-py's TLS context loads) is pointed at the test CA, as Azure's CA is trusted."""
        env = {"REDIS_HOST": self.host, "REDIS_PORT": str(self.port), "REDIS_PASSWORD": self.password}
        return {**env, "SSL_CERT_FILE": str(self.ca_file)} if self.ca_file else {**env, "REDIS_SSL": "False"}


def _certificates(workdir: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for 127.0.0.1 it signed: (ca, cert, key) PEM files."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tests redis CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])).issuer_name(ca_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    files = (workdir / "ca.pem", workdir / "server.pem", workdir / "server.key")
    files[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return files


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
def running_redis(workdir: Path, *, tls: bool = False) -> Iterator[Redis]:
    workdir.mkdir(parents=True, exist_ok=True)
    port, password = free_port(), secrets.token_hex(16)
    log = workdir / "redis.log"
    listen = ["--port", str(port)]
    ca_file = None
    if tls:  # the plain port closed: a client that does not speak TLS gets nowhere
        ca_file, cert, key = _certificates(workdir)
        listen = ["--port", "0", "--tls-port", str(port), "--tls-cert-file", str(cert), "--tls-key-file", str(key),
                  "--tls-ca-cert-file", str(ca_file), "--tls-auth-clients", "no"]
    process = subprocess.Popen(
        [redis_binary(), *listen, "--bind", "127.0.0.1", "--requirepass", password, "--save", "",
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
        yield Redis("127.0.0.1", port, password, ca_file)
    finally:
        stop(process)
