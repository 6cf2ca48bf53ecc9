"""Page images for the web pages (poppler), and a page that does not exist."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from core.errors import CorruptFile
from ocr.preview import page_png


def test_a_page_image_has_the_asked_width(resources: Path) -> None:
    pdf = resources / "cardinal.pdf"
    png = page_png(pdf, 1, 240)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width == 240


def test_a_missing_page_is_a_clear_error(resources: Path) -> None:
    pdf = resources / "cardinal.pdf"
    with pytest.raises(CorruptFile) as refused:
        page_png(pdf, 9999, 240)
    assert refused.value.detail_vi == "Không hiển thị được trang 9999"
