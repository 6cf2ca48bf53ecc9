"""Odd inputs through real Tesseract, poppler and pikepdf.pdfa: every page kept as it is or
OCR'd right, images stored as scanned, orientation only when sure, the quality gate.

Each group is digitized once per module and kept small (the suite shares two cores).
"""

from __future__ import annotations

import io
import subprocess
import warnings
from pathlib import Path

import pikepdf
import pytesseract
import pytest
from PIL import Image

from core.pdfa import validate as validate_written
from ocr import DigitizeReport, digitize
from samples.charts import render_landscape_chart, render_turned_page
from samples.odd_inputs import (
    BORN_DIGITAL_LINES,
    born_digital_tagged,
    scan_pdf_at,
    swapped_utf16_layer,
    type3_without_tounicode,
)
from samples.pages import render_page
from tests.fixtures.ocr import ocr_settings


def rendered_orientation(path: Path, page: int) -> tuple[int, float]:
    """Tesseract OSD's verdict on the output page as a viewer shows it, at 150 dpi."""
    out = subprocess.run(
        ["pdftoppm", "-r", "150", "-gray", "-f", str(page + 1), "-l", str(page + 1), str(path)],
        capture_output=True,
        check=True,
    )
    osd = pytesseract.image_to_osd(
        Image.open(io.BytesIO(out.stdout)), config="--psm 0 --dpi 150", output_type="dict"
    )
    return int(osd["rotate"]), float(osd["orientation_conf"])


# --- text layers judged ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bad_layers(tmp_path_factory: pytest.TempPathFactory) -> tuple[DigitizeReport, Path]:
    folder = tmp_path_factory.mktemp("layers")
    inputs = [
        type3_without_tounicode(folder / "type3.pdf"),
        swapped_utf16_layer(folder / "swapped.pdf"),
    ]
    output = folder / "out.pdf"
    return digitize(inputs, output, settings=ocr_settings()), output


def test_type3_font_without_tounicode_falls_back_to_ocr(
    bad_layers: tuple[DigitizeReport, Path],
) -> None:
    report, output = bad_layers
    page = report.pages[0]
    assert page.source == "ocr"
    assert page.text_layer_rejected == "unmapped-glyphs"
    assert validate_written(output, "2b").passed


def test_swapped_utf16_layer_is_ocrd_and_becomes_searchable(
    bad_layers: tuple[DigitizeReport, Path],
) -> None:
    report, output = bad_layers
    page = report.pages[1]
    assert page.source == "ocr"
    assert page.text_layer_rejected == "wrong-script"
    assert "giay chung nhan" in page.text
    extracted = subprocess.run(
        ["pdftotext", "-f", "2", "-l", "2", str(output), "-"], capture_output=True, check=True
    ).stdout.decode()
    # The page's Helvetica is not embedded: poppler draws it with whatever the machine maps it
    # to (Noto Sans, Nimbus Sans...), and with some of them Tesseract's Vietnamese model reads
    # the first word "Uy" as "Ủy". The rest of the line is read alike everywhere.
    assert "ban nhan dan xa tiep nhan ho so" in extracted
    assert "䠀" not in extracted


# --- images stored as scanned ----------------------------------------------------------------


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> tuple[DigitizeReport, Path, list[Path]]:
    folder = tmp_path_factory.mktemp("scans")
    page = render_page(41, skew_degrees=0.0, lines=6, noise=0, blur=0, jpeg_quality=0)
    crop = page.image.crop((0, 0, page.image.width, 1200))
    palette = folder / "two-colour.png"
    bilevel = crop.point(lambda v: 255 if v > 128 else 0)
    bilevel.convert("RGB").quantize(2).save(palette, dpi=(300, 300))
    low = scan_pdf_at(folder / "low.pdf", 66, lines=8)
    # Just under a (lowered) pixel limit: accepted, and no Pillow warning on the way.
    limit = 3_000_000
    near = folder / "near-limit.png"
    crop.resize((1999, 1500)).save(near, dpi=(300, 300))  # 2 998 500 pixels
    output = folder / "out.pdf"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = digitize(
            [palette, low, near], output, settings=ocr_settings(max_image_pixels=limit)
        )
    return report, output, [palette, low, near]


