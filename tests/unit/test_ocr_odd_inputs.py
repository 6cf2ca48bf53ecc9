"""Odd inputs without Tesseract: text layers judged, XFA refused, one pixel limit, --json errors.

Every case is built by the test itself (tests/odd_inputs.py); nothing here runs OCR.
"""

from __future__ import annotations

import importlib
import io
import json
import warnings
import zlib
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from cli.main import main as cli_main
from core.errors import InputError, XFAForm
from ocr import check_input, pdftext, quality, textcheck
from ocr.images import bilevel_palette, kept_jpeg, store_image
from ocr.orientation import VERTICAL_SHARE, vertical_share
from ocr.page import Word
from ocr.pdfplan import full_page_placement
from samples.odd_inputs import swapped_utf16_layer, type3_without_tounicode, xfa_form
from samples.pages import SENTENCES
from tests.fixtures.ocr import make_pixel_bomb_png, ocr_settings

# --- damaged content streams are planned, never a traceback ---------------------------------


def test_a_content_operator_that_is_not_utf8_is_no_traceback(tmp_path: Path) -> None:
    # Found by the fuzz suite: a scan page whose content stream carries operator bytes that
    # are not UTF-8 (b"US\x11\xd6F…") made the page planner raise UnicodeDecodeError.
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(612, 792))
    scan = pikepdf.Stream(pdf, zlib.compress(b"\xff" * 64))
    scan.Type, scan.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    scan.Filter = pikepdf.Name.FlateDecode
    scan.Width, scan.Height, scan.BitsPerComponent = 8, 8, 8
    scan.ColorSpace = pikepdf.Name.DeviceGray
    page = pdf.pages[0]
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=scan))
    page.Contents = pdf.make_stream(b"USY\x11\xd6Ffff q 612 0 0 792 0 0 cm /Im0 Do Q")
    full_page_placement(page)  # where the planner met it: no UnicodeDecodeError
    path = tmp_path / "damaged-operator.pdf"
    pdf.save(path)
    try:
        info = check_input(path, ocr_settings())
    except InputError:
        return  # refused by name is fine too
    assert len(info.pages) == 1


# --- text layers are judged, not counted -----------------------------------------------------


def test_type3_font_without_tounicode_is_read_without_a_traceback(tmp_path: Path) -> None:
    # pdftotext writes the raw codes 1–20: not valid XML, which used to raise ParseError.
    page = pdftext.page_text(type3_without_tounicode(tmp_path / "t3.pdf"), 0)
    assert page.lines
    assert set(page.text) <= {pdftext.UNMAPPED, "\n", " "}
    assert textcheck.judge(page.text, "vie+eng") == textcheck.Verdict(False, "unmapped-glyphs")


def test_character_references_xml_forbids_become_unmapped() -> None:
    xhtml = (
        '<html xmlns="http://www.w3.org/1999/xhtml"><body><doc><page width="10" height="10">'
        '<flow><block><line><word xMin="0" yMin="0" xMax="5" yMax="5">a&#1;&#x1F;b</word>'
        "</line></block></flow></page></doc></body></html>"
    )
    (page,) = pdftext.parse_bbox_layout(xhtml)
    assert page.text == f"a{pdftext.UNMAPPED}{pdftext.UNMAPPED}b"


def test_swapped_utf16_text_layer_is_judged_wrong_script(tmp_path: Path) -> None:
    page = pdftext.page_text(swapped_utf16_layer(tmp_path / "swapped.pdf"), 0)
    assert "䠀漀" in page.text  # "Ho" with its bytes swapped
    assert textcheck.judge(page.text, "vie+eng").reason == "wrong-script"
    # The same characters are fine where CJK is the page's own script.
    assert textcheck.judge(page.text, "chi_sim").usable


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Ủy ban nhân dân xã Hòa Hiệp tiếp nhận hồ sơ", ""),
        ("  \n x ", "no-text"),
        ("\ue000\ue001\ue002\ue003\ue004\ue005\ue006\ue007 ab", "unmapped-glyphs"),
    ],
)
def test_text_layer_verdicts(text: str, reason: str) -> None:
    verdict = textcheck.judge(text, "vie+eng")
    assert verdict.usable is (reason == "")
    assert verdict.reason == reason


