"""Object storage over S3 (minio SDK): versioned, object-locked buckets and verified transfers.

Public API::

    store = ObjectStore.from_settings(settings, endpoint="127.0.0.1:9000")  # or ObjectStore(...)
    store.ensure_buckets()               # create missing buckets: versioning + object lock
    obj = store.put_file(store.buckets.results, key, path)        # -> StoredObject
    obj = store.put_stream(bucket, key, stream, size, sha256=...)  # streaming, multipart if big
    obj = store.put_bytes(bucket, key, data)
    store.stat(bucket, key) -> StoredObject | None
    for chunk in store.iter_verified(bucket, key, sha256): ...      # IntegrityError at the end
    store.download(bucket, key, dest, sha256); store.read_bytes(bucket, key, sha256)
    data_or_path = store.fetch_verified(bucket, key, sha256, version_id=v, spool_dir=d)
    store.check_version(bucket, key, sha256, version_id=v)          # before a presigned URL
    store.presigned_get(bucket, key, filename="Giấy khai sinh.pdf", version_id=v)
    store.delete(bucket, key, version_id=...)   # refused by object lock -> StorageError

Buckets (``SOHOA_BUCKET_*``): ``originals`` holds uploads unchanged, ``documents`` the digitized
PDF/A copies before signing, ``results`` the signed PDFs handed to citizens; the PDFs use the
same key in both (see :mod:`storage.keys`).

Integrity: every PUT carries ``x-amz-checksum-sha256`` (per part for multipart uploads), so the
server refuses altered bytes (``BadDigest`` → :class:`~core.errors.IntegrityError`); the whole
object's SHA-256 also goes into ``x-amz-meta-sha256`` (hex, ASCII) and belongs in the database,
and reads are re-hashed against it. Putting the same bytes at a key that already holds them is
a no-op (idempotent workers); different bytes need ``replace=True`` and become a new version,
the old one kept by versioning and the bucket's default retention (object lock).

Reads that serve a *record* pin the version the database recorded (:mod:`storage.verified`).

Errors: no answer / 5xx → :class:`~core.errors.StorageUnavailable` (retryable); refusals →
:class:`~core.errors.StorageError`; missing → :class:`~core.errors.NotFound`.
Non-ASCII text never goes into S3 headers: the download name is RFC 5987 encoded.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from minio import Minio

from core.errors import Conflict, IntegrityError, NotFound, StorageError
from core.settings import MiB, Settings
from storage.minio_compat import execute
from storage.s3client import (
    CHUNK,
    BucketNames,
    describe_bucket,
    ensure_buckets,
    http_client,
    make_client,
    sha256_of_stream,
)
from storage.s3errors import translate_errors
from storage.s3multipart import upload_multipart, upload_single
from storage.verified import VerifiedReads

#: Parts of this size are held in memory one at a time; also the single-PUT threshold.
DEFAULT_PART_SIZE = 16 * MiB
Progress = Callable[[int], None]


@dataclass(frozen=True)
class StoredObject:
    """What S3 holds at a key: the SHA-256 (hex) sent with it, size and version."""

    bucket: str
    key: str
    sha256: str
    size: int
    version_id: str | None


def _check_declared(bucket: str, key: str, declared: str | None, computed: str) -> None:
    if declared is not None and declared != computed:
        raise IntegrityError(
            f"s3://{bucket}/{key}: the bytes do not match the declared SHA-256",
            detail_vi="Dữ liệu không khớp mã băm SHA-256 đã khai báo",
        )


class ObjectStore(VerifiedReads):
    """sohoa's buckets on one S3 server."""

    def __init__(
        self,
        client: Minio,
        buckets: BucketNames,
        *,
        lock_mode: str = "GOVERNANCE",
        lock_days: int = 30,
        presign_expiry: timedelta = timedelta(minutes=5),
        part_size: int = DEFAULT_PART_SIZE,
    ) -> None:
        if part_size < 5 * MiB:
            raise ValueError("S3 parts must be at least 5 MiB")
        self.client = client
        self.buckets = buckets
        self.lock_mode = lock_mode
        self.lock_days = lock_days
        self.presign_expiry = presign_expiry
        self.part_size = part_size

    @classmethod
    def from_settings(
        cls, settings: Settings, *, endpoint: str | None = None, retries: int = 3
    ) -> ObjectStore:
        """A store for ``endpoint`` (default ``settings.s3_endpoint``) with the settings' keys."""
        address = endpoint or settings.s3_endpoint
        if not address:
            raise StorageError("no S3 endpoint: set SOHOA_S3_ENDPOINT or start the embedded one")
        client = make_client(settings, address, retries=retries)
        return cls(
            client,
            BucketNames(
                settings.bucket_originals, settings.bucket_documents, settings.bucket_results
            ),
            lock_mode=settings.object_lock_mode,
            lock_days=settings.object_lock_days,
            presign_expiry=timedelta(seconds=settings.presign_expiry_seconds),
            part_size=max(5, settings.s3_part_size_mb) * MiB,
        )

    # --- buckets ---------------------------------------------------------------------------

    def ensure_buckets(self) -> None:
        """Create missing buckets with object lock; enforce versioning and default retention."""
        ensure_buckets(self.client, self.buckets, self.lock_mode, self.lock_days)

    def describe_bucket(self, name: str) -> dict[str, Any]:
        """Versioning and object-lock state of a bucket (for ``sohoa storage check``)."""
        return describe_bucket(self.client, name)

    # --- writes ----------------------------------------------------------------------------

    def stat(self, bucket: str, key: str) -> StoredObject | None:
        """The current version at ``key``, or ``None`` if there is none."""
        try:
            with translate_errors("stat", bucket, key):
                info = self.client.stat_object(bucket, key)
        except NotFound:
            return None
        meta = {k.lower(): v for k, v in (info.metadata or {}).items()}
        return StoredObject(
            bucket,
            key,
            str(meta.get("x-amz-meta-sha256", "")),
            int(info.size or 0),
            info.version_id,
        )

    def put_stream(
        self,
        bucket: str,
        key: str,
        stream: IO[bytes],
        size: int,
        *,
        sha256: str | None = None,
        content_type: str = "application/octet-stream",
        replace: bool = False,
        progress: Progress | None = None,
    ) -> StoredObject:
        """Upload ``size`` bytes from ``stream``; see the module docstring for the rules.

        If ``sha256`` or ``size`` (-1) is not given the stream is hashed first (seeking back),
        or spooled to a temporary file when it cannot seek. ``progress`` receives bytes sent.
        """
        if sha256 is None or size < 0:
            if not stream.seekable():
                return self._put_spooled(
                    bucket, key, stream, sha256, content_type, replace, progress
                )
            start = stream.tell()
            computed, size = sha256_of_stream(stream)
            stream.seek(start)
            _check_declared(bucket, key, sha256, computed)
            sha256 = computed
        existing = self.stat(bucket, key)
        if existing is not None:
            if existing.sha256 == sha256 and existing.size == size:
                return existing  # already stored: a re-run must not create a version
            if not replace:
                raise Conflict(
                    f"s3://{bucket}/{key} already holds different content",
                    detail_vi="Đối tượng đã tồn tại với nội dung khác",
                )
        # The hex digest as user metadata (ASCII) lets stat() recognise identical content.
        headers = {"x-amz-meta-sha256": sha256, "Content-Type": content_type}
        with translate_errors("upload", bucket, key):
            if size <= self.part_size:
                version_id = upload_single(
                    self.client, bucket, key, stream, size, sha256=sha256, headers=headers
                )
                if progress:
                    progress(size)
            else:
                version_id = upload_multipart(
                    self.client,
                    bucket,
                    key,
                    stream,
                    size,
                    sha256=sha256,
                    part_size=self.part_size,
                    headers=headers,
                    progress=progress,
                )
        return StoredObject(bucket, key, sha256, size, version_id)

    def _put_spooled(
        self,
        bucket: str,
        key: str,
        stream: IO[bytes],
        declared: str | None,
        content_type: str,
        replace: bool,
        progress: Progress | None,
    ) -> StoredObject:
        with tempfile.SpooledTemporaryFile(max_size=8 * MiB) as spool:
            digest = hashlib.sha256()
            size = 0
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                spool.write(chunk)
                size += len(chunk)
            spool.seek(0)
            _check_declared(bucket, key, declared, digest.hexdigest())
            return self.put_stream(
                bucket,
                key,
                spool,
                size,
                sha256=digest.hexdigest(),
                content_type=content_type,
                replace=replace,
                progress=progress,
            )

    def put_file(
        self,
        bucket: str,
        key: str,
        path: Path,
        *,
        sha256: str | None = None,
        content_type: str = "application/pdf",
        replace: bool = False,
        progress: Progress | None = None,
    ) -> StoredObject:
        """Upload a file from disk (streamed; multipart above the part size)."""
        with Path(path).open("rb") as stream:
            return self.put_stream(
                bucket,
                key,
                stream,
                Path(path).stat().st_size,
                sha256=sha256,
                content_type=content_type,
                replace=replace,
                progress=progress,
            )

    def put_bytes(
        self,
        bucket: str,
        key: str,
        data: bytes,
        *,
        sha256: str | None = None,
        content_type: str = "application/pdf",
        replace: bool = False,
    ) -> StoredObject:
        """Upload a small object held in memory."""
        return self.put_stream(
            bucket,
            key,
            io.BytesIO(data),
            len(data),
            sha256=sha256 or hashlib.sha256(data).hexdigest(),
            content_type=content_type,
            replace=replace,
        )

    # --- reads -----------------------------------------------------------------------------

    def iter_verified(
        self, bucket: str, key: str, sha256: str, *, version_id: str | None = None
    ) -> Iterator[bytes]:
        """Stream an object in 1 MiB chunks; raises IntegrityError after the last chunk if the
        bytes do not hash to ``sha256`` (consumers must discard what they received)."""
        digest = hashlib.sha256()
        with translate_errors("download", bucket, key):
            response = self.client.get_object(bucket, key, version_id=version_id)
            try:
                for chunk in response.stream(CHUNK):
                    digest.update(chunk)
                    yield chunk
            finally:
                response.close()
                response.release_conn()
        if digest.hexdigest() != sha256:
            raise IntegrityError(
                f"s3://{bucket}/{key}: content SHA-256 {digest.hexdigest()[:16]}… does not match"
                f" the recorded {sha256[:16]}…",
                detail_vi="Dữ liệu lưu trữ không khớp mã băm SHA-256 đã ghi nhận",
            )

    def download(
        self, bucket: str, key: str, dest: Path, sha256: str, *, version_id: str | None = None
    ) -> Path:
        """Download to ``dest`` (via a temporary file; nothing is left behind on mismatch)."""
        dest = Path(dest)
        partial = dest.with_name(dest.name + ".part")
        try:
            with partial.open("wb") as out:
                for chunk in self.iter_verified(bucket, key, sha256, version_id=version_id):
                    out.write(chunk)
            partial.replace(dest)
        finally:
            partial.unlink(missing_ok=True)
        return dest

    def read_bytes(self, bucket: str, key: str, sha256: str) -> bytes:
        """A small object's bytes, verified."""
        return b"".join(self.iter_verified(bucket, key, sha256))

    def delete(
        self,
        bucket: str,
        key: str,
        *,
        version_id: str | None = None,
        bypass_governance: bool = False,
    ) -> None:
        """Delete one version (object lock refuses while retained: :class:`StorageError`).

        Without ``version_id`` the current version is meant; it is looked up, because a plain
        DELETE on a versioned bucket only hides the object behind a delete marker, which the
        lock allows and which would make a record vanish silently.
        """
        if version_id is None:
            current = self.stat(bucket, key)
            if current is None:
                raise NotFound(f"delete s3://{bucket}/{key}: no such object")
            version_id = current.version_id
        with translate_errors("delete", bucket, key):
            if bypass_governance:
                # minio-py has no bypass flag on remove_object; send the header ourselves.
                execute(
                    self.client,
                    "DELETE",
                    bucket,
                    key,
                    headers={"x-amz-bypass-governance-retention": "true"},
                    query_params={"versionId": version_id} if version_id else None,
                )
            else:
                self.client.remove_object(bucket, key, version_id=version_id)


__all__ = [
    "DEFAULT_PART_SIZE",
    "BucketNames",
    "ObjectStore",
    "StoredObject",
    "http_client",
    "sha256_of_stream",
]
