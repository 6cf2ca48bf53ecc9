"""Stamps and the QR code never cover content: a digitized scan with text in all four corners,
signed by the officer then the agency through the pipeline's adapters (ocr.layout finds the
words and ink, signing.placement the free space); the QR decodes with zbarimg at 200 dpi."""

from __future__ import annotations

import io
import subprocess
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from core import pdfa
from core.domain import SignatureLevel, SignerRole
from core.settings import Settings
from pipeline import adapters
from signing import verify_pdf
from signing.placement import Rect, Where, intersects
from tests.fixtures.cli import run_sohoa

DPI = 200
FONT = "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"
BODY = (
    "Ủy ban nhân dân xã tiếp nhận hồ sơ đề nghị cấp giấy chứng nhận quyền sử dụng đất của "
    "hộ gia đình ông Nguyễn Văn Hùng, bà Trần Thị Thủy cư trú tại thôn Phước Lộc."
)
INFO = adapters.StampInfo(
    dossier_code="000.00.00.H00-250101-0001",
    document_id=1,
    document_name="Giấy chứng nhận quyền sử dụng đất",
    verify_url="http://127.0.0.1:8000/api/v1/verify/Zq3xv9Lk2WmN8pRt",
    procedure_code="1.004227",
    document_identifier="12/GCN-UBND",
    is_result=True,
)


def _pt(value: float) -> int:
    return round(value * DPI / 72)


def _scan(path: Path) -> Path:
    """An A4 'scan': a heading in each top corner, body text from 1 inch below the top to the
    middle, a round seal lower left, footers in both bottom corners."""
    width, height = _pt(595), _pt(842)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    small = ImageFont.truetype(FONT, _pt(9))
    body = ImageFont.truetype(FONT, _pt(11))
    draw.text((_pt(24), _pt(14)), "ỦY BAN NHÂN DÂN XÃ HÒA HIỆP", font=small, fill=0)
    right = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    draw.text((width - _pt(24) - small.getlength(right), _pt(14)), right, font=small, fill=0)
    y = _pt(72)
    words = (BODY + " ") * 40
    line = ""
    for word in words.split():
        if body.getlength(f"{line} {word}") > width - 2 * _pt(24):
            draw.text((_pt(24), y), line, font=body, fill=0)
            y += _pt(16)
            line = word
            if y > height * 0.5:
                break
        else:
            line = f"{line} {word}".strip()
    draw.ellipse((_pt(60), _pt(560), _pt(160), _pt(660)), outline=60, width=_pt(3))
    draw.text((_pt(24), height - _pt(30)), "Nơi nhận: như trên; lưu VT.", font=small, fill=0)
    footer = "Trang 1/1"
    draw.text((width - _pt(24) - small.getlength(footer), height - _pt(30)), footer, font=small)
    page.save(path, dpi=(DPI, DPI))
    return path


