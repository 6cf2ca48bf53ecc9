"""Turn minio / urllib3 failures into sohoa's errors, with a one-line message.

- The server cannot be reached, times out, drops the connection or answers 5xx:
  :class:`~core.errors.StorageUnavailable` (``retryable``: try again later; nothing accepted
  before is affected).
- Checksum refused (``BadDigest`` and friends): :class:`~core.errors.IntegrityError`.
- No such key or version: :class:`~core.errors.NotFound` (a missing bucket is a StorageError).
- Any other refusal (object lock, access denied, bad request): :class:`~core.errors.StorageError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import urllib3.exceptions
from minio.error import InvalidResponseError, S3Error, ServerError

from core.errors import IntegrityError, NotFound, StorageError, StorageUnavailable

_CHECKSUM_CODES = frozenset(
    {
        "BadDigest",
        "InvalidDigest",
        "XAmzContentSHA256Mismatch",
        "XAmzContentChecksumMismatch",
        "InvalidChecksum",
    }
)
_MISSING_CODES = frozenset({"NoSuchKey", "NoSuchVersion", "NoSuchUpload"})


def _where(bucket: str | None, key: str | None) -> str:
    if bucket and key:
        return f" s3://{bucket}/{key}"
    return f" s3://{bucket}" if bucket else ""


@contextmanager
def translate_errors(
    operation: str, bucket: str | None = None, key: str | None = None
) -> Iterator[None]:
    """Re-raise S3 and network failures inside the block as ``core.errors`` classes."""
    where = _where(bucket, key)
    try:
        yield
    except S3Error as exc:
        if exc.code in _CHECKSUM_CODES:
            raise IntegrityError(
                f"{operation}{where}: the server refused the data, checksum mismatch ({exc.code})",
                detail_vi="Kho lưu trữ từ chối dữ liệu: sai mã kiểm tra SHA-256",
            ) from exc
        if exc.code == "NoSuchBucket":
            raise StorageError(
                f"{operation}{where}: bucket missing (run `sohoa storage check` to create it)"
            ) from exc
        if exc.code in _MISSING_CODES:
            raise NotFound(f"{operation}{where}: {exc.code}") from exc
        status = exc.response.status if exc.response is not None else 0
        if status >= 500 or exc.code in {"SlowDown", "ServiceUnavailable", "InternalError"}:
            raise StorageUnavailable(
                f"{operation}{where}: S3 server error {exc.code}",
                detail_vi="Kho lưu trữ tạm thời lỗi, vui lòng thử lại",
            ) from exc
        raise StorageError(f"{operation}{where}: refused ({exc.code}: {exc.message})") from exc
    except (ServerError, InvalidResponseError) as exc:
        raise StorageUnavailable(
            f"{operation}{where}: S3 server error ({type(exc).__name__})",
            detail_vi="Kho lưu trữ tạm thời lỗi, vui lòng thử lại",
        ) from exc
    except (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError) as exc:
        reason = getattr(exc, "reason", None) or exc
        if isinstance(reason, urllib3.exceptions.SSLError):
            # A certificate problem does not go away by retrying.
            raise StorageError(
                f"{operation}{where}: TLS verification failed ({reason}); set SOHOA_S3_CA_FILE"
                " to the CA that signed the S3 server's certificate",
                detail_vi="Không xác thực được chứng thư TLS của kho lưu trữ",
            ) from exc
        raise StorageUnavailable(
            f"{operation}{where}: S3 server unreachable ({type(reason).__name__})",
            detail_vi="Không kết nối được kho lưu trữ, vui lòng thử lại",
        ) from exc


__all__ = ["translate_errors"]
