"""The media type of an upload, from its first bytes (what the client claims is not used).

Originals are stored and later served with this type: a client that labelled a scan
``text/html`` must not make the S3 server hand it to a browser as a page.
"""

from __future__ import annotations

from pathlib import Path

#: Leading bytes of the formats reception accepts (ocr.inputs checks the content itself).
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"II+\x00", "image/tiff"),  # BigTIFF
    (b"MM\x00+", "image/tiff"),
    (b"BM", "image/bmp"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
UNKNOWN = "application/octet-stream"


def sniffed_type(path: Path) -> str:
    """The media type ``path``'s content starts like, else ``application/octet-stream``."""
    with Path(path).open("rb") as fh:
        head = fh.read(16)
    for magic, media_type in _SIGNATURES:
        if head.startswith(magic):
            return media_type
    # A PDF may have a few bytes of junk before its header (PDF 32000-1, 7.5.2 readers allow it).
    with Path(path).open("rb") as fh:
        if b"%PDF-" in fh.read(1024):
            return "application/pdf"
    return UNKNOWN


__all__ = ["UNKNOWN", "sniffed_type"]
