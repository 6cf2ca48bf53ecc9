"""Text already present in a born-digital PDF page, read with poppler's ``pdftotext``.

Such a page is not re-OCR'd: its words and their boxes come from the PDF itself, which is both
exact and much faster than recognition.
"""

from __future__ import annotations

import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from core.errors import CorruptFile
from ocr.page import TextLine, Word

_NS = "{http://www.w3.org/1999/xhtml}"
#: A page with fewer visible characters than this counts as having no text layer.
MIN_TEXT_CHARS = 8


@dataclass(frozen=True)
class PageText:
    """Text and lines of one PDF page, in points, top-left origin, page as displayed."""

    width: float
    height: float
    lines: tuple[TextLine, ...]
    text: str


def _floats(element: ET.Element) -> tuple[float, float, float, float]:
    return (
        float(element.get("xMin", 0)),
        float(element.get("yMin", 0)),
        float(element.get("xMax", 0)),
        float(element.get("yMax", 0)),
    )


def parse_bbox_layout(xhtml: str) -> list[PageText]:
    """Parse ``pdftotext -bbox-layout`` output into pages of lines."""
    root = ET.fromstring(xhtml)
    pages = []
    for page in root.iter(f"{_NS}page"):
        lines: list[TextLine] = []
        paragraphs: list[str] = []
        for block in page.iter(f"{_NS}block"):
            block_lines = []
            for line in block.iter(f"{_NS}line"):
                words = tuple(
                    Word(unicodedata.normalize("NFC", w.text or ""), *_floats(w), confidence=100.0)
                    for w in line.iter(f"{_NS}word")
                    if (w.text or "").strip()
                )
                if words:
                    lines.append(TextLine(words, *_floats(line)))
                    block_lines.append(" ".join(w.text for w in words))
            if block_lines:
                paragraphs.append("\n".join(block_lines))
        pages.append(
            PageText(
                float(page.get("width", 0)),
                float(page.get("height", 0)),
                tuple(lines),
                "\n\n".join(paragraphs),
            )
        )
    return pages


def page_text(path: Path, index: int) -> PageText:
    """Words of page ``index`` (from 0) of the PDF at ``path``."""
    number = str(index + 1)
    result = subprocess.run(
        ["pdftotext", "-f", number, "-l", number, "-bbox-layout", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        raise CorruptFile(f"{path.name}: cannot read the text of page {number}")
    pages = parse_bbox_layout(result.stdout.decode("utf-8", errors="replace"))
    if not pages:
        raise CorruptFile(f"{path.name}: page {number} has no readable content")
    return pages[0]


def has_text(page: PageText) -> bool:
    """True if the page carries a real text layer (not just a stray mark)."""
    return sum(not c.isspace() for c in page.text) >= MIN_TEXT_CHARS
