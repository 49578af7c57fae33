"""The TLS certificate of the public gateway, kept in Key Vault as an unencrypted PFX secret (what Application
Gateway reads through its identity). Generated once for the public IP's DNS name, or taken from a PFX the user
provides (``gateway.certificate_path``, password in FOUNDRY_LITELLM_CERTIFICATE_PASSWORD). The private key and
the password never reach the state file or the logs.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import os
from pathlib import Path

from foundry_litellm.context import RunContext
from foundry_litellm.diff import Change
from foundry_litellm.errors import ConfigError
from foundry_litellm.secrets import FINGERPRINT_TAG
from foundry_litellm.step import ArmStep, Json

from .key_vault import KeyVault
from .public_ip import PublicIp
from .secret_writes import VAULT_SECRETS, SecretOutputs, write_secret

SECRET = "app-gateway-certificate"  # noqa: S105 - a secret's name
PASSWORD_ENV = "FOUNDRY_LITELLM_CERTIFICATE_PASSWORD"  # noqa: S105 - a variable's name


def generate_pfx(hostname: str) -> bytes:
    """A self-signed certificate for ``hostname`` (RSA 2048, 825 days, serverAuth), as a PFX without password."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=825))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(key, hashes.SHA256()))
    return pkcs12.serialize_key_and_certificates(b"gateway", key, cert, None, serialization.NoEncryption())


def _provided(path: str) -> tuple[bytes, str]:
    """The user's PFX, re-encoded without a password, and its fingerprint."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    raw = Path(path).read_bytes()
    password = os.environ.get(PASSWORD_ENV, "")
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(raw, password.encode() or None)
    except ValueError as exc:
        raise ConfigError("gateway.certificate_path", f"cannot open {path} (is {PASSWORD_ENV} set?)") from exc
    if key is None or cert is None:
        raise ConfigError("gateway.certificate_path", f"{path} holds no private key and certificate")
    pfx = pkcs12.serialize_key_and_certificates(b"gateway", key, cert, chain, serialization.NoEncryption())  # type: ignore[arg-type]
    return pfx, hashlib.sha256(raw).hexdigest()


class AppGatewayCertificate(ArmStep):
    """See foundry_litellm/step.py."""

    name = "app_gateway_certificate"
    title = "Gateway TLS certificate"
    depends_on = (KeyVault(), PublicIp())
    sdk = VAULT_SECRETS
    arm_type = "Microsoft.KeyVault/vaults/secrets"

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (ctx.names.key_vault, SECRET)

    def body(self, ctx: RunContext) -> Json:
        tags = {"hostname": ctx.output_of(PublicIp())["fqdn"]}
        path = ctx.config.gateway.certificate_path
        if path:
            tags[FINGERPRINT_TAG] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        return {"tags": tags, "properties": {"contentType": "application/x-pkcs12",
                                             "attributes": {"enabled": True}}}

    def changes(self, ctx: RunContext, desired: Json, actual: Json) -> list[Change]:
        # A generated certificate is replaced only when the host name changes (or the user's file does).
        return [c for c in super().changes(ctx, desired, actual)
                if c.path.startswith("tags.hostname") or c.path.startswith(f"tags.{FINGERPRINT_TAG}")]

    def apply(self, ctx: RunContext, desired: Json, actual: Json | None) -> Json | None:
        path = ctx.config.gateway.certificate_path
        pfx = _provided(path)[0] if path else generate_pfx(ctx.output_of(PublicIp())["fqdn"])
        value = base64.b64encode(pfx).decode()
        ctx.secrets.put(SECRET, value, fresh=True)
        return write_secret(ctx, self, SECRET, value, desired.get("tags") or {}, content_type="application/x-pkcs12")

    def outputs(self, ctx: RunContext, actual: Json) -> SecretOutputs:
        return {"id": str(actual["id"]), "uri": str(actual["properties"].get("secretUri", ""))}

    def delete(self, ctx: RunContext, actual: Json) -> None:
        """Secrets go with their vault."""
