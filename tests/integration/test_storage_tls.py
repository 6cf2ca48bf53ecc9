"""S3 over TLS (``SOHOA_S3_SECURE``): verified against ``SOHOA_S3_CA_FILE``, refused otherwise."""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from core.errors import StorageError, StorageUnavailable
from core.settings import settings_with
from storage.embedded import EmbeddedSeaweedFS
from storage.objects import ObjectStore


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sohoa test S3")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "s3.crt", folder / "s3.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def test_tls_endpoint_is_verified_with_the_configured_ca(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    with EmbeddedSeaweedFS(
        tmp_path / "s3", access_key="tls", secret_key="tls-secret-key", tls_cert=cert, tls_key=key
    ) as server:
        settings = server.client_settings(
            settings_with(s3_access_key="tls", s3_secret_key="tls-secret-key", object_lock_days=1)
        )
        assert settings.s3_secure and settings.s3_ca_file == cert
        store = ObjectStore.from_settings(settings)
        store.ensure_buckets()
        stored = store.put_bytes(store.buckets.results, "000.00.00.H00-261123-0001/x.pdf", b"tls")
        assert store.read_bytes(stored.bucket, stored.key, stored.sha256) == b"tls"
        assert store.presigned_get(stored.bucket, stored.key).startswith("https://")

        untrusting = ObjectStore.from_settings(
            settings.model_copy(update={"s3_ca_file": None}), retries=0
        )
        with pytest.raises(StorageError, match="TLS verification failed") as caught:
            untrusting.stat(stored.bucket, stored.key)
        assert not isinstance(caught.value, StorageUnavailable)
