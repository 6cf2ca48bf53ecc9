"""Lock the embedded SeaweedFS down to its S3 port: mTLS and JWTs for everything else.

``weed mini`` also opens the master, volume, filer and admin HTTP APIs and their gRPC twins on
loopback, and these take no S3 credentials: the filer serves and deletes every stored version,
the master deletes whole collections, around object lock. They cannot be switched off, and a
loopback address is reachable by every local user, so they are protected instead
(``security.toml``, which weed reads from its working directory):

- every master, volume, filer and admin HTTP listener speaks HTTPS and requires a client
  certificate signed by a CA made for this installation (mutual TLS), and so does every gRPC
  listener; only weed itself holds that certificate (in ``tls/``, mode 0600);
- volume and filer reads and writes additionally need JWTs signed with random keys, written
  afresh at every start.

The S3 gateway stays plain HTTP (or its own TLS) and authenticates with the S3 keys.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import secrets
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SECURITY_FILE = "security.toml"
_COMPONENTS = ("master", "volume", "filer", "admin")
_GRPC_COMPONENTS = ("master", "volume", "filer", "s3", "admin", "client")


def _private_write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    path.chmod(0o600)


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def ensure_certificates(tls_dir: Path) -> tuple[Path, Path, Path]:
    """The installation's CA and the one node certificate weed uses (made once, 0600)."""
    tls_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    tls_dir.chmod(0o700)
    ca_path, cert_path, key_path = tls_dir / "ca.pem", tls_dir / "node.pem", tls_dir / "node.key"
    if ca_path.exists() and cert_path.exists() and key_path.exists():
        return ca_path, cert_path, key_path
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("sohoa embedded SeaweedFS CA"))
        .issuer_name(_name("sohoa embedded SeaweedFS CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    node_key = ec.generate_private_key(ec.SECP256R1())
    node = (
        x509.CertificateBuilder()
        .subject_name(_name("sohoa-seaweedfs"))
        .issuer_name(ca.subject)
        .public_key(node_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    _private_write(ca_path, ca.public_bytes(serialization.Encoding.PEM))
    _private_write(key_path, _pem_key(node_key))
    _private_write(cert_path, node.public_bytes(serialization.Encoding.PEM))
    return ca_path, cert_path, key_path


def write_security(data_dir: Path) -> Path:
    """Write ``data_dir/security.toml`` (mode 0600): mTLS everywhere but S3, fresh JWT keys."""
    ca, cert, key = ensure_certificates(data_dir / "tls")
    lines: list[str] = []
    for section in (
        "jwt.signing",
        "jwt.signing.read",
        "jwt.filer_signing",
        "jwt.filer_signing.read",
    ):
        lines += [
            f"[{section}]",
            f'key = "{secrets.token_urlsafe(32)}"',
            "expires_after_seconds = 10",
            "",
        ]
    lines += [
        "[access]",
        "ui = false",
        "",
        "[filer.expose_directory_metadata]",
        "enabled = false",
        "",
    ]
    lines += ["[grpc]", f'ca = "{ca}"', ""]
    for component in _GRPC_COMPONENTS:
        lines += [f"[grpc.{component}]", f'cert = "{cert}"', f'key = "{key}"', ""]
    lines += [
        "[https.client]",
        "enabled = true",
        f'cert = "{cert}"',
        f'key = "{key}"',
        f'ca = "{ca}"',
        "",
    ]
    for component in _COMPONENTS:
        lines += [f"[https.{component}]", f'cert = "{cert}"', f'key = "{key}"', f'ca = "{ca}"', ""]
    path = data_dir / SECURITY_FILE
    _private_write(path, "\n".join(lines).encode("utf-8"))
    return path


__all__ = ["SECURITY_FILE", "ensure_certificates", "write_security"]
