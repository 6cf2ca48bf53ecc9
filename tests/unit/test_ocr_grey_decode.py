"""A colour JPEG stored as it is is decoded straight to grey for OCR (``ocr.raster``)."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
from PIL import Image, ImageDraw

from ocr.engine import store_image
from ocr.inputs import InputKind
from ocr.plan import PagePlan
from ocr.raster import load_page


def _colour_jpeg() -> bytes:
    page = Image.new("RGB", (600, 800), "white")
    draw = ImageDraw.Draw(page)
    draw.rectangle((50, 50, 550, 90), fill=(20, 20, 20))
    draw.ellipse((400, 600, 550, 750), outline=(200, 0, 0), width=8)  # a red seal
    buffer = io.BytesIO()
    page.save(buffer, "JPEG", quality=85, dpi=(100, 100))
    return buffer.getvalue()


def test_a_colour_jpeg_file_is_stored_byte_for_byte_as_colour_and_read_as_grey(
    tmp_path: Path,
) -> None:
    data = _colour_jpeg()
    path = tmp_path / "scan.jpg"
    path.write_bytes(data)
    loaded = load_page(PagePlan(path, InputKind.JPEG, 0, 100, "rgb"))
    assert loaded.image.mode == "L" and loaded.image.size == (600, 800)
    stored = store_image(loaded, 80)
    assert stored.data == data
    assert (stored.filter, stored.colour_space, stored.width, stored.height) == (
        "/DCTDecode",
        "/DeviceRGB",
        600,
        800,
    )


def test_a_scanner_pdfs_colour_jpeg_is_read_as_grey_and_kept_in_the_pdf(tmp_path: Path) -> None:
    data = _colour_jpeg()
    path = tmp_path / "scan.pdf"
    with pikepdf.new() as pdf:
        image = pdf.make_stream(
            data,
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Image,
            Width=600,
            Height=800,
            ColorSpace=pikepdf.Name.DeviceRGB,
            BitsPerComponent=8,
            Filter=pikepdf.Name.DCTDecode,
        )
        page = pdf.add_blank_page(page_size=(432, 576))
        page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
        page.Contents = pdf.make_stream(b"q 432 0 0 576 0 0 cm /Im0 Do Q")
        pdf.save(path)
    loaded = load_page(PagePlan(path, InputKind.PDF, 0, 100, "rgb", embedded="jpeg"))
    assert loaded.pdf_source == (path, 0)
    assert loaded.image.mode == "L"
    assert loaded.source_pixels == (600, 800)