@pytest.fixture(scope="module")
def digitized(signing_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ocr import digitize

    folder = tmp_path_factory.mktemp("placement")
    out = folder / "digitized.pdf"
    digitize([_scan(folder / "scan.png")], out, settings=signing_settings)
    return out


@pytest.fixture(scope="module")
def settings(signing_settings: Settings) -> Settings:
    return signing_settings.model_copy(update={"result_validity_days": 365})


@pytest.fixture(scope="module")
def signed(digitized: Path, settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("signed")
    officer, both = folder / "officer.pdf", folder / "both.pdf"
    adapters.run_sign(
        digitized, officer, settings, SignerRole.OFFICER, SignatureLevel.B_B, INFO,
        written_by_ocr=True,
    )  # fmt: skip
    adapters.run_sign(
        officer, both, settings, SignerRole.AGENCY, SignatureLevel.B_B, INFO,
        written_by_ocr=False,
    )  # fmt: skip
    return both


def _rect(values: Any) -> Rect:
    x0, y0, x1, y1 = (float(v) for v in values)
    return (x0, y0, x1, y1)


def _word_boxes(path: Path) -> list[Rect]:
    """Word boxes of page 1 from pdftotext, in PDF points (bottom-left origin)."""
    xml = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-bbox", str(path), "-"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    root = ET.fromstring(xml)
    page = next(root.iter("{http://www.w3.org/1999/xhtml}page"))
    height = float(page.get("height", 0))
    return [
        (
            float(w.get("xMin", 0)),
            height - float(w.get("yMax", 0)),
            float(w.get("xMax", 0)),
            height - float(w.get("yMin", 0)),
        )
        for w in page.iter("{http://www.w3.org/1999/xhtml}word")
    ]


def _render(path: Path, dpi: int, page: int = 1) -> Image.Image:
    png = subprocess.run(
        ["pdftoppm", "-f", str(page), "-l", str(page), "-r", str(dpi), "-gray", "-png", str(path)],
        capture_output=True,
        check=True,
    ).stdout
    return Image.open(io.BytesIO(png)).convert("L")


def test_no_stamp_or_qr_touches_a_word_or_ink(digitized: Path, signed: Path) -> None:
    words = _word_boxes(digitized)
    assert len(words) > 100, "the digitized scan carries Tesseract's word boxes"
    with pikepdf.open(signed) as pdf:
        assert len(pdf.pages) == 1, "there was room on page 1: no page appended"
        widgets = [
            tuple(float(v) for v in annot.Rect)
            for annot in pdf.pages[0].get("/Annots", [])
            if annot.get("/Subtype") == "/Widget"
        ]
    assert len(widgets) == 2
    for rect in widgets:
        hits = [w for w in words if intersects(rect, w)]  # type: ignore[arg-type]
        assert not hits, f"stamp {rect} covers words {hits[:3]}"
    # Everything the signatures drew (stamps, seal, QR) is a pixel that changed; none may be
    # where the scan had ink or a word (72 dpi: one pixel per point).
    before, after = _render(digitized, 72), _render(signed, 72)
    assert before.size == after.size
    w, h = before.size
    old, new = before.tobytes(), after.tobytes()
    covered = []
    word_px = [(int(a), h - int(d) - 1, int(c) + 1, h - int(b)) for a, b, c, d in words]
    for i in range(len(old)):
        if abs(old[i] - new[i]) > 40:
            x, y = i % w, i // w
            if old[i] < 230 or any(x0 <= x < x1 and y0 <= y < y1 for x0, y0, x1, y1 in word_px):
                covered.append((x, y))
    changed = sum(1 for i in range(len(old)) if abs(old[i] - new[i]) > 40)
    assert changed > 2000, "stamps and QR were drawn"
    assert not covered, f"{len(covered)} pixels of content covered, e.g. {covered[:5]}"


def test_the_qr_decodes_at_200_dpi_with_every_field(signed: Path, tmp_path: Path) -> None:
    image = tmp_path / "page.png"
    _render(signed, DPI).save(image)
    done = subprocess.run(
        ["zbarimg", "--raw", "-q", "-Sqrcode.enable", str(image)],
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode("utf-8").strip()
    lines = text.splitlines()
    assert lines[0] == INFO.verify_url
    assert f"Mã hồ sơ: {INFO.dossier_code}" in lines
    assert f"Tài liệu: {INFO.document_name}" in lines
    assert "Mã TTHC: 1.004227" in lines
    assert "Số hiệu: 12/GCN-UBND" in lines
    assert "Hệ thống: sohoa" in lines
    until = next(line for line in lines if line.startswith("Hiệu lực đến: "))
    assert date.today().year + 1 == int(until[-4:])


def test_both_signatures_stay_valid(signed: Path, signing_settings: Settings) -> None:
    report = verify_pdf(signed, settings=signing_settings)
    assert report.verdict == "valid", report.reason
    assert len([s for s in report.signatures if s.kind == "signature"]) == 2


def test_the_preview_plan_is_where_the_signature_went(
    digitized: Path, settings: Settings, tmp_path: Path
) -> None:
    plan = adapters.stamp_plan(digitized, SignerRole.OFFICER, settings, INFO)
    officer = plan.get("officer")
    assert officer is not None and plan.get("qr") is not None
    out = tmp_path / "officer.pdf"
    adapters.run_sign(
        digitized, out, settings, SignerRole.OFFICER, SignatureLevel.B_B, INFO,
        written_by_ocr=True,
    )  # fmt: skip
    with pikepdf.open(out) as pdf:
        (rect,) = [tuple(float(v) for v in a.Rect) for a in pdf.pages[0].Annots]
    assert rect == pytest.approx(officer.rect, abs=0.6)  # widget rects are whole points


def test_a_preview_for_either_role_shows_where_the_agency_and_qr_go(
    digitized: Path, signed: Path, settings: Settings
) -> None:
    """The web preview of an unsigned copy plans as the agency; the officer signs first."""
    by_officer = adapters.stamp_plan(digitized, SignerRole.OFFICER, settings, INFO)
    by_agency = adapters.stamp_plan(digitized, SignerRole.AGENCY, settings, INFO)
    for name in ("agency", "qr"):
        assert by_officer.get(name) == by_agency.get(name), name
    agency = by_agency.get("agency")
    assert agency is not None
    with pikepdf.open(signed) as pdf:
        rects = {
            str(a.T): tuple(float(v) for v in a.Rect)
            for a in pdf.pages[0].Annots
            if a.get("/Subtype") == "/Widget"
        }
    assert rects["sohoa-agency"] == pytest.approx(agency.rect, abs=0.6)


def _born_digital_corners(path: Path) -> Path:
    """A born-digital PDF/A page: real text (no image) in all four corners and a body from
    1 inch below the top to the middle; its words come from the text layer itself."""
    from pyhanko.pdf_utils import generic as pyhanko_generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    from signing import appearance
    from signing.request import SigningPolicy

    generic: Any = pyhanko_generic
    blank = pikepdf.new()
    blank.add_blank_page(page_size=(595, 842))
    base = path.with_suffix(".blank.pdf")
    assert pdfa.save(blank, base, "2b").passed
    writer: Any = IncrementalPdfFileWriter(io.BytesIO(base.read_bytes()), strict=False)
    font = appearance.load_stamp_font(SigningPolicy().font_file)
    font_ref = appearance.embed_font(writer, font)
    texts: list[tuple[float, float, str]] = [
        (24, 812, "ỦY BAN NHÂN DÂN XÃ HÒA HIỆP"),
        (395, 812, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
        (24, 20, "Nơi nhận: như trên; lưu VT."),
        (520, 20, "Trang 1/1"),
    ]
    texts += [(24, float(y), BODY[:95]) for y in range(770, 421, -14)]
    ops = b"".join(
        b"BT 0 g /F1 9 Tf %.1f %.1f Td <%s> Tj ET\n" % (x, y, font.encode(t)) for x, y, t in texts
    )
    page = writer.find_page_for_modification(0)[0].get_object()
    page["/Resources"] = generic.DictionaryObject(
        {generic.pdf_name("/Font"): generic.DictionaryObject({generic.pdf_name("/F1"): font_ref})}
    )
    page["/Contents"] = writer.add_object(generic.StreamObject(stream_data=ops))
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    path.write_bytes(out.getvalue())
    assert pdfa.validate(io.BytesIO(out.getvalue()), "2b").passed
    return path


def test_born_digital_text_in_every_corner_is_never_covered(
    settings: Settings, tmp_path: Path
) -> None:
    source = _born_digital_corners(tmp_path / "born-digital.pdf")
    words = _word_boxes(source)
    corners = [w for w in words if (w[0] < 100 or w[2] > 495) and (w[1] < 60 or w[3] > 800)]
    assert len(corners) >= 4, "words reach into each corner"
    officer, both = tmp_path / "officer.pdf", tmp_path / "both.pdf"
    adapters.run_sign(
        source, officer, settings, SignerRole.OFFICER, SignatureLevel.B_B, INFO,
        written_by_ocr=False,
    )  # fmt: skip
    adapters.run_sign(
        officer, both, settings, SignerRole.AGENCY, SignatureLevel.B_B, INFO,
        written_by_ocr=False,
    )  # fmt: skip
    plan = adapters.stamp_plan(source, SignerRole.OFFICER, settings, INFO)
    qr = plan.get("qr")
    assert qr is not None and qr.page == 0
    with pikepdf.open(both) as pdf:
        rects: list[Rect] = [_rect(a.Rect) for a in pdf.pages[0].Annots]
    assert len(rects) == 2
    for rect in [*rects, qr.rect]:
        hits = [w for w in words if intersects(rect, w)]
        assert not hits, f"{rect} covers {hits[:3]}"


def test_a_form_field_already_on_the_page_is_avoided(
    settings: Settings, pdfa_1page: Path, tmp_path: Path
) -> None:
    """A widget of another system (its /Annots an indirect array) at the agency's corner."""
    from signing import SignatureRequest, sign_pdf

    source = tmp_path / "with-field.pdf"
    with pikepdf.open(pdfa_1page) as pdf:
        widget = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.Widget,
                Rect=[360, 740, 580, 830],
                F=4,
                FT=pikepdf.Name.Tx,
                T=pikepdf.String("so-van-ban"),
            )
        )
        pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([widget]))
        pdf.Root.AcroForm = pdf.make_indirect(pikepdf.Dictionary(Fields=[widget]))
        pdf.save(source)
    out = tmp_path / "signed.pdf"
    request = SignatureRequest(level=SignatureLevel.B_B, occupied=())
    result = sign_pdf(source, out, request, settings=settings, base_validated=True)
    agency = result.placement.get("agency")
    assert agency is not None and agency.page == 0
    assert not intersects(agency.rect, (360, 740, 580, 830))


@pytest.fixture(scope="module")
def full_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PDF/A-2b page inked edge to edge (a photo of a form): no free space anywhere."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    pdf.pages[0].obj.Contents = pdf.make_stream(
        b"0.3 g 0 0 595 842 re f 1 g 20 20 555 802 re f 0 g 4 w"
        + b"".join(b" %d 0 m %d 842 l S" % (x, x) for x in range(10, 595, 12))
    )
    path = tmp_path_factory.mktemp("full") / "full.pdf"
    assert pdfa.save(pdf, path, "2b").passed
    return path


