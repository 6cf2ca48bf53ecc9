"""The stored PDFs the pages show: a local cached copy (verified), page thumbnails.

A document's PDF is fetched once from S3 against its recorded SHA-256 into the work directory
(named by that hash, so a newer version is a new file); thumbnails are cached next to it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from core.domain import BucketRole
from core.errors import NotFound
from pipeline import Runtime, adapters
from pipeline.context import get_document

#: Thumbnail width in pixels (the pages show them at 120 CSS pixels; 2× for sharp screens).
THUMB_WIDTH = 240
PREVIEW_WIDTH = 720


@dataclass(frozen=True)
class StoredPdf:
    """Where a document's latest PDF is, its hash, and its file name."""

    bucket: str
    key: str
    sha256: str
    version_id: str | None

    @property
    def filename(self) -> str:
        return self.key.rsplit("/", 1)[-1]


def latest_pdf(rt: Runtime, document_id: int) -> StoredPdf:
    """The signed PDF of a document, else its digitized copy; NotFound before either exists."""
    with rt.sessions() as session:
        document = get_document(session, document_id)
        if document.signed_key and document.signed_sha256:
            return StoredPdf(
                rt.bucket(BucketRole.RESULTS),
                document.signed_key,
                document.signed_sha256,
                getattr(document, "signed_version_id", None),
            )
        if document.digitized_key and document.digitized_sha256:
            return StoredPdf(
                rt.bucket(BucketRole.DOCUMENTS),
                document.digitized_key,
                document.digitized_sha256,
                getattr(document, "digitized_version_id", None),
            )
    raise NotFound(f"document {document_id} has no PDF yet", detail_vi="Chưa có tệp PDF")


def _cache_dir(rt: Runtime) -> Path:
    path = rt.settings.work_dir() / "web-cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def local_copy(rt: Runtime, stored: StoredPdf) -> Path:
    """A verified local copy of ``stored`` (downloaded once)."""
    path = _cache_dir(rt) / f"{stored.sha256}.pdf"
    if not path.exists():
        tmp = path.with_name(f"{path.name}.{secrets.token_hex(4)}")
        rt.objects.download(stored.bucket, stored.key, tmp, stored.sha256)
        tmp.replace(path)
    return path


def thumbnail(rt: Runtime, document_id: int, page: int, width: int = THUMB_WIDTH) -> bytes:
    """A PNG of page ``page`` of the document's latest PDF (cached)."""
    stored = latest_pdf(rt, document_id)
    png = _cache_dir(rt) / f"{stored.sha256}-{page}-{width}.png"
    if not png.exists():
        data = adapters.page_image(local_copy(rt, stored), page, width)
        tmp = png.with_name(f"{png.name}.{secrets.token_hex(4)}")
        tmp.write_bytes(data)
        tmp.replace(png)
    return png.read_bytes()


__all__ = ["PREVIEW_WIDTH", "THUMB_WIDTH", "StoredPdf", "latest_pdf", "local_copy", "thumbnail"]
