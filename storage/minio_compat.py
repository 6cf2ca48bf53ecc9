"""The private minio-py calls sohoa relies on, gathered in one place.

Checked against minio 7.2.20 (the pinned release). When minio is upgraded, re-check each call
here; nothing else in sohoa may touch a private minio name.

- ``Minio._execute``: the signed raw request. sohoa needs it for what the public API lacks:
  a PUT carrying ``x-amz-checksum-sha256`` without minio's own part splitting, the multipart
  calls with per-part checksums, and a DELETE with ``x-amz-bypass-governance-retention``.
"""

from __future__ import annotations

from typing import Any

from minio import Minio


def execute(
    client: Minio,
    method: str,
    bucket: str,
    key: str,
    *,
    body: bytes | None = None,
    headers: dict[str, Any] | None = None,
    query_params: dict[str, str | list[str] | tuple[str]] | None = None,
) -> Any:
    """One signed S3 request (``Minio._execute``); returns the urllib3 response."""
    return client._execute(
        method,
        bucket,
        key,
        body=body,
        headers=headers,
        query_params=query_params,
        no_body_trace=body is not None,
    )


__all__ = ["execute"]
