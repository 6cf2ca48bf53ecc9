"""What a page of an input is and how to produce it: the page plan handed to a worker."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

ColourMode = Literal["bilevel", "gray", "rgb"]
#: A PDF page that is one full-page image, stored unchanged: decoded directly ("jpeg") or
#: rendered by poppler for OCR only ("image": CCITT, JBIG2, Flate scans).
Embedded = Literal["", "jpeg", "image"]

#: Resolution for pages without any image (vector or born-digital pages).
VECTOR_DPI = 300
#: Archival minimum for the stored page image (Vietnamese digitization rules: ≥ 200 dpi).
ARCHIVE_MIN_DPI = 200
_MAX_DPI = 600
#: A recorded DPI that makes the image longer than this (A3 is 16.5 in) is not believed.
_MAX_PLAUSIBLE_INCHES = 17.0


class InputKind(enum.StrEnum):
    """File formats sohoa reads, identified by their first bytes."""

    PDF = "pdf"
    JPEG = "jpeg"
    PNG = "png"
    TIFF = "tiff"
    BMP = "bmp"


_MAGIC: tuple[tuple[bytes, InputKind], ...] = (
    (b"\xff\xd8\xff", InputKind.JPEG),
    (b"\x89PNG\r\n\x1a\n", InputKind.PNG),
    (b"II*\x00", InputKind.TIFF),
    (b"MM\x00*", InputKind.TIFF),
    (b"BM", InputKind.BMP),
)


def sniff(head: bytes) -> InputKind | None:
    """The format of a file from its first bytes (at least 1024 for PDFs), or None."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    # The PDF header may follow some junk; readers accept it within the first 1024 bytes.
    return InputKind.PDF if b"%PDF-" in head[:1024] else None


@dataclass(frozen=True)
class PagePlan:
    """How to produce one page: picklable, handed to a worker process.

    Attributes:
        path: The input file.
        kind: Its format.
        index: Page (PDF) or frame (TIFF) number in that file, from 0.
        dpi: Resolution of the page image as stored (the source's own resolution).
        colour: Colour mode of the stored image.
        text_layer: True if the PDF page carries fonts: its text layer is judged
            (``ocr.textcheck``) and, if real, kept instead of OCR'd.
        source_dpi: Resolution of the page's largest image (0: same as ``dpi``).
        embedded: The PDF page is one upright full-page image (the usual scanner PDF), stored
            unchanged: "jpeg" is decoded directly (no poppler), "image" (CCITT, JBIG2, Flate)
            is rendered by poppler for OCR only.
    """

    path: Path
    kind: InputKind
    index: int
    dpi: int
    colour: ColourMode
    text_layer: bool = False
    embedded: Embedded = ""
    source_dpi: int = 0


@dataclass(frozen=True)
class InputInfo:
    """What ``check_input`` learned about a file."""

    path: Path
    kind: InputKind
    pages: tuple[PagePlan, ...]