def test_two_colour_palette_png_is_stored_bilevel_not_rgb_jpeg(
    scans: tuple[DigitizeReport, Path, list[Path]],
) -> None:
    report, output, inputs = scans
    with pikepdf.open(output) as pdf:
        (image,) = pdf.pages[0].get_images().values()
        assert image.Filter == pikepdf.Name.CCITTFaxDecode
        assert int(image.BitsPerComponent) == 1
        assert len(image.read_raw_bytes()) <= inputs[0].stat().st_size
    assert "Căn" in report.pages[0].text or report.pages[0].text.strip()
    assert validate_written(output, "2b").passed


def test_low_dpi_scan_is_not_upsampled_in_the_stored_image(
    scans: tuple[DigitizeReport, Path, list[Path]],
) -> None:
    report, output, inputs = scans
    page = report.pages[1]
    assert (page.dpi, page.source_dpi, page.archival_dpi) == (66, 66, False)
    with pikepdf.open(inputs[1]) as source, pikepdf.open(output) as result:
        (original,) = source.pages[0].get_images().values()
        (stored,) = result.pages[1].get_images().values()
        assert (int(stored.Width), int(stored.Height)) == (
            int(original.Width),
            int(original.Height),
        )
        assert stored.read_raw_bytes() == original.read_raw_bytes()
        box = [float(v) for v in result.pages[1].mediabox]
        assert box == pytest.approx([float(v) for v in source.pages[0].mediabox], abs=0.5)
    assert page.text.strip()  # OCR read its own upsampled copy


def test_image_just_under_the_pixel_limit_is_digitized_without_warnings(
    scans: tuple[DigitizeReport, Path, list[Path]],
) -> None:
    report, _output, _inputs = scans
    assert report.page_count == 3
    assert report.pages[2].text.strip()


# --- orientation only when sure --------------------------------------------------------------


@pytest.fixture(scope="module")
def oriented(tmp_path_factory: pytest.TempPathFactory) -> tuple[DigitizeReport, Path]:
    folder = tmp_path_factory.mktemp("turns")
    paths = []
    chart = folder / "chart.png"
    # Only a one-line title runs horizontally: the chart Tesseract's reading nearly gave away.
    render_landscape_chart(1, captions=0).image.save(chart, dpi=(200, 200))
    paths.append(chart)
    for turn in (90, 180, 270):
        path = folder / f"turned-{turn}.png"
        render_turned_page(50 + turn, turn, lines=8).save(path, dpi=(200, 200))
        paths.append(path)
    output = folder / "out.pdf"
    return digitize(paths, output, settings=ocr_settings()), output


@pytest.mark.slow
def test_upright_landscape_chart_with_vertical_labels_stays_upright(
    oriented: tuple[DigitizeReport, Path],
) -> None:
    report, _output = oriented
    chart = report.pages[0]
    assert chart.rotation == 0
    assert chart.width_pt > chart.height_pt  # still landscape
    assert chart.text.strip()


@pytest.mark.slow
@pytest.mark.parametrize(("page", "turn"), [(1, 90), (2, 180), (3, 270)])
def test_really_turned_pages_come_out_upright(
    oriented: tuple[DigitizeReport, Path], page: int, turn: int
) -> None:
    report, output = oriented
    # Fed turned by `turn` clockwise: turned back by the rest of the full circle.
    assert report.pages[page].rotation == (360 - turn) % 360
    assert report.pages[page].width_pt < report.pages[page].height_pt
    rotate, confidence = rendered_orientation(output, page)
    assert rotate == 0 and confidence > 2


# --- the quality gate --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gated(tmp_path_factory: pytest.TempPathFactory) -> DigitizeReport:
    folder = tmp_path_factory.mktemp("gate")
    clean = render_page(60, skew_degrees=0.5, lines=6)
    ruined = render_page(61, dpi=80, skew_degrees=0.5, lines=6, noise=30, blur=0.4, jpeg_quality=20)
    paths = []
    for name, page in (("clean", clean), ("ruined", ruined)):
        path = folder / f"{name}.png"
        page.image.save(path, dpi=(page.dpi, page.dpi))
        paths.append(path)
    return digitize(paths, folder / "out.pdf", settings=ocr_settings())


def test_a_page_too_degraded_for_98_percent_is_marked_for_rescan(gated: DigitizeReport) -> None:
    clean, ruined = gated.pages
    assert not clean.needs_rescan and clean.estimated_accuracy >= 0.98
    assert ruined.needs_rescan and ruined.estimated_accuracy < 0.98
    assert "rescan" in ruined.reason
    assert gated.pages_to_rescan == 1
    assert gated.to_dict()["pages_to_rescan"] == 1