def test_a_page_with_no_room_gets_a_signature_information_page(
    full_page: Path, settings: Settings, signing_settings: Settings, tmp_path: Path
) -> None:
    plan = adapters.stamp_plan(full_page, SignerRole.OFFICER, settings, INFO)
    assert plan.appended_page and {p.where for p in plan.placements} == {Where.APPENDED_PAGE}
    officer, both = tmp_path / "officer.pdf", tmp_path / "both.pdf"
    adapters.run_sign(
        full_page, officer, settings, SignerRole.OFFICER, SignatureLevel.B_B, INFO,
        written_by_ocr=True,
    )  # fmt: skip
    adapters.run_sign(
        officer, both, settings, SignerRole.AGENCY, SignatureLevel.B_B, INFO,
        written_by_ocr=False,
    )  # fmt: skip
    with pikepdf.open(both) as pdf:
        assert len(pdf.pages) == 2
        assert "/Annots" not in pdf.pages[0], "page 1 keeps its content uncovered"
        assert len(pdf.pages[1].Annots) == 2, "both stamps on the appended page"
    text = subprocess.run(
        ["pdftotext", "-f", "2", "-l", "2", "-enc", "UTF-8", str(both), "-"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert "THÔNG TIN CHỮ KÝ SỐ" in text and "Ký bởi: UBND xã Thử Nghiệm" in text
    image = tmp_path / "page2.png"
    _render(both, DPI, page=2).save(image)
    decoded = subprocess.run(["zbarimg", "--raw", "-q", str(image)], capture_output=True)
    assert decoded.stdout.decode().startswith(INFO.verify_url)
    report = verify_pdf(both, settings=signing_settings)
    assert report.verdict == "valid", report.reason


def test_the_appended_page_is_pdfa_2b(full_page: Path, settings: Settings) -> None:
    """What signing appends (page, font, QR) keeps PDF/A-2b; checked before a signature is
    added, since pikepdf.pdfa does not judge signed files."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    from signing.info_page import append_info_page
    from signing.request import QRContent, SigningPolicy
    from signing.stamps import draw_qr

    policy = SigningPolicy.from_settings(settings)
    with full_page.open("rb") as source:
        writer: Any = IncrementalPdfFileWriter(source, strict=False)
        index = append_info_page(writer, (595, 842), policy)
        qr = QRContent(INFO.verify_url, INFO.dossier_code, INFO.document_name, datetime.now(UTC))
        draw_qr(writer, qr, (505, 18, 577, 90), index)
        out = io.BytesIO()
        writer.write(out)
    report = pdfa.validate(io.BytesIO(out.getvalue()), "2b")
    assert report.passed, report.violations


def test_sohoa_sign_places_its_stamp_in_free_space_too(tmp_path: Path) -> None:
    source = _born_digital_corners(tmp_path / "born-digital.pdf")
    words = _word_boxes(source)
    signed = tmp_path / "signed.pdf"
    env = {"SOHOA_DATA_DIR": str(tmp_path / "data"), "SOHOA_SIGNING_KEY_SOURCE": "dev"}
    done = run_sohoa(["sign", str(source), "-o", str(signed), "--level", "B-B"], env)
    assert done.returncode == 0, done.stdout + done.stderr
    with pikepdf.open(signed) as pdf:
        rects = [_rect(a.Rect) for a in pdf.pages[0].Annots]
    assert rects, "the stamp is visible"
    for rect in rects:
        hits = [w for w in words if intersects(rect, w)]
        assert not hits, f"sohoa sign's stamp {rect} covers {hits[:3]}"
