"""Per-page OCR reports of a document (báo cáo từng trang), stored as JSON on the document.

One object per page, in page order; ``pages_to_rescan`` on the document counts the pages the
quality gate flagged, so the "pages to rescan" figure is a plain column sum.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from storage.models import Document


@dataclass(frozen=True)
class PageRecord:
    """What is kept of one page's OCR report.

    Attributes:
        number: Page number in the document, from 1.
        source: "ocr" (recognised) or "text-layer" (the page kept its own text).
        content: "raster" (scan or rendered page) or "vector" (born-digital page kept).
        confidence: Tesseract's mean word confidence 0–100 (100 for a kept text layer).
        estimated_accuracy: Character accuracy estimated from the confidence (0–1).
        needs_rescan: The quality gate flagged the page.
        reason: Why it was flagged (or "").
        text_layer_rejected: Why the page's own text layer was not kept (or "").
        rotation: Clockwise quarter turns applied to make the page upright.
        dpi: Resolution of the stored page image.
        changes: What PDF/A-2b conversion changed on a kept page.
    """

    number: int
    source: str
    content: str
    confidence: float
    estimated_accuracy: float
    needs_rescan: bool
    reason: str = ""
    text_layer_rejected: str = ""
    rotation: int = 0
    dpi: int = 0
    changes: tuple[str, ...] = field(default_factory=tuple)


def encode(pages: Sequence[PageRecord]) -> str:
    """The JSON text stored in ``documents.page_report``."""
    return json.dumps([asdict(p) for p in pages], ensure_ascii=False, separators=(",", ":"))


def decode(text: str | None) -> list[dict[str, Any]]:
    """The stored page objects (empty for documents digitized before page reports existed)."""
    if not text:
        return []
    try:
        data = json.loads(text)
    except ValueError:
        return []
    return [p for p in data if isinstance(p, dict)] if isinstance(data, list) else []


def record_pages(session: Session, document: Document, pages: Sequence[PageRecord]) -> None:
    """Store the page reports of ``document`` (replacing any earlier ones)."""
    document.page_report = encode(pages)
    document.pages_to_rescan = sum(1 for p in pages if p.needs_rescan)
    session.flush()


__all__ = ["PageRecord", "decode", "encode", "record_pages"]
