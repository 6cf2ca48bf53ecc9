"""Bad inputs are refused with their own error, exit code and message, and never leave output.

These run no Tesseract: every check happens before recognition starts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cli.main import main as cli_main
from core.errors import (
    CorruptFile,
    EmptyDocument,
    EncryptedPDF,
    InputError,
    SignedInput,
    TooLarge,
    UnsupportedFormat,
)
from ocr import check_input, digitize
from ocr.inputs import InputKind, sniff
from ocr.inputs import check_input as plan_input
from tests.fixtures.ocr import (
    RESOURCES,
    make_empty_pdf,
    make_encrypted_pdf,
    make_pixel_bomb_png,
    make_signed_pdf,
    make_truncated_jpeg,
    ocr_settings,
)


def _invalid(folder: Path) -> Path:
    target = folder / "invalid.pdf"
    target.write_bytes((RESOURCES / "invalid.pdf").read_bytes())
    return target


def _text_named_pdf(folder: Path) -> Path:
    target = folder / "letter.pdf"
    target.write_text("Kính gửi: Ủy ban nhân dân xã\n", encoding="utf-8")
    return target


def _truncated_pdf(folder: Path) -> Path:
    target = folder / "truncated.pdf"
    data = (RESOURCES / "linn.pdf").read_bytes()
    target.write_bytes(data[:400])
    return target


BAD_INPUTS: dict[str, tuple[Callable[[Path], Path], type[InputError]]] = {
    "corrupt-pdf": (_invalid, CorruptFile),
    "truncated-pdf": (_truncated_pdf, CorruptFile),
    "misleading-extension": (_text_named_pdf, UnsupportedFormat),
    "encrypted-pdf": (lambda d: make_encrypted_pdf(d / "locked.pdf"), EncryptedPDF),
    "zero-pages": (lambda d: make_empty_pdf(d / "empty.pdf"), EmptyDocument),
    "pixel-bomb": (lambda d: make_pixel_bomb_png(d / "bomb.png"), TooLarge),
    "signed-pdf": (lambda d: make_signed_pdf(d / "signed.pdf"), SignedInput),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_check_input_names_each_bad_input_class(case: str, tmp_path: Path) -> None:
    make, error = BAD_INPUTS[case]
    with pytest.raises(error) as caught:
        check_input(make(tmp_path), ocr_settings())
    assert type(caught.value) is error
    assert "\n" not in caught.value.message


def test_each_bad_input_class_has_its_own_exit_code() -> None:
    codes = {error.exit_code for _make, error in BAD_INPUTS.values()}
    assert len(codes) == len({error for _make, error in BAD_INPUTS.values()})
    assert 0 not in codes


def test_file_over_the_size_limit_is_too_large(tmp_path: Path) -> None:
    settings = ocr_settings(max_upload_bytes=10_000)
    with pytest.raises(TooLarge, match="over the limit"):
        check_input(RESOURCES / "linn.pdf", settings)


def test_pixel_limit_is_checked_from_the_header_before_decoding(tmp_path: Path) -> None:
    # 20 000 × 20 000 is under Pillow's own bomb threshold: our configured limit must catch it.
    bomb = make_pixel_bomb_png(tmp_path / "bomb.png", 20_000, 20_000)
    with pytest.raises(TooLarge, match="pixels"):
        check_input(bomb, ocr_settings(max_image_pixels=100_000_000))


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_digitize_leaves_no_output_for_bad_input(case: str, tmp_path: Path) -> None:
    make, error = BAD_INPUTS[case]
    (tmp_path / "in").mkdir()
    source = make(tmp_path / "in")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(error):
        # A good file first: every input is checked before any page is processed.
        digitize(
            [RESOURCES / "typewriter.png", source], out_dir / "result.pdf", settings=ocr_settings()
        )
    assert list(out_dir.iterdir()) == []


def test_truncated_image_fails_cleanly_without_output(tmp_path: Path) -> None:
    broken = make_truncated_jpeg(tmp_path / "cut.jpg")
    output = tmp_path / "out" / "result.pdf"
    with pytest.raises(CorruptFile):
        digitize([broken], output, settings=ocr_settings())
    assert not output.parent.exists() or list(output.parent.iterdir()) == []


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_cli_prints_one_line_and_exits_with_the_error_code(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make, error = BAD_INPUTS[case]
    source = make(tmp_path)
    output = tmp_path / "cli-out.pdf"
    with pytest.raises(SystemExit) as exited:
        cli_main(["digitize", str(source), "-o", str(output)])
    assert exited.value.code == error.exit_code
    stderr = capsys.readouterr().err.strip()
    assert stderr.count("\n") == 0, stderr
    assert stderr.startswith(f"sohoa: error [{error.code}]")
    assert "Traceback" not in stderr
    assert not output.exists()


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"%PDF-1.7\n", InputKind.PDF),
        (b"\x00\x00junk%PDF-1.4", InputKind.PDF),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", InputKind.JPEG),
        (b"\x89PNG\r\n\x1a\n\x00", InputKind.PNG),
        (b"II*\x00\x08\x00", InputKind.TIFF),
        (b"MM\x00*\x00\x00", InputKind.TIFF),
        (b"BM6\x00", InputKind.BMP),
        (b"Kinh gui", None),
        (b"", None),
    ],
)
def test_format_is_sniffed_from_magic_bytes_not_the_extension(
    head: bytes, kind: InputKind | None
) -> None:
    assert sniff(head) == kind


def test_scanned_pdf_page_keeps_its_source_resolution_and_colour() -> None:
    info = plan_input(RESOURCES / "linn.pdf", ocr_settings())
    (page,) = info.pages
    assert (page.dpi, page.colour, page.text_layer) == (300, "bilevel", False)


def test_pdf_with_an_oversized_embedded_image_is_too_large(tmp_path: Path) -> None:
    import pikepdf

    path = tmp_path / "bomb.pdf"
    with pikepdf.new() as pdf:
        pdf.add_blank_page(page_size=(595, 842))
        image = pdf.make_stream(
            b"\x00" * 16,
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Image,
            Width=200_000,
            Height=200_000,
            ColorSpace=pikepdf.Name.DeviceGray,
            BitsPerComponent=8,
        )
        pdf.pages[0].Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
        pdf.pages[0].Contents = pdf.make_stream(b"q 595 0 0 842 0 0 cm /Im0 Do Q")
        pdf.save(path)
    with pytest.raises(TooLarge, match="pixels"):
        check_input(path, ocr_settings())


@pytest.mark.parametrize(
    ("size", "recorded", "expected"),
    [
        ((2480, 3508), 300.0, 300),  # a real A4 scan keeps its DPI
        ((1654, 2339), 200.0, 200),
        ((3000, 4000), 72.0, 342),  # a phone photo's 72 dpi is not believed: taken as A4
        ((2480, 3508), None, 300),  # nothing recorded: taken as A4
        ((8, 8), 300.0, 192),  # tiny: PDF/A pages need sides of at least 3 units
    ],
)
def test_image_resolution_is_recorded_or_plausible(
    size: tuple[int, int], recorded: float | None, expected: int
) -> None:
    from ocr.inputs import image_dpi

    assert image_dpi(*size, recorded) == expected


def test_low_resolution_pdf_scan_is_kept_at_its_own_dpi_not_upsampled(
    tmp_path: Path,
) -> None:
    # Issue #12 changed this on purpose: the stored image is the scan's own (72 dpi here), never
    # upsampled to the archival 200 dpi; OCR upsamples only its own copy.
    from PIL import Image

    path = tmp_path / "low.pdf"
    Image.new("L", (595, 842), 255).save(path, resolution=72.0)  # a 72 dpi A4 scan
    (page,) = plan_input(path, ocr_settings()).pages
    assert (page.dpi, page.source_dpi, page.colour, page.embedded) == (72, 72, "gray", "jpeg")