# --- born-digital pages stay what they are ---------------------------------------------------


@pytest.fixture(scope="module")
def born_digital(tmp_path_factory: pytest.TempPathFactory) -> tuple[DigitizeReport, Path, Path]:
    folder = tmp_path_factory.mktemp("born")
    source = born_digital_tagged(folder / "bien-nhan.pdf")
    output = folder / "out.pdf"
    return digitize([source], output, settings=ocr_settings(), title="ignored"), source, output


def test_born_digital_pages_are_kept_as_vector_content_not_rasterized(
    born_digital: tuple[DigitizeReport, Path, Path],
) -> None:
    report, source, output = born_digital
    assert [(p.source, p.content) for p in report.pages] == [("text-layer", "vector")] * 2
    assert all("kept as vector content" in p.changes for p in report.pages)
    with pikepdf.open(output) as pdf:
        assert not pdf.pages[0].get_images()  # no page image: the page's own content
        font = pdf.pages[0].Resources.Font.F1
        assert "/FontFile2" in font.FontDescriptor
    assert validate_written(output, "2b").passed
    assert output.stat().st_size <= 1.5 * source.stat().st_size
    text = subprocess.run(
        ["pdftotext", str(output), "-"], capture_output=True, check=True
    ).stdout.decode()
    assert BORN_DIGITAL_LINES[1] in text and "Trang 2" in text


def test_born_digital_metadata_links_outline_and_tags_survive(
    born_digital: tuple[DigitizeReport, Path, Path],
) -> None:
    _report, _source, output = born_digital
    with pikepdf.open(output) as pdf:
        info = pdf.docinfo
        assert str(info.Title) == "Giấy biên nhận hồ sơ"
        assert str(info.Author) == "UBND xã Hòa Hiệp"
        assert (str(info.Subject), str(info.Keywords)) == ("Biên nhận", "một cửa; biên nhận")
        meta = pdf.open_metadata()
        assert meta["dc:title"] == "Giấy biên nhận hồ sơ"
        assert meta["pdfaid:part"] == "2"
        assert str(pdf.Root.Lang) == "vi-VN"
        uri, internal = pdf.pages[0].Annots
        assert str(uri.A.URI) == "https://dichvucong.gov.vn"
        assert internal.Dest[0].objgen == pdf.pages[1].obj.objgen
        with pdf.open_outline() as outline:
            assert [item.title for item in outline.root] == ["Trang 1", "Trang 2"]
        assert "/StructTreeRoot" in pdf.Root and pdf.Root.MarkInfo.Marked


def test_born_digital_page_beside_a_scan_keeps_its_content_and_links(tmp_path: Path) -> None:
    source = born_digital_tagged(tmp_path / "bien-nhan.pdf")
    scan = scan_pdf_at(tmp_path / "scan.pdf", 200, lines=4)
    output = tmp_path / "mixed.pdf"
    report = digitize([source, scan], output, settings=ocr_settings())
    assert [p.content for p in report.pages] == ["vector", "vector", "raster"]
    with pikepdf.open(output) as pdf:
        assert not pdf.pages[1].get_images()
        internal = pdf.pages[0].Annots[1]
        assert internal.Dest[0].objgen == pdf.pages[1].obj.objgen
        assert str(pdf.docinfo.Author) == "UBND xã Hòa Hiệp"
    assert validate_written(output, "2b").passed


def test_scan_drawn_rotated_keeps_its_stream_and_comes_out_straight(tmp_path: Path) -> None:
    from ocr.preprocess import estimate_skew
    from tests.fixtures.ocr import RESOURCES

    source = RESOURCES / "skew.pdf"
    output = tmp_path / "skew-out.pdf"
    report = digitize([source], output, settings=ocr_settings())
    assert report.pages[0].skew == pytest.approx(-1.9, abs=0.2)
    with pikepdf.open(source) as before, pikepdf.open(output) as after:
        (original,) = before.pages[0].get_images().values()
        (stored,) = after.pages[0].get_images().values()
        assert stored.read_raw_bytes() == original.read_raw_bytes()  # JBIG2 as it was
    rendered = subprocess.run(
        ["pdftoppm", "-r", "100", "-gray", str(output)], capture_output=True, check=True
    ).stdout
    assert abs(estimate_skew(Image.open(io.BytesIO(rendered)), 100).degrees) <= 0.2
    assert output.stat().st_size <= 1.2 * source.stat().st_size
    assert validate_written(output, "2b").passed
