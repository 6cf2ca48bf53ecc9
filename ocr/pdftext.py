"""Text already present in a born-digital PDF page, read with poppler's ``pdftotext``.

Such a page is not re-OCR'd when its layer is real text (``ocr.textcheck`` judges it): its words
and their boxes come from the PDF itself, which is both exact and much faster than recognition.
"""

from __future__ import annotations

import re
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from core.errors import CorruptFile
from ocr.page import TextLine, Word

_NS = "{http://www.w3.org/1999/xhtml}"
#: Characters XML 1.0 forbids. pdftotext writes them verbatim for glyphs it cannot map (a Type3
#: font without ToUnicode gives raw character codes), which makes its XHTML unparseable.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: Numeric character references, checked one by one (pdftotext escapes some codes this way).
_CHAR_REF = re.compile(r"&#(x[0-9a-fA-F]+|[0-9]+);")
#: Stands for a character pdftotext could not map: counted as unmapped by ``ocr.textcheck``.
UNMAPPED = "\ufffd"
#: Seconds pdftotext may take on one page (a pathological content stream must not hang a worker).
PDFTOTEXT_TIMEOUT = 120


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


def _valid_reference(match: re.Match[str]) -> str:
    body = match.group(1)
    code = int(body[1:], 16) if body[0] in "xX" else int(body)
    allowed = code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD
    return match.group(0) if allowed or 0x10000 <= code <= 0x10FFFF else UNMAPPED


def parse_bbox_layout(xhtml: str) -> list[PageText]:
    """Parse ``pdftotext -bbox-layout`` output into pages of lines.

    Characters XML cannot carry become U+FFFD (an unmapped glyph) instead of breaking the parse.

    Raises:
        CorruptFile: The output is not parseable even so (the caller falls back to OCR).
    """
    cleaned = _CHAR_REF.sub(_valid_reference, _XML_INVALID.sub(UNMAPPED, xhtml))
    try:
        root = ET.fromstring(cleaned)
    except ET.ParseError as exc:
        raise CorruptFile(f"the text layer cannot be read ({exc})") from exc
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
    """Words of page ``index`` (from 0) of the PDF at ``path``.

    Raises:
        CorruptFile: poppler cannot read the page's text (the caller falls back to OCR).
    """
    number = str(index + 1)
    try:
        result = subprocess.run(
            [
                "pdftotext",
                *("-f", number, "-l", number),
                *("-bbox-layout", "-enc", "UTF-8", str(path), "-"),
            ],
            capture_output=True,
            check=False,
            timeout=PDFTOTEXT_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        raise CorruptFile(f"{path.name}: reading the text of page {number} took too long") from exc
    if result.returncode != 0:
        raise CorruptFile(f"{path.name}: cannot read the text of page {number}")
    pages = parse_bbox_layout(result.stdout.decode("utf-8", errors="replace"))
    if not pages:
        raise CorruptFile(f"{path.name}: page {number} has no readable content")
    return pages[0]


def document_text(path: Path) -> tuple[str, int]:
    """The whole text and the page count of a PDF (a stored PDF/A being adopted again).

    Pages are separated by form feeds, as ``pdftotext`` writes them.
    """
    import pikepdf

    with pikepdf.open(path) as pdf:
        pages = len(pdf.pages)
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=False,
        timeout=PDFTOTEXT_TIMEOUT * 10,
    )
    return done.stdout.decode("utf-8", errors="replace"), pages
