"""Digitize with real Tesseract, poppler and pikepdf.pdfa on synthetic and real scans.

Each group of inputs is digitized once per session (tests/fixtures/ocr.py); the tests read the
shared result.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pikepdf
import pytesseract
import pytest
from PIL import Image

from core.pdfa import validate as validate_written
from ocr.pdftext import page_text
from samples.pages import cer
from tests.fixtures.ocr import RESOURCES, Digitized


def pdftotext_pages(path: Path) -> list[str]:
    """Text of every page as poppler extracts it (what a search index will see)."""
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    )
    return out.stdout.decode("utf-8").split("\f")[:-1]


def rendered_orientation(path: Path, page: int) -> int:
    """Tesseract OSD's verdict on the output page as a viewer shows it (0 means upright)."""
    out = subprocess.run(
        ["pdftoppm", "-r", "150", "-gray", "-f", str(page + 1), "-l", str(page + 1), str(path)],
        capture_output=True,
        check=True,
    )
    import io

    image = Image.open(io.BytesIO(out.stdout))
    osd = pytesseract.image_to_osd(image, config="--psm 0 --dpi 150", output_type="dict")
    return int(osd["rotate"])


# --- synthetic Vietnamese scans --------------------------------------------------------------


def test_degraded_vietnamese_pages_are_read_with_cer_under_one_percent(
    digitized_synthetic: Digitized,
) -> None:
    report = digitized_synthetic.report
    assert report.page_count == 2
    for page, truth in zip(report.pages, digitized_synthetic.truths, strict=True):
        assert page.source == "ocr"
        assert cer(truth, page.text) <= 0.01, page.text[:200]
        assert page.confidence > 80


def test_invisible_text_layer_gives_back_the_diacritics_through_pdftotext(
    digitized_synthetic: Digitized,
) -> None:
    extracted = pdftotext_pages(digitized_synthetic.output)
    assert len(extracted) == 2
    for text, truth in zip(extracted, digitized_synthetic.truths, strict=True):
        assert cer(truth, text) <= 0.01, text[:200]
    assert "Ủy ban nhân dân" in "".join(extracted) or "Ủy ban" in "".join(extracted)


def test_skew_is_detected_and_recorded_per_page(digitized_synthetic: Digitized) -> None:
    skews = [p.skew for p in digitized_synthetic.report.pages]
    assert skews == [pytest.approx(2.2, abs=0.15), pytest.approx(-1.4, abs=0.15)]
    assert [p.rotation for p in digitized_synthetic.report.pages] == [0, 0]
    assert [p.dpi for p in digitized_synthetic.report.pages] == [300, 300]


def test_output_is_valid_pdfa_2b_with_metadata(digitized_synthetic: Digitized) -> None:
    assert validate_written(digitized_synthetic.output, "2b").passed
    with pikepdf.open(digitized_synthetic.output) as pdf:
        meta = pdf.open_metadata()
        assert meta["dc:title"] == "Hồ sơ thử"
        assert meta["pdfaid:part"] == "2"
        assert str(pdf.Root.Lang) == "vi"
        assert len(pdf.pages) == 2


def test_report_hashes_every_input_and_the_output(digitized_synthetic: Digitized) -> None:
    report = digitized_synthetic.report
    expected = [hashlib.sha256(p.read_bytes()).hexdigest() for p in digitized_synthetic.inputs]
    assert report.input_sha256 == expected
    assert (
        report.output_sha256 == hashlib.sha256(digitized_synthetic.output.read_bytes()).hexdigest()
    )
    assert report.pdfa == "2b"
    assert report.language == "vi"
    assert report.title == "Hồ sơ thử"


def test_scanned_jpeg_is_stored_unchanged_at_source_resolution(
    digitized_synthetic: Digitized,
) -> None:
    with (
        pikepdf.open(digitized_synthetic.inputs[0]) as source,
        pikepdf.open(digitized_synthetic.output) as output,
    ):
        for before, after in zip(source.pages, output.pages, strict=True):
            (original,) = before.get_images().values()
            (stored,) = after.get_images().values()
            assert stored.read_raw_bytes() == original.read_raw_bytes()
            # As floats: pytest.approx probes pikepdf arrays for __array__ once numpy is loaded.
            box_after = [float(v) for v in after.mediabox]
            assert box_after == pytest.approx([float(v) for v in before.mediabox], abs=0.5)


# --- real scans ------------------------------------------------------------------------------


def test_linn_text_matches_its_transcript(digitized_corpus: Digitized) -> None:
    linn = digitized_corpus.report.pages[0]
    transcript = (RESOURCES / "linn.txt").read_text(encoding="utf-8")
    assert cer(transcript, linn.text) <= 0.05
    assert linn.dpi == 300


# rotated_skew.pdf is stored sideways with /Rotate 90: poppler already renders it upright, so
# sohoa turns it no further; the cardinal pages are drawn turned inside their content.
@pytest.mark.parametrize(("page", "rotation"), [(1, 270), (2, 180), (3, 0)])
def test_turned_pages_come_out_upright(
    digitized_corpus: Digitized, page: int, rotation: int
) -> None:
    assert digitized_corpus.report.pages[page].rotation == rotation
    assert "LinnSequencer" in digitized_corpus.report.pages[page].text.replace(" ", "")
    assert rendered_orientation(digitized_corpus.output, page) == 0


