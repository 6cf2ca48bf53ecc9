"""The occupied regions of a PDF page: word boxes plus inked areas (where a stamp must not go).

Words come from the page's text layer through poppler's ``pdftotext -bbox-layout``: a page
``ocr`` digitized carries an invisible text layer with Tesseract's word positions, a born-digital
page has its real text. Neither sees a seal, a signature, a table rule or a picture, so the page
is also rendered at low resolution (``pdftoppm``) and every inked cell counts as occupied.

Rectangles are PDF points on the page *as displayed* (after /Rotate), origin at the bottom-left:
the coordinates ``signing.placement`` plans in.
"""

from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass
from pathlib import Path

from core.errors import CorruptFile
from ocr.pdftext import page_text

Rect = tuple[float, float, float, float]

#: Render resolution for the ink map. 36 dpi (2 pt per pixel) still shows 6 pt text and 0.5 pt
#: rules as grey pixels, and renders an A4 page in a few tens of milliseconds.
INK_DPI = 36
#: A pixel darker than this is ink. Scanned paper is rarely darker than ~225 on a 0-255 scale;
#: anti-aliased strokes at low resolution are mid-grey.
INK_THRESHOLD = 200
#: Pixels per ink cell side: cells are merged into runs along each row.
INK_CELL = 2
#: Seconds pdftoppm may take on one page.
RENDER_TIMEOUT = 60


@dataclass(frozen=True)
class PageLayout:
    """What occupies one page: word boxes and inked areas (points, bottom-left, displayed)."""

    width: float
    height: float
    words: tuple[Rect, ...]
    ink: tuple[Rect, ...]

    @property
    def occupied(self) -> tuple[Rect, ...]:
        """Every rectangle a stamp must not touch."""
        return self.words + self.ink


def page_layout(path: Path, index: int = 0, *, dpi: int = INK_DPI) -> PageLayout:
    """The word boxes and inked areas of page ``index`` (from 0) of the PDF at ``path``.

    Raises:
        CorruptFile: poppler cannot read or render the page.
    """
    text = page_text(path, index)
    height = text.height
    words = tuple(
        (w.left, height - w.bottom, w.right, height - w.top)
        for line in text.lines
        for w in line.words
    )
    ink = ink_areas(path, index, dpi=dpi, page_size=(text.width, text.height))
    return PageLayout(text.width, text.height, words, ink)


def ink_areas(
    path: Path, index: int, *, dpi: int = INK_DPI, page_size: tuple[float, float]
) -> tuple[Rect, ...]:
    """Inked cells of a low-resolution greyscale render, merged into runs along each row."""
    from PIL import Image

    number = str(index + 1)
    try:
        done = subprocess.run(
            ["pdftoppm", "-f", number, "-l", number, "-r", str(dpi), "-gray", str(path)],
            capture_output=True,
            check=False,
            timeout=RENDER_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        raise CorruptFile(f"{path.name}: rendering page {number} took too long") from exc
    if done.returncode != 0 or not done.stdout:
        raise CorruptFile(f"{path.name}: cannot render page {number}")
    with Image.open(io.BytesIO(done.stdout)) as image:
        gray = image.convert("L")
    return ink_rects(gray.tobytes(), gray.width, gray.height, page_size)


def ink_rects(
    pixels: bytes, width: int, height: int, page_size: tuple[float, float]
) -> tuple[Rect, ...]:
    """Occupied rectangles of an 8-bit greyscale image (row-major, top row first)."""
    sx, sy = page_size[0] / width, page_size[1] / height
    rects: list[Rect] = []
    for top in range(0, height, INK_CELL):
        bottom = min(height, top + INK_CELL)
        inked = [False] * -(-width // INK_CELL)
        for row in range(top, bottom):
            line = pixels[row * width : (row + 1) * width]
            if min(line) >= INK_THRESHOLD:
                continue
            for x, value in enumerate(line):
                if value < INK_THRESHOLD:
                    inked[x // INK_CELL] = True
        start: int | None = None
        for cell, on in enumerate([*inked, False]):
            if on and start is None:
                start = cell
            elif not on and start is not None:
                x0, x1 = start * INK_CELL, min(width, cell * INK_CELL)
                # image rows run top-down; PDF y runs bottom-up
                rects.append(
                    (x0 * sx, page_size[1] - bottom * sy, x1 * sx, page_size[1] - top * sy)
                )
                start = None
    return tuple(rects)


__all__ = ["PageLayout", "Rect", "ink_areas", "ink_rects", "page_layout"]
