"""What one processed page is: its stored image, where it goes, and its words (picklable)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

PageSourceKind = Literal["ocr", "text-layer"]


@dataclass(frozen=True)
class Word:
    """A recognised word: text and box in PDF points, origin at the top-left of the upright page."""

    text: str
    left: float
    top: float
    right: float
    bottom: float
    confidence: float = -1.0


@dataclass(frozen=True)
class TextLine:
    """Words of one line, in reading order, and the line's box (points, top-left origin)."""

    words: tuple[Word, ...]
    left: float
    top: float
    right: float
    bottom: float


@dataclass(frozen=True)
class StoredImage:
    """The page image as it goes into the PDF: already-encoded bytes and their PDF filter.

    ``filter`` is ``/DCTDecode`` (JPEG) or ``/FlateDecode`` (1-bit bilevel scans). When
    ``pdf_source`` is set (a PDF file and page index whose only image is this JPEG), ``data`` is
    empty: the image is copied from that PDF when the output is written, so a long scanned
    document is never held in memory.
    """

    data: bytes
    filter: str
    width: int
    height: int
    colour_space: str
    bits: int
    pdf_source: tuple[Path, int] | None = None


@dataclass(frozen=True)
class PageResult:
    """One finished page.

    Attributes:
        index: Position in the output document, from 0.
        width, height: Upright page size in points.
        image: The stored image, at the source's resolution, as scanned (not resampled).
        angle: Counter-clockwise degrees the image is drawn turned by (deskew and upright turn
            together, applied by the PDF's drawing matrix, so the image is never resampled).
        dpi: Resolution of the stored image.
        lines: The text layer.
        text: The page's text, lines separated by newlines.
        confidence: Mean word confidence 0–100 (100 for text taken from a text layer).
        rotation: Clockwise 90° steps applied to make the page upright.
        skew: Detected skew of the text lines in degrees (counter-clockwise positive).
        source: "ocr" or "text-layer" (born-digital page, not re-OCR'd).
        timings: Seconds per stage.
        source_dpi: Resolution of the scan inside a PDF page when lower than ``dpi`` (0: same).
    """

    index: int
    width: float
    height: float
    image: StoredImage
    angle: float
    dpi: int
    lines: tuple[TextLine, ...]
    text: str
    confidence: float
    rotation: int
    skew: float
    source: PageSourceKind
    timings: dict[str, float] = field(default_factory=dict)
    source_dpi: int = 0
