"""Reads of stored *records*: the recorded version, checked before any byte leaves.

:class:`VerifiedReads` is mixed into :class:`storage.objects.ObjectStore`; see that module's
docstring. A missing or altered record is an :class:`~core.errors.IntegrityError` and an
``INTEGRITY ALERT`` line in the log (level ERROR, ``extra["alert"] == "integrity"``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from minio import Minio

from core.errors import IntegrityError, NotFound
from core.settings import MiB
from storage.keys import safe_name
from storage.s3client import CHUNK
from storage.s3errors import translate_errors

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckedVersion:
    """A recorded version's metadata as S3 reports it (after the check passed)."""

    bucket: str
    key: str
    sha256: str
    size: int
    version_id: str | None


class VerifiedReads:
    """Record reads over ``self.client`` (a minio client)."""

    client: Minio
    presign_expiry: timedelta

    # --- reads of records (verified before anything leaves) -------------------------------

    def _alert(self, bucket: str, key: str, version_id: str | None, problem: str) -> None:
        # An integrity alert: a stored record is missing or altered. Operators watch for it.
        log.error(
            "INTEGRITY ALERT: s3://%s/%s (version %s): %s",
            bucket,
            key,
            version_id or "current",
            problem,
            extra={"alert": "integrity", "bucket": bucket, "key": key, "version": version_id},
        )

    def _missing(self, bucket: str, key: str, version_id: str | None) -> IntegrityError:
        self._alert(bucket, key, version_id, "missing")
        return IntegrityError(
            f"s3://{bucket}/{key}: the recorded object is missing",
            detail_vi="Không tìm thấy dữ liệu đã lưu trữ",
        )

    def _altered(self, bucket: str, key: str, version_id: str | None, got: str) -> IntegrityError:
        self._alert(bucket, key, version_id, f"content SHA-256 {got[:16]}… differs")
        return IntegrityError(
            f"s3://{bucket}/{key}: content does not match its recorded SHA-256",
            detail_vi="Dữ liệu lưu trữ không khớp mã băm SHA-256 đã ghi nhận",
        )

    def _open(self, bucket: str, key: str, version_id: str | None) -> Any:
        """The GET response of that version, or None if S3 has no such key or version."""
        try:
            with translate_errors("download", bucket, key):
                return self.client.get_object(bucket, key, version_id=version_id)
        except NotFound:
            return None

    def check_version(
        self, bucket: str, key: str, sha256: str, *, version_id: str | None, size: int | None = None
    ) -> CheckedVersion:
        """The recorded version's metadata, checked: it exists and declares ``sha256``.

        Used before handing out a presigned URL of that version: a version's bytes cannot
        change, and object lock keeps it from being deleted, so its recorded SHA-256 is what
        the URL will serve. :class:`IntegrityError` (alerted) otherwise.
        """
        try:
            with translate_errors("stat", bucket, key):
                info = self.client.stat_object(bucket, key, version_id=version_id)
        except NotFound:
            raise self._missing(bucket, key, version_id) from None
        meta = {k.lower(): v for k, v in (info.metadata or {}).items()}
        declared = str(meta.get("x-amz-meta-sha256", ""))
        found_size = int(info.size or 0)
        if declared != sha256 or (size is not None and found_size != size):
            raise self._altered(bucket, key, version_id, declared or "(none)")
        return CheckedVersion(bucket, key, declared, found_size, info.version_id)

    def fetch_verified(
        self,
        bucket: str,
        key: str,
        sha256: str,
        *,
        version_id: str | None = None,
        spool_dir: Path | None = None,
        memory_limit: int = 32 * MiB,
    ) -> bytes | Path:
        """A record's bytes, hashed and checked **before** the caller sends any of them.

        Up to ``memory_limit`` bytes come back in memory; a larger object is written to a
        private temporary file in ``spool_dir`` (the caller serves and removes it). A missing
        object or one whose bytes do not hash to ``sha256`` is an :class:`IntegrityError`
        (alerted), never an empty or partial answer.
        """
        digest = hashlib.sha256()
        buffer = bytearray()
        spool: Path | None = None
        out: IO[bytes] | None = None
        try:
            response = self._open(bucket, key, version_id)
            if response is None:
                raise self._missing(bucket, key, version_id)
            with translate_errors("download", bucket, key):
                try:
                    for chunk in response.stream(CHUNK):
                        digest.update(chunk)
                        if out is None and len(buffer) + len(chunk) > memory_limit:
                            fd, name = tempfile.mkstemp(prefix="sohoa-dl-", dir=spool_dir)
                            spool, out = Path(name), os.fdopen(fd, "wb")
                            out.write(buffer)
                            buffer = bytearray()
                        if out is not None:
                            out.write(chunk)
                        else:
                            buffer += chunk
                finally:
                    response.close()
                    response.release_conn()
            if out is not None:
                out.close()
                out = None
            if digest.hexdigest() != sha256:
                raise self._altered(bucket, key, version_id, digest.hexdigest())
        except BaseException:
            if out is not None:
                out.close()
            if spool is not None:
                spool.unlink(missing_ok=True)
            raise
        return spool if spool is not None else bytes(buffer)

    def presigned_get(
        self,
        bucket: str,
        key: str,
        *,
        filename: str | None = None,
        expiry: timedelta | None = None,
        version_id: str | None = None,
    ) -> str:
        """A short-lived GET URL (default ``SOHOA_PRESIGN_EXPIRY_SECONDS``) for a citizen;
        with ``version_id`` it serves that version even after a newer one is written."""
        params: dict[str, Any] = {}
        if filename:
            # RFC 6266/5987: an ASCII fallback plus the UTF-8 name percent-encoded.
            params["response-content-disposition"] = (
                f'attachment; filename="{safe_name(filename)}";'
                f" filename*=UTF-8''{quote(filename, safe='')}"
            )
        with translate_errors("presign", bucket, key):
            return str(
                self.client.presigned_get_object(
                    bucket,
                    key,
                    expires=expiry or self.presign_expiry,
                    response_headers=params,
                    version_id=version_id,
                )
            )

    def rehash(self, bucket: str, key: str, *, version_id: str | None = None) -> str | None:
        """The SHA-256 of what S3 holds now (that version), or None if it is missing."""
        digest = hashlib.sha256()
        response = self._open(bucket, key, version_id)
        if response is None:
            return None
        with translate_errors("download", bucket, key):
            try:
                for chunk in response.stream(CHUNK):
                    digest.update(chunk)
            finally:
                response.close()
                response.release_conn()
        return digest.hexdigest()


__all__ = ["CheckedVersion", "VerifiedReads"]