def test_a_layer_tesseract_contradicts_is_not_text() -> None:
    seen = [(w, 95.0) for w in SENTENCES[1].split() * 2]
    assert not textcheck.contradicted([w for w, _c in seen], seen)
    wrong_encoding = ["Xj", "cbo", "ouibo", "eto", "yb", "ujfq", "oibo", "ip", "tp"] * 3
    assert textcheck.contradicted(wrong_encoding, seen)
    # Too little read to judge: the layer stands.
    assert not textcheck.contradicted(wrong_encoding, seen[:4])


# --- XFA forms are refused by name -----------------------------------------------------------


@pytest.mark.parametrize("needs_rendering", [True, False])
def test_xfa_form_is_refused_by_name(tmp_path: Path, needs_rendering: bool) -> None:
    path = xfa_form(tmp_path / "form.pdf", needs_rendering=needs_rendering)
    with pytest.raises(XFAForm) as caught:
        check_input(path, ocr_settings())
    assert caught.value.code == "xfa-form"
    assert "XFA" in (caught.value.detail_vi or "")


def test_xfa_form_has_its_own_exit_code_and_status() -> None:
    others = {c.exit_code for c in _input_errors() if c is not XFAForm}
    assert XFAForm.exit_code not in others
    assert (XFAForm.status, XFAForm.exit_code) == (422, 11)


def _input_errors() -> list[type[InputError]]:
    pending: list[type[InputError]] = [InputError]
    found: list[type[InputError]] = []
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_static_xfa_with_acroform_fields_is_converted(tmp_path: Path) -> None:
    path = xfa_form(tmp_path / "static.pdf", needs_rendering=False)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        field = pdf.make_indirect(pikepdf.Dictionary(FT=pikepdf.Name.Tx, T=pikepdf.String("a")))
        pdf.Root.AcroForm.Fields = pikepdf.Array([field])
        pdf.save(path)
    assert len(check_input(path, ocr_settings()).pages) == 1


# --- one pixel limit ---------------------------------------------------------------------------


def test_pillow_has_no_hidden_cap_under_the_pixel_limit(tmp_path: Path) -> None:
    # 13 400 × 13 400 = 179.6 Mpx: over Pillow's default 178.9 Mpx bomb error, under 200 Mpx.
    path = make_pixel_bomb_png(tmp_path / "big.png", 13_400, 13_400)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (plan,) = check_input(path, ocr_settings()).pages
        assert (Image.MAX_IMAGE_PIXELS or 0) >= 200_000_000
        with Image.open(path) as image:  # what load_page does: no warning, no error
            assert image.size == (13_400, 13_400)
    assert plan.colour == "gray"


def test_a_lower_configured_limit_is_enforced_by_sohoa_itself(tmp_path: Path) -> None:
    from core.errors import TooLarge

    path = make_pixel_bomb_png(tmp_path / "over.png", 2_000, 1_001)
    with pytest.raises(TooLarge, match="pixels"):
        check_input(path, ocr_settings(max_image_pixels=2_000_000))
    check_input(path, ocr_settings())


# --- images stored as scanned --------------------------------------------------------------


def _palette(colours: list[tuple[int, int, int]]) -> Image.Image:
    image = Image.new("RGB", (64, 32), colours[0])
    for i, colour in enumerate(colours[1:], start=1):
        image.paste(colour, (8 * i, 0, 8 * i + 8, 32))
    return image.quantize(len(colours))


def test_two_colour_palette_scan_is_stored_as_ccitt_g4() -> None:
    image = _palette([(255, 255, 255), (0, 0, 0)])
    assert bilevel_palette(image) is not None
    stored = store_image(image, 80)
    assert (stored.filter, stored.bits, stored.colour_space) == (
        "/CCITTFaxDecode",
        1,
        "/DeviceGray",
    )
    assert stored.decode_parms == {"/K": -1, "/Columns": 64, "/Rows": 32, "/BlackIs1": True}


def test_colour_palette_stays_indexed() -> None:
    image = _palette([(255, 255, 255), (200, 0, 0), (0, 0, 160)])
    assert bilevel_palette(image) is None
    stored = store_image(image, 80)
    assert (stored.filter, stored.colour_space, stored.bits) == ("/FlateDecode", "/Indexed", 8)
    assert stored.palette is not None and stored.palette[3:6] in (b"\xc8\x00\x00", b"\x00\x00\xa0")


def test_grey_jpeg_passes_through_untouched() -> None:
    buffer = io.BytesIO()
    Image.new("L", (40, 40), 200).save(buffer, "JPEG")
    stored = kept_jpeg(buffer.getvalue(), Image.open(io.BytesIO(buffer.getvalue())))
    assert stored.data == buffer.getvalue()


# --- orientation needs the reading's agreement -----------------------------------------------


