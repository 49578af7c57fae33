"""A local certificate authority kept in the data dir, and the server certificate it signs."""

from __future__ import annotations

import os
import ssl
from pathlib import Path

import trustme


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def load_or_create_ca(data_dir: Path) -> tuple[trustme.CA, Path]:
    """The CA is created on first start and reused, so clients can keep trusting the same file."""
    cert_path, key_path = data_dir / "ca.pem", data_dir / "ca-key.pem"
    if cert_path.exists() and key_path.exists():
        return trustme.CA.from_pem(cert_path.read_bytes(), key_path.read_bytes()), cert_path
    ca = trustme.CA(organization_name="foundry-litellm emulator")
    _write_private(key_path, ca.private_key_pem.bytes())
    tmp = cert_path.with_suffix(".tmp")
    tmp.write_bytes(ca.cert_pem.bytes())
    os.replace(tmp, cert_path)
    return ca, cert_path


def server_context(ca: trustme.CA, host: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*sorted({host, "127.0.0.1", "localhost"})).configure_cert(ctx)
    return ctx
