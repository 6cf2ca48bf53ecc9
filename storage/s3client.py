"""The S3 client and bucket set-up under :mod:`storage.objects` (minio SDK).

- :func:`make_client`: a minio client with bounded retries, a known region (presigning needs no
  round trip) and an optional CA file for TLS.
- :func:`ensure_buckets`: buckets exist with versioning on and the default object-lock
  retention (GOVERNANCE or COMPLIANCE, in days). Object lock can only be switched on when a
  bucket is created: a bucket made elsewhere without it makes this fail with a StorageError.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import urllib3
from minio import Minio
from minio.commonconfig import ENABLED
from minio.objectlockconfig import DAYS, ObjectLockConfig
from minio.versioningconfig import VersioningConfig

from core.settings import MiB, Settings
from storage.s3errors import translate_errors

#: Read size for hashing and streaming.
CHUNK = 1 * MiB


@dataclass(frozen=True)
class BucketNames:
    originals: str
    documents: str
    results: str

    def all(self) -> tuple[str, str, str]:
        return (self.originals, self.documents, self.results)


def sha256_of_stream(stream: IO[bytes]) -> tuple[str, int]:
    """SHA-256 hex and length of the rest of ``stream``, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def http_client(
    *, retries: int = 3, connect_timeout: float = 5.0, ca_file: Path | None = None
) -> urllib3.PoolManager:
    """A connection pool with bounded retries, so an absent server fails in seconds.

    ``ca_file`` (PEM) verifies a TLS server against those CAs instead of the system's.
    """
    tls: dict[str, Any] = {"cert_reqs": "CERT_REQUIRED"}
    if ca_file is not None:
        tls["ca_certs"] = str(ca_file)
    return urllib3.PoolManager(
        **tls,
        timeout=urllib3.Timeout(connect=connect_timeout, read=300.0),
        maxsize=10,
        retries=urllib3.Retry(
            total=retries,
            backoff_factor=0.2,
            status_forcelist=[500, 502, 503, 504],
            allowed_methods=None,  # PUT parts carry their checksum, so retrying is safe
        ),
    )


def make_client(settings: Settings, endpoint: str, *, retries: int = 3) -> Minio:
    """A minio client for ``endpoint`` with the settings' keys, TLS and region."""
    return Minio(
        endpoint,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key.get_secret_value(),
        secure=settings.s3_secure,
        region=settings.s3_region,
        http_client=http_client(retries=retries, ca_file=settings.s3_ca_file),
    )


def ensure_buckets(client: Minio, names: BucketNames, lock_mode: str, lock_days: int) -> None:
    """Create missing buckets with object lock; enforce versioning and default retention."""
    wanted = ObjectLockConfig(lock_mode, lock_days, DAYS)
    with translate_errors("ensure buckets"):
        for name in names.all():
            if not client.bucket_exists(name):
                client.make_bucket(name, object_lock=True)
            if client.get_bucket_versioning(name).status != ENABLED:
                client.set_bucket_versioning(name, VersioningConfig(ENABLED))
            current = client.get_object_lock_config(name)
            if (current.mode, current.duration, current.duration_unit) != (
                wanted.mode,
                wanted.duration,
                wanted.duration_unit,
            ):
                client.set_object_lock_config(name, wanted)


def describe_bucket(client: Minio, name: str) -> dict[str, Any]:
    """Versioning and object-lock state of a bucket (for ``sohoa storage check``)."""
    with translate_errors("describe bucket", name):
        lock = client.get_object_lock_config(name)
        return {
            "bucket": name,
            "versioning": client.get_bucket_versioning(name).status,
            "lock_mode": lock.mode,
            "retention": f"{lock.duration} {lock.duration_unit}" if lock.duration else None,
        }


__all__ = [
    "CHUNK",
    "BucketNames",
    "describe_bucket",
    "ensure_buckets",
    "http_client",
    "make_client",
    "sha256_of_stream",
]
