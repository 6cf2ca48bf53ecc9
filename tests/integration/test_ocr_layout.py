"""ocr.layout on real PDFs: word boxes from a text layer (poppler's pdftotext) and ink from a
pdftoppm render, both in displayed coordinates."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pikepdf

from core import pdfa
from ocr.layout import page_layout
from signing.placement import intersects


def _born_digital(path: Path) -> Path:
    """A PDF/A page whose only content is real text (sohoa's signature-information page)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    from signing.info_page import append_info_page
    from signing.request import SigningPolicy

    blank = pikepdf.new()
    blank.add_blank_page(page_size=(595, 842))
    base = path.with_suffix(".blank.pdf")
    assert pdfa.save(blank, base, "2b").passed
    writer: Any = IncrementalPdfFileWriter(io.BytesIO(base.read_bytes()), strict=False)
    append_info_page(writer, (595, 842), SigningPolicy())
    out = io.BytesIO()
    writer.write(out)
    path.write_bytes(out.getvalue())
    return path


def test_words_of_a_born_digital_page_are_where_the_text_is(tmp_path: Path) -> None:
    layout = page_layout(_born_digital(tmp_path / "text.pdf"), 1)
    assert (layout.width, layout.height) == (595, 842)
    assert len(layout.words) >= 20
    # the title is drawn at x = 72, baseline y = 842 / 2 + 40 (bottom-left origin)
    title = (72.0, 461.0, 250.0, 475.0)
    assert any(intersects(title, w) for w in layout.words)
    assert all(w[0] >= 71 and w[1] > 400 and w[3] < 480 for w in layout.words)
    # the ink of the same text is found too, in the same place
    assert layout.ink and any(intersects(title, r) for r in layout.ink)
    assert all(r[1] > 400 and r[3] < 490 for r in layout.ink)


def test_a_rotated_scan_is_measured_as_displayed(resources: Path) -> None:
    layout = page_layout(resources / "rotated_skew.pdf", 0)
    assert layout.width > layout.height, "landscape, as the reader sees it"
    assert layout.ink
    assert all(0 <= r[0] < r[2] <= layout.width + 1 for r in layout.ink)
    assert all(0 <= r[1] < r[3] <= layout.height + 1 for r in layout.ink)
