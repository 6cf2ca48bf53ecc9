"""Uploads with ``x-amz-checksum-sha256`` on every PUT and every part (minio-py sends none).

minio-py 7.2 ``put_object`` neither sends checksums on parts nor lists them in
``CompleteMultipartUpload``; this module drives the three S3 calls itself through the client's
signed request method. Only one part is in memory at a time, so memory stays flat whatever the
object size. The whole object's SHA-256 is computed along the way and compared with the declared
one before completing: a mismatch aborts the upload, nothing is stored.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
from collections.abc import Callable
from typing import IO, Any
from xml.etree import ElementTree as ET

from minio import Minio
from minio.datatypes import CompleteMultipartUploadResult

from core.errors import IntegrityError
from storage.minio_compat import execute

_NS = "http://s3.amazonaws.com/doc/2006-03-01/"


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    first: bytes = stream.read(size)
    if len(first) == size or not first:
        return first  # files answer in one read: no second copy of the part
    buffer = bytearray(first)
    while len(buffer) < size:
        chunk: bytes = stream.read(size - len(buffer))
        if not chunk:
            break
        buffer += chunk
    return bytes(buffer)


def _complete_body(parts: list[tuple[int, str, str]]) -> bytes:
    root = ET.Element("CompleteMultipartUpload", xmlns=_NS)
    for number, etag, checksum in parts:
        part = ET.SubElement(root, "Part")
        ET.SubElement(part, "PartNumber").text = str(number)
        ET.SubElement(part, "ETag").text = f'"{etag}"'
        ET.SubElement(part, "ChecksumSHA256").text = checksum
    body: bytes = ET.tostring(root, encoding="utf-8")
    return body


def upload_single(
    client: Minio,
    bucket: str,
    key: str,
    stream: IO[bytes],
    size: int,
    *,
    sha256: str,
    headers: dict[str, str],
) -> str | None:
    """One PUT of ``size`` bytes (at most a part) with its checksum; returns the version id.

    minio-py's ``put_object`` picks its own part size and would turn a 16 MiB body into a
    multipart upload, where a whole-object checksum header is invalid; so PUT directly.
    """
    data = _read_exactly(stream, size)
    if len(data) != size:
        raise IntegrityError(f"s3://{bucket}/{key}: stream ended after {len(data)} of {size} bytes")
    checksum = base64.b64encode(bytes.fromhex(sha256)).decode("ascii")
    put_headers: dict[str, Any] = {**headers, "x-amz-checksum-sha256": checksum}
    response = execute(client, "PUT", bucket, key, body=data, headers=put_headers)
    version: str | None = response.headers.get("x-amz-version-id")
    return version


def upload_multipart(
    client: Minio,
    bucket: str,
    key: str,
    stream: IO[bytes],
    size: int,
    *,
    sha256: str,
    part_size: int,
    headers: dict[str, str],
    progress: Callable[[int], None] | None = None,
) -> str | None:
    """Upload ``size`` bytes in parts of ``part_size``; returns the new version id.

    Raises:
        IntegrityError: the bytes read do not hash to ``sha256`` (upload aborted).
        minio.error.S3Error / urllib3 errors: translated by the caller.
    """
    create_headers: dict[str, Any] = {**headers, "x-amz-checksum-algorithm": "SHA256"}
    response = execute(
        client, "POST", bucket, key, headers=create_headers, query_params={"uploads": ""}
    )
    upload_id = ET.fromstring(response.data.decode()).findtext(f"{{{_NS}}}UploadId") or ""
    whole = hashlib.sha256()
    parts: list[tuple[int, str, str]] = []
    sent = 0
    try:
        number = 0
        while sent < size:
            number += 1
            data = _read_exactly(stream, min(part_size, size - sent))
            if not data:
                raise IntegrityError(
                    f"s3://{bucket}/{key}: stream ended after {sent} of {size} bytes"
                )
            length = len(data)
            whole.update(data)
            checksum = base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")
            part = execute(
                client,
                "PUT",
                bucket,
                key,
                body=data,
                headers={"x-amz-checksum-sha256": checksum},
                query_params={"partNumber": str(number), "uploadId": upload_id},
            )
            del data  # let the part go before reading the next one
            parts.append((number, part.headers.get("etag", "").replace('"', ""), checksum))
            sent += length
            if progress:
                progress(sent)
        if whole.hexdigest() != sha256:
            raise IntegrityError(
                f"s3://{bucket}/{key}: uploaded bytes do not match the declared SHA-256",
                detail_vi="Dữ liệu tải lên không khớp mã băm SHA-256",
            )
        body = _complete_body(parts)
        done = execute(
            client,
            "POST",
            bucket,
            key,
            body=body,
            headers={
                "Content-Type": "application/xml",
                "Content-MD5": base64.b64encode(
                    hashlib.md5(body, usedforsecurity=False).digest()
                ).decode("ascii"),
            },
            query_params={"uploadId": upload_id},
        )
        return CompleteMultipartUploadResult(done).version_id
    except BaseException:
        # The server may be why we are here; the original error is the one that matters, and
        # an abandoned upload is invisible to readers.
        with contextlib.suppress(Exception):
            execute(client, "DELETE", bucket, key, query_params={"uploadId": upload_id})
        raise


__all__ = ["upload_multipart", "upload_single"]
