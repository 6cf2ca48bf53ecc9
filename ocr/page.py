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

    ``filter`` is ``/DCTDecode`` (JPEG), ``/CCITTFaxDecode`` (bilevel scans) or
    ``/FlateDecode`` (palette scans, 1-bit fallback). When ``pdf_source`` is set (a PDF file
    and page index whose only image is this one), ``data`` is empty: the image stream is copied
    from that PDF unchanged when the output is written, so a long scanned document is never
    held in memory and a JBIG2 or CCITT scan keeps its own coding.
    """

    data: bytes
    filter: str
    width: int
    height: int
    colour_space: str
    bits: int
    pdf_source: tuple[Path, int] | None = None
    #: ``/DecodeParms`` of the stream (CCITT G4 needs its columns and polarity).
    decode_parms: dict[str, int | bool] | None = None
    #: The RGB lookup table when ``colour_space`` is ``/Indexed`` (over DeviceRGB).
    palette: bytes | None = None
    #: The size the image is drawn at, in points, when it is not its pixels at ``dpi`` (an
    #: image copied from a source PDF covers that page's box exactly).
    drawn_size: tuple[float, float] | None = None
    #: The matrix placing the image on its (unturned) page when the source drew it turned or
    #: mirrored; None: upright over ``drawn_size``.
    placement: tuple[float, float, float, float, float, float] | None = None


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
    #: Why a page that had a text layer was OCR'd (``ocr.textcheck`` reasons), else "".
    text_layer_rejected: str = ""
    #: The source PDF page kept as vector content (born-digital), or None for a raster page.
    vector_source: tuple[Path, int] | None = None
    #: What was changed in a kept vector page to conform to PDF/A-2b (filled in by ``ocr.pdfa``).
    changes: tuple[str, ...] = ()