def test_vertical_share_tells_a_sideways_page_from_a_chart_with_vertical_labels() -> None:
    def vertical(text: str, top: float) -> Word:
        return Word(text, 0, top, 20, top + 20 * len(text))

    sideways = [
        ((1, 1, i), [vertical("Quyết", 0), vertical("định", 110), vertical("này", 200)])
        for i in range(9)
    ]
    title = [Word("Số", 0, 0, 40, 20), Word("hồ", 50, 0, 90, 20), Word("sơ", 100, 0, 140, 20)]
    # A chart whose title Tesseract missed: only its vertical labels, one or two per line.
    labels = [((2, 1, i), [vertical("Đất", 100), vertical("đai", 180)]) for i in range(12)]
    assert vertical_share(sideways) >= VERTICAL_SHARE
    assert vertical_share(labels) < VERTICAL_SHARE
    assert vertical_share([((1, 1, 1), title), *labels]) < VERTICAL_SHARE


# --- the quality gate ----------------------------------------------------------------------


def test_estimated_accuracy_rises_with_confidence_and_the_gate_uses_the_setting() -> None:
    from ocr.page import PageResult, StoredImage

    estimates = [quality.estimated_accuracy(c) for c in (0, 50, 70, 85, 93, 95, 97, 100)]
    assert estimates == sorted(estimates)
    image = StoredImage(b"", "/DCTDecode", 1, 1, "/DeviceGray", 8)
    page = PageResult(0, 72.0, 72.0, image, 0.0, 300, (), "chữ", 90.0, 0, 0.0, "ocr")
    flagged = quality.judge(page, 0.98)
    assert flagged.needs_rescan and "98%" in flagged.reason
    assert not quality.judge(page, 0.90).needs_rescan
    assert not quality.judge(page.__class__(**{**page.__dict__, "text": ""}), 0.98).needs_rescan


def test_min_accuracy_setting_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.settings import Settings

    monkeypatch.setenv("SOHOA_OCR_MIN_ACCURACY", "0.95")
    assert Settings().ocr_min_accuracy == 0.95
    monkeypatch.delenv("SOHOA_OCR_MIN_ACCURACY")
    assert Settings().ocr_min_accuracy == 0.98


# --- --json errors -----------------------------------------------------------------------------


def test_json_refusal_is_an_error_object_on_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = xfa_form(tmp_path / "form.pdf")
    with pytest.raises(SystemExit) as exited:
        cli_main(["digitize", str(path), "-o", str(tmp_path / "out.pdf"), "--json"])
    assert exited.value.code == 11
    out, err = capsys.readouterr()
    body = json.loads(out)
    assert body == {
        "error": {
            "code": "xfa-form",
            "message": body["error"]["message"],
            "message_vi": body["error"]["message_vi"],
            "exit_code": 11,
        }
    }
    assert "XFA" in body["error"]["message_vi"]
    assert "sohoa: error [xfa-form]" in err
    assert not (tmp_path / "out.pdf").exists()


