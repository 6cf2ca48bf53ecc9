"""Pure parts of the engine: skew, orientation from word flow, boxes, matrices, text layer."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import pytest
from PIL import Image

from ocr.digitize import DigitizeReport, PageReport
from ocr.page import PageResult, StoredImage, TextLine, Word
from ocr.pdfa import _to_unicode_cmap, image_matrix, text_layer
from ocr.pdftext import parse_bbox_layout
from ocr.preprocess import estimate_skew, turn_upright
from ocr.tesseract import lines_from_tsv, page_text
from ocr.textcheck import judge
from samples.pages import cer, render_page


@pytest.fixture(scope="module")
def straight_page() -> Image.Image:
    return render_page(5, skew_degrees=0.0, lines=18, noise=0, blur=0, jpeg_quality=0).image


@pytest.mark.parametrize("angle", [0.0, 0.6, -1.3, 2.4, -3.0, 7.5])
def test_skew_is_measured_within_a_tenth_of_a_degree(
    straight_page: Image.Image, angle: float
) -> None:
    skewed = straight_page.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=255)
    skew = estimate_skew(skewed, 300)
    assert not skew.vertical
    assert skew.degrees == pytest.approx(angle, abs=0.1)


def test_skew_of_a_page_turned_by_90_degrees_is_found_on_the_vertical_axis(
    straight_page: Image.Image,
) -> None:
    turned = straight_page.rotate(90 + 1.5, expand=True, fillcolor=255)
    skew = estimate_skew(turned, 300)
    assert skew.vertical
    assert skew.degrees == pytest.approx(1.5, abs=0.1)


def test_blank_page_has_no_skew() -> None:
    assert estimate_skew(Image.new("L", (800, 1100), 255), 100).degrees == 0.0


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_turn_upright_turns_clockwise(rotation: int) -> None:
    image = Image.new("L", (40, 20), 255)
    image.paste(0, (0, 0, 4, 4))  # a dark mark in the top-left corner
    turned = turn_upright(image, rotation)
    corner = {0: (0, 0), 90: (turned.width - 1, 0), 180: (39, 19), 270: (0, turned.height - 1)}
    assert turned.getpixel(corner[rotation]) == 0
    assert turned.size == ((20, 40) if rotation in (90, 270) else (40, 20))


def _page(angle: float, rotation: int) -> PageResult:
    image = StoredImage(b"", "/DCTDecode", 300, 600, "/DeviceGray", 8)
    width, height = (144.0, 72.0) if rotation in (90, 270) else (72.0, 144.0)
    return PageResult(0, width, height, image, angle, 300, (), "", 0.0, rotation, 0.0, "ocr")


def _apply(matrix: list[float], x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = matrix
    return (round(a * x + c * y + e, 6), round(b * x + d * y + f, 6))


def test_upright_image_fills_the_page() -> None:
    matrix = image_matrix(_page(0.0, 0))
    assert _apply(matrix, 0, 0) == (0, 0)
    assert _apply(matrix, 1, 1) == (72, 144)


def test_image_turned_clockwise_puts_its_bottom_left_corner_top_left() -> None:
    matrix = image_matrix(_page(-90.0, 90))
    assert _apply(matrix, 0, 0) == (0, 72)  # image bottom-left → page top-left
    assert _apply(matrix, 1, 1) == (144, 0)


def test_deskew_turns_the_image_about_the_page_centre() -> None:
    matrix = image_matrix(_page(2.0, 0))
    centre = _apply(matrix, 0.5, 0.5)
    assert centre == pytest.approx((36, 72))


def test_text_layer_is_invisible_and_encodes_utf16_code_units() -> None:
    words = (Word("Việt", 10, 10, 50, 30), Word("Nam", 60, 10, 90, 30))
    content = text_layer([TextLine(words, 10, 10, 90, 30)], 100)
    assert "3 Tr" in content
    assert f"<{'Việt '.encode('utf-16-be').hex().upper()}> Tj" in content
    assert f"<{'Nam'.encode('utf-16-be').hex().upper()}> Tj" in content


def test_to_unicode_cmap_maps_vietnamese_and_skips_surrogates_and_nul() -> None:
    cmap = _to_unicode_cmap().decode("ascii")
    assert "<1E00> <1EFF> <1E00>" in cmap  # Latin Extended Additional: ạ ả ấ … ỹ
    assert "<D800>" not in cmap
    assert "<0001> <00FF> <0001>" in cmap
    blocks = [b.split("endbfrange")[0] for b in cmap.split("beginbfrange")[1:]]
    assert all(b.strip().count("\n") < 100 for b in blocks)  # at most 100 ranges per block


def test_tsv_words_are_grouped_into_lines_and_paragraphs() -> None:
    rows = [
        (5, 1, 1, 1, "Ủy", 96.0),
        (5, 1, 1, 1, "ban", 95.0),
        (5, 1, 1, 2, "nhân", 90.0),
        (5, 2, 1, 1, "dân", 80.0),
        (4, 2, 1, 1, "", -1.0),
        (5, 2, 1, 1, " ", -1.0),
    ]
    data: dict[str, list[object]] = {
        "level": [r[0] for r in rows],
        "block_num": [r[1] for r in rows],
        "par_num": [r[2] for r in rows],
        "line_num": [r[3] for r in rows],
        "text": [r[4] for r in rows],
        "conf": [r[5] for r in rows],
        "left": [0] * 6,
        "top": [0] * 6,
        "width": [10] * 6,
        "height": [10] * 6,
    }
    keyed = lines_from_tsv(data)
    assert [[w.text for w in words] for _key, words in keyed] == [["Ủy", "ban"], ["nhân"], ["dân"]]
    assert page_text(keyed) == "Ủy ban\nnhân\n\ndân"


BBOX_LAYOUT = """<!DOCTYPE html><html xmlns="http://www.w3.org/1999/xhtml"><head></head><body>
<doc><page width="595.0" height="842.0"><flow><block xMin="72" yMin="72" xMax="300" yMax="90">
<line xMin="72" yMin="72" xMax="300" yMax="90">
<word xMin="72" yMin="72" xMax="120" yMax="90">Quyết</word>
<word xMin="125" yMin="72" xMax="160" yMax="90">định</word>
<word xMin="165" yMin="72" xMax="200" yMax="90">&amp;</word></line></block></flow></page>
</doc></body></html>"""


def test_pdftotext_bbox_layout_is_parsed_into_lines() -> None:
    (page,) = parse_bbox_layout(BBOX_LAYOUT)
    assert (page.width, page.height) == (595.0, 842.0)
    assert page.text == "Quyết định &"
    assert page.lines[0].words[1].left == 125
    assert judge(page.text, "vie+eng").usable


def test_cer_counts_character_edits_and_ignores_whitespace_layout() -> None:
    assert cer("Việt Nam", "Việt  \nNam") == 0.0
    assert cer("Việt Nam", "Viet Nam") == pytest.approx(1 / 8)


def test_report_serialises_to_json(tmp_path: Path) -> None:
    page = PageReport(0, 300, 90, 1.5, 95.0, "Xã", "ocr", 595.0, 842.0, {"ocr": 1.0})
    report = DigitizeReport(
        tmp_path / "o.pdf", [page], "Xã", ["a" * 64], "b" * 64, "2b", 1, "vi", "vie+eng", "t", {}
    )
    data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert data["pages"][0]["rotation"] == 90
    assert data["pdfa"] == "2b"
    assert data["output"].endswith("o.pdf")


def test_cid_to_gid_map_never_points_at_notdef() -> None:
    import pikepdf

    from ocr.pdfa import glyphless_font

    with pikepdf.new() as pdf:
        font = glyphless_font(pdf)
        cid_map = font.DescendantFonts[0].CIDToGIDMap.read_bytes()
    assert len(cid_map) == 2 * 65536
    assert set(cid_map[1::2]) == {1} and set(cid_map[0::2]) == {0}
    assert zlib.compress(cid_map)  # sanity: the stream decodes


def test_failed_pdfa_validation_is_an_error_and_writes_nothing(tmp_path: Path) -> None:
    import io

    from core.errors import PDFAValidationFailed
    from ocr.pdfa import write_pdfa

    # DeviceCMYK under the sRGB output intent is a PDF/A-2b violation prepare() cannot repair.
    buffer = io.BytesIO()
    Image.new("CMYK", (100, 100), (0, 0, 0, 0)).save(buffer, "JPEG")
    image = StoredImage(buffer.getvalue(), "/DCTDecode", 100, 100, "/DeviceCMYK", 8)
    page = PageResult(0, 72.0, 72.0, image, 0.0, 100, (), "", 0.0, 0, 0.0, "ocr")
    output = tmp_path / "never.pdf"
    with pytest.raises(PDFAValidationFailed, match=r"6\.2\.4\.3"):
        write_pdfa([page], output, title="x", language="vi")
    assert list(tmp_path.iterdir()) == []
