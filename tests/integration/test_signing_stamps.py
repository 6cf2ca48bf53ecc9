"""Officer-then-agency signatures stay valid; the stamps render Vietnamese with diacritics
(pdftotext, pdftoppm); poppler's pdfsig, an independent NSS-based validator, trusts the result."""

from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from core.domain import SignatureLevel, SignerRole
from core.settings import Settings
from signing import DevPKI, QRContent, SignatureRequest, sign_pdf, verify_pdf
from signing.keys import dev_signer

OFFICER = "Nguyễn Thị Hồng Nhung"


@pytest.fixture(scope="module")
def seal_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A red round seal on a transparent background."""
    from PIL import ImageDraw

    image = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((5, 5, 195, 195), outline=(200, 0, 0, 255), width=12)
    draw.ellipse((70, 70, 130, 130), fill=(200, 0, 0, 255))
    path = tmp_path_factory.mktemp("seal") / "seal.png"
    image.save(path)
    return path


@pytest.fixture(scope="module")
def two_signatures(
    signing_settings: Settings,
    pdfa_1page: Path,
    seal_png: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    settings = signing_settings.model_copy(update={"seal_image": seal_png})
    folder = tmp_path_factory.mktemp("stamps")
    qr = QRContent(
        "http://127.0.0.1:8000/verify/abc123",
        "000.00.00.H00-250101-0001",
        "Giấy chứng nhận",
        datetime(2025, 1, 2, 3, 4, 5),
    )
    sign_pdf(
        pdfa_1page,
        folder / "officer.pdf",
        SignatureRequest(
            level=SignatureLevel.B_T,
            role=SignerRole.OFFICER,
            display_name=OFFICER,
            scan_time=datetime(2025, 1, 2, 1, 0, 0),
            qr=qr,
        ),
        settings=settings,
    )
    sign_pdf(
        folder / "officer.pdf",
        folder / "both.pdf",
        SignatureRequest(level=SignatureLevel.B_LT, role=SignerRole.AGENCY, qr=qr),
        settings=settings,
    )
    return folder / "both.pdf"


def test_officer_then_agency_both_stay_valid(
    two_signatures: Path, signing_settings: Settings
) -> None:
    report = verify_pdf(two_signatures, settings=signing_settings)
    assert report.verdict == "valid", report.reason
    kinds = [(s.kind, s.level) for s in report.signatures]
    assert kinds == [("signature", "B-T"), ("signature", "B-LT")]
    assert "Cán bộ số hóa" in report.signatures[0].signer_subject
    # the officer's signature was followed by the agency's: allowed, and reported as such
    assert report.signatures[0].modification in ("FORM_FILLING", "LTA_UPDATES")


def test_stamp_text_has_vietnamese_diacritics(two_signatures: Path) -> None:
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(two_signatures), "-"],
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")
    assert f"Cán bộ số hóa: {OFFICER}" in text
    assert "Thời gian số hóa: 02/01/2025 08:00:00 +07:00" in text
    assert "Ký bởi: UBND xã Thử Nghiệm" in text
    assert "Thời gian ký: " in text and "+07:00" in text


def test_stamps_seal_and_qr_render_where_configured(two_signatures: Path, tmp_path: Path) -> None:
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "50",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            str(two_signatures),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("RGB")
    width, height = image.size

    def inked(box: tuple[float, float, float, float]) -> int:
        x0, y0, x1, y1 = (
            int(v) for v in (box[0] * width, box[1] * height, box[2] * width, box[3] * height)
        )
        region = image.crop((x0, y0, x1, y1)).convert("L")
        return sum(1 for p in region.tobytes() if p < 128)

    assert inked((0.0, 0.0, 0.4, 0.12)) > 50, "officer stamp top-left"
    assert inked((0.6, 0.0, 1.0, 0.12)) > 50, "agency stamp top-right"
    assert inked((0.8, 0.85, 1.0, 1.0)) > 200, "QR bottom-right"
    raw = image.crop((int(0.6 * width), 0, width, int(0.12 * height))).tobytes()
    red = sum(
        1 for i in range(0, len(raw), 3) if raw[i] > 150 and raw[i + 1] < 80 and raw[i + 2] < 80
    )
    assert red > 20, "the seal is drawn in the agency stamp"
    # the transparent corners of the seal stay see-through (stencil mask, no white square)
    assert b"/SMask" not in two_signatures.read_bytes()


def test_qr_is_drawn_once(two_signatures: Path) -> None:
    assert two_signatures.read_bytes().count(b"%sohoa-qr") == 0  # content streams are compressed
    import pikepdf

    with pikepdf.open(two_signatures) as pdf:
        contents = pdf.pages[0].obj.Contents
        streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
        marks = sum(s.read_bytes().count(b"%sohoa-qr") for s in streams)
    assert marks == 1


@pytest.fixture(scope="module")
def nss_db(dev_pki: DevPKI, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("nss")
    root = folder / "root.pem"
    root.write_bytes(dev_pki.root_pem())
    subprocess.run(["certutil", "-N", "-d", f"sql:{folder}", "--empty-password"], check=True)
    subprocess.run(
        [
            "certutil",
            "-A",
            "-n",
            "sohoa-dev-root",
            "-t",
            "CT,C,C",
            "-i",
            str(root),
            "-d",
            f"sql:{folder}",
        ],
        check=True,
    )
    return folder


def _pdfsig(path: Path, nss: Path) -> str:
    done = subprocess.run(
        ["pdfsig", "-nssdir", f"sql:{nss}", str(path)], capture_output=True, timeout=60, check=False
    )
    return done.stdout.decode("utf-8", "replace") + done.stderr.decode("utf-8", "replace")


def test_pdfsig_trusts_our_signatures(two_signatures: Path, nss_db: Path) -> None:
    output = _pdfsig(two_signatures, nss_db)
    assert output.count("Signature is Valid") == 2, output
    assert output.count("Certificate is Trusted") == 2, output


def test_pdfsig_sees_the_revoked_signer(
    dev_pki: DevPKI,
    signing_settings: Settings,
    pdfa_1page: Path,
    nss_db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """NSS asks OCSP by GET and rejects sub-second times: both quirks are handled by the dev PKI."""
    from core.errors import SignerCertificateInvalid
    from signing import pades

    signer = dev_signer(dev_pki, "revoked")
    assert signer.is_development and "Revoked" in signer.subject
    out = tmp_path / "revoked.pdf"
    request = SignatureRequest(level=SignatureLevel.B_B, visible=False)
    # sohoa itself refuses a revoked signer before signing (issue #13) ...
    with pytest.raises(SignerCertificateInvalid):
        sign_pdf(pdfa_1page, out, request, settings=signing_settings, signer=signer)
    # ... so the file pdfsig must judge is made with that check bypassed.
    monkeypatch.setattr(pades, "check_signer", lambda *args, **kwargs: None)
    sign_pdf(
        pdfa_1page,
        out,
        SignatureRequest(level=SignatureLevel.B_B, visible=False),
        settings=signing_settings,
        signer=signer,
    )
    output = _pdfsig(out, nss_db)
    assert "Signature is Valid" in output
    assert "Certificate has been Revoked" in output, output


def test_corners_mean_what_the_reader_sees_on_a_rotated_page(
    signing_settings: Settings, seal_png: Path, tmp_path: Path
) -> None:
    """A landscape result stored as a portrait page with /Rotate 90."""
    import pikepdf

    from core import pdfa

    source = tmp_path / "rotated.pdf"
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    pdf.pages[0].obj.Rotate = 90
    assert pdfa.save(pdf, source, "2b").passed
    settings = signing_settings.model_copy(update={"seal_image": seal_png})
    qr = QRContent("http://127.0.0.1:8000/v/r", "HS-R", "Kết quả", datetime(2025, 5, 6, 7, 8, 9))
    officer = tmp_path / "officer.pdf"
    sign_pdf(
        source,
        officer,
        SignatureRequest(
            level=SignatureLevel.B_B, role=SignerRole.OFFICER, display_name=OFFICER, qr=qr
        ),
        settings=settings,
    )
    signed = tmp_path / "signed.pdf"
    sign_pdf(officer, signed, SignatureRequest(level=SignatureLevel.B_B), settings=settings)
    assert verify_pdf(signed, settings=signing_settings).verdict == "valid"

    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", str(signed), str(tmp_path / "page")], check=True
    )
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    width, height = image.size
    assert width > height, "pdftoppm shows the page as the reader sees it (landscape)"

    def inked(box: tuple[float, float, float, float]) -> int:
        crop = image.crop(
            (int(box[0] * width), int(box[1] * height), int(box[2] * width), int(box[3] * height))
        )
        return sum(1 for p in crop.tobytes() if p < 128)

    assert inked((0.0, 0.0, 0.35, 0.2)) > 30, "officer stamp at the displayed top-left"
    assert inked((0.65, 0.0, 1.0, 0.2)) > 30, "agency stamp at the displayed top-right"
    assert inked((0.8, 0.75, 1.0, 1.0)) > 100, "QR at the displayed bottom-right"
    assert inked((0.0, 0.75, 0.2, 1.0)) == 0
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(signed), "-"], capture_output=True, check=True
    ).stdout.decode()
    assert f"Cán bộ số hóa: {OFFICER}" in text  # upright text is extracted as a line