def test_json_usage_error_is_an_error_object_too(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli_main(["digitize", "--no-such-option", "--json"])
    assert exited.value.code == 2
    body = json.loads(capsys.readouterr().out)
    assert body["error"]["code"] == "usage-error"
    assert body["error"]["exit_code"] == 2


@pytest.mark.parametrize("mode", ["L", "RGB", "P"])
def test_png_is_stored_with_its_own_compressed_data(tmp_path: Path, mode: str) -> None:
    from ocr.pngstream import png_stream

    source = Image.new("RGB", (120, 40), (255, 255, 255))
    source.paste((200, 30, 30), (10, 10, 50, 30))
    source.paste((0, 0, 0), (60, 5, 110, 35))
    image = source.convert(mode) if mode != "P" else source.quantize(3)
    path = tmp_path / f"page-{mode}.png"
    image.save(path)
    stored = png_stream(path)
    assert stored is not None
    assert stored.filter == "/FlateDecode" and stored.decode_parms is not None
    assert stored.decode_parms["/Predictor"] == 15
    with pikepdf.new() as pdf:
        stream = pikepdf.Stream(pdf, stored.data)
        stream.Type, stream.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        stream.Width, stream.Height = stored.width, stored.height
        stream.BitsPerComponent = stored.bits
        stream.Filter = pikepdf.Name.FlateDecode
        stream.DecodeParms = pikepdf.Dictionary(stored.decode_parms)
        if stored.palette is not None:
            stream.ColorSpace = pikepdf.Array(
                [
                    pikepdf.Name.Indexed,
                    pikepdf.Name.DeviceRGB,
                    len(stored.palette) // 3 - 1,
                    pikepdf.String(stored.palette),
                ]
            )
        else:
            stream.ColorSpace = pikepdf.Name(stored.colour_space)
        decoded = pikepdf.PdfImage(stream).as_pil_image()
    assert decoded.convert("RGB").tobytes() == image.convert("RGB").tobytes()


def test_png_with_transparency_is_decoded_instead(tmp_path: Path) -> None:
    from ocr.pngstream import png_stream

    path = tmp_path / "alpha.png"
    Image.new("RGBA", (20, 20), (0, 0, 0, 0)).save(path)
    assert png_stream(path) is None


def test_a_rendered_black_on_white_page_is_stored_bilevel_and_a_colour_one_is_not() -> None:
    from PIL import ImageDraw

    from ocr.raster import simplest_mode

    page = Image.new("RGB", (800, 1000), (255, 255, 255))
    ImageDraw.Draw(page).rectangle((100, 100, 700, 140), fill=(0, 0, 0))
    assert simplest_mode(page).mode == "1"
    ImageDraw.Draw(page).rectangle((100, 300, 700, 500), fill=(220, 40, 40))
    assert simplest_mode(page).mode == "RGB"
    grey = Image.linear_gradient("L").resize((800, 1000)).convert("RGB")
    assert simplest_mode(grey).mode == "L"


# --- pages prepared ahead of Tesseract ---------------------------------------------------------


def _fake_result(index: int) -> object:
    from ocr.page import PageResult, StoredImage

    image = StoredImage(b"", "/DCTDecode", 1, 1, "/DeviceGray", 8)
    return PageResult(index, 72.0, 72.0, image, 0.0, 300, (), f"p{index}", 96.0, 0, 0.0, "ocr")


def test_pages_prepared_ahead_come_back_in_order_with_progress(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    # The package's ``digitize`` is the function; the module is reached by its full name.
    digitize_module = importlib.import_module("ocr.digitize")
    from ocr.engine import PageTask, Prepared

    def prepare(task: PageTask) -> Prepared:
        time.sleep(0.01 * (task.index % 3))
        return Prepared(task, {}, result=_fake_result(task.index))  # type: ignore[arg-type]

    monkeypatch.setattr(digitize_module, "prepare_page", prepare)
    tasks = [PageTask(None, i, None) for i in range(9)]  # type: ignore[arg-type]
    seen: list[int] = []
    results = digitize_module._run_pages(tasks, 2, lambda r: seen.append(r.index))
    assert [r.index for r in results] == list(range(9))
    assert sorted(seen) == list(range(9))


def test_a_failing_page_stops_the_others_without_hanging(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from core.errors import OCRFailed

    # The package's ``digitize`` is the function; the module is reached by its full name.
    digitize_module = importlib.import_module("ocr.digitize")
    from ocr.engine import PageTask, Prepared

    def prepare(task: PageTask) -> Prepared:
        if task.index == 2:
            raise OCRFailed("page 3: broken")
        return Prepared(task, {}, result=_fake_result(task.index))  # type: ignore[arg-type]

    def finish(prepared: Prepared) -> object:
        time.sleep(0.05)
        return prepared.result

    monkeypatch.setattr(digitize_module, "prepare_page", prepare)
    monkeypatch.setattr(digitize_module, "finish_page", finish)
    tasks = [PageTask(None, i, None) for i in range(12)]  # type: ignore[arg-type]
    started = time.monotonic()
    with pytest.raises(OCRFailed, match="page 3"):
        digitize_module._run_pages(tasks, 2, lambda _r: None)
    assert time.monotonic() - started < 5


def test_cli_summary_names_the_pages_to_rescan(tmp_path: Path) -> None:
    from cli.digitize_cmd import _summary
    from ocr.digitize import DigitizeReport, PageReport

    pages = [
        PageReport(0, 300, 0, 0.0, 96.0, "a", "ocr", 595.0, 842.0, estimated_accuracy=0.99),
        PageReport(1, 80, 0, 0.0, 80.0, "b", "ocr", 595.0, 842.0, needs_rescan=True),
    ]
    report = DigitizeReport(
        tmp_path / "o.pdf", pages, "", [], "", "2b", 2, "vi", "vie+eng", None, {"total": 1.0}
    )
    assert "1 page(s) to rescan" in _summary(report)
    assert "page 2" in _summary(report)
    assert report.to_dict()["pages_to_rescan"] == 1