def test_rotated_and_skewed_scan_is_deskewed(digitized_corpus: Digitized) -> None:
    page = digitized_corpus.report.pages[3]
    assert abs(page.skew) > 0.3
    assert page.width_pt < page.height_pt  # portrait once upright


def test_real_scans_output_is_valid_pdfa(digitized_corpus: Digitized) -> None:
    assert validate_written(digitized_corpus.output, "2b").passed
    assert len(pdftotext_pages(digitized_corpus.output)) == 4


# --- image formats ---------------------------------------------------------------------------


def test_every_image_format_is_read(digitized_formats: Digitized) -> None:
    report = digitized_formats.report
    assert report.page_count == 7  # the TIFF has two frames; kcs.pdf comes last
    truths = [
        *digitized_formats.truths[:4],
        digitized_formats.truths[3],
        digitized_formats.truths[4],
    ]
    for page, truth in zip(report.pages[:6], truths, strict=True):
        first_line = page.text.split("\n")[0]
        assert cer(truth, first_line) <= 0.03, (truth, first_line)
    assert [p.dpi for p in report.pages[:6]] == [300, 300, 200, 300, 300, 300]
    assert report.pages[6].text.strip()
    assert report.pages[6].dpi >= 200
    assert validate_written(digitized_formats.output, "2b").passed


def test_bilevel_tiff_is_stored_as_one_bit(digitized_formats: Digitized) -> None:
    with pikepdf.open(digitized_formats.output) as pdf:
        (image,) = pdf.pages[5].get_images().values()
        assert int(image.BitsPerComponent) == 1
        (ccitt,) = pdf.pages[6].get_images().values()
        assert int(ccitt.BitsPerComponent) == 1
        (jpeg,) = pdf.pages[0].get_images().values()
        assert jpeg.Filter == pikepdf.Name.DCTDecode
        assert jpeg.read_raw_bytes() == digitized_formats.inputs[0].read_bytes()


# --- born-digital and mixed PDFs -------------------------------------------------------------


def _born_digital_page(pdf: pikepdf.Pdf, text: str) -> pikepdf.Page:
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name.Helvetica,
            Encoding=pikepdf.Name.WinAnsiEncoding,
        )
    )
    content = f"BT /F1 14 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=pikepdf.Array([0, 0, 595, 842]),
        Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
        Contents=pdf.make_stream(content),
    )
    return pikepdf.Page(page)


@pytest.fixture(scope="module")
def mixed_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A born-digital page followed by a scanned one (typewriter.png as an image page)."""
    folder = tmp_path_factory.mktemp("mixed")
    scan = folder / "scan.pdf"
    Image.open(RESOURCES / "typewriter.png").convert("L").save(scan, resolution=300.0)
    path = folder / "mixed.pdf"
    with pikepdf.new() as pdf, pikepdf.open(scan) as scanned:
        pdf.pages.append(_born_digital_page(pdf, "Giay bien nhan ho so so 0123 ngay 19/5"))
        pdf.pages.extend(scanned.pages)
        pdf.save(path)
    return path


def test_born_digital_page_is_not_reocrd_and_mixed_pdf_works(
    mixed_pdf: Path, tmp_path: Path
) -> None:
    from ocr import digitize
    from tests.fixtures.ocr import ocr_settings

    output = tmp_path / "mixed-out.pdf"
    report = digitize([mixed_pdf], output, settings=ocr_settings())
    born, scanned = report.pages
    assert born.source == "text-layer"
    assert born.text == "Giay bien nhan ho so so 0123 ngay 19/5"
    assert "ocr" not in born.timings
    assert scanned.source == "ocr"
    assert scanned.text.strip()
    assert validate_written(output, "2b").passed
    assert "Giay bien nhan ho so" in pdftotext_pages(output)[0]
    assert page_text(output, 0).text == born.text


def test_bilevel_scans_keep_their_own_stream_even_when_drawn_turned(
    digitized_corpus: Digitized,
) -> None:
    # linn.pdf (JBIG2, upright) and the cardinal pages drawn turned by 270° and 180° inside
    # their content: the stored image is the source's own JBIG2 stream, the turn is in the
    # drawing matrix (no re-encoding to a larger G4 raster, no upsampling).
    turned = digitized_corpus.inputs[1]
    with (
        pikepdf.open(digitized_corpus.inputs[0]) as linn,
        pikepdf.open(turned) as cardinal,
        pikepdf.open(digitized_corpus.output) as output,
    ):
        sources = [linn.pages[0], cardinal.pages[0], cardinal.pages[1]]
        for number, source in enumerate(sources):
            (original,) = source.get_images().values()
            (stored,) = output.pages[number].get_images().values()
            assert stored.Filter == pikepdf.Name.JBIG2Decode
            assert stored.read_raw_bytes() == original.read_raw_bytes()
