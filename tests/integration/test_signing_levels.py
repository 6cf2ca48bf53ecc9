"""Each PAdES level signs and validates against the real development PKI served over HTTP;
the output stays PDF/A-2b (pre-signing revision validated, producers agree, no PDF 2.0)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pikepdf
import pikepdf.pdfa
import pytest

from core import pdfa
from core.domain import SignatureLevel, SignerRole
from core.settings import Settings
from signing import PdfACheck, QRContent, SignatureRequest, sign_pdf, verify_pdf


def pdfa_report_without_forms(signed: Path) -> pikepdf.pdfa.Report:
    """PDF/A-2b check of everything we add, with the form layer pikepdf cannot judge removed.

    pikepdf.pdfa answers "not checked" for any file with a form; turning our widgets into
    plain stamp annotations keeps their appearance streams, fonts and images in the check.
    """
    pdf = pikepdf.open(signed)
    for key in ("/AcroForm", "/DSS", "/Extensions"):
        if key in pdf.Root:
            del pdf.Root[key]
    for page in pdf.pages:
        for annot in page.get("/Annots", []):
            if annot.get("/Subtype") == "/Widget":
                annot.Subtype = pikepdf.Name.Stamp
                for key in ("/FT", "/V", "/T", "/TU", "/Parent", "/Lock", "/SV", "/Ff"):
                    if key in annot:
                        del annot[key]
    out = io.BytesIO()
    pdf.save(out)
    out.seek(0)
    return pdfa.validate(out, "2b")


@pytest.mark.parametrize("level", list(SignatureLevel))
def test_every_level_signs_and_verifies_as_that_level(
    level: SignatureLevel, signing_settings: Settings, pdfa_1page: Path, tmp_path: Path
) -> None:
    out = tmp_path / f"signed-{level.value}.pdf"
    result = sign_pdf(
        pdfa_1page, out, SignatureRequest(level=level, reason="Kiểm thử"), settings=signing_settings
    )
    assert result.level is level
    assert result.sha256 == hashlib.sha256(out.read_bytes()).hexdigest()
    assert result.size == out.stat().st_size
    assert result.pdfa is PdfACheck.VALIDATED, "the unsigned input must be validated as PDF/A-2b"
    assert out.read_bytes().startswith(pdfa_1page.read_bytes()), "signing must be incremental"

    report = verify_pdf(out, settings=signing_settings)
    assert report.verdict == "valid", report.reason
    signature = report.signatures[0]
    assert signature.level == level.value
    assert signature.trusted and signature.intact and signature.valid
    assert "NOT TRUSTED" in signature.signer_subject  # the dev PKI is labelled as such
    if level is SignatureLevel.B_B:
        assert signature.timestamp is None
        assert signature.covers_whole_file
    else:
        assert signature.timestamp is not None
    if level is SignatureLevel.B_LTA:
        assert [s.kind for s in report.signatures] == ["signature", "document-timestamp"]


def test_signed_output_keeps_pdfa_producers_and_version(
    signing_settings: Settings, pdfa_1page: Path, tmp_path: Path
) -> None:
    first = tmp_path / "officer.pdf"
    sign_pdf(
        pdfa_1page,
        first,
        SignatureRequest(
            level=SignatureLevel.B_T,
            role=SignerRole.OFFICER,  # an ECDSA P-256 key: must not push the file to PDF 2.0
            display_name="Nguyễn Văn An",
            qr=QRContent(
                "http://127.0.0.1:8000/v/abc",
                "HS-0001",
                "Giấy khai sinh",
                issued_at=__import__("datetime").datetime(2025, 1, 2, 3, 4, 5),
            ),
        ),
        settings=signing_settings,
    )
    second = tmp_path / "agency.pdf"
    sign_pdf(first, second, SignatureRequest(level=SignatureLevel.B_LTA), settings=signing_settings)
    with pikepdf.open(second) as pdf:
        assert str(pdf.Root.get("/Version", "/1.7")) != "/2.0"
        with pdf.open_metadata() as meta:
            assert str(pdf.docinfo["/Producer"]) == meta["pdf:Producer"]
    report = pdfa_report_without_forms(second)
    assert not report.violations, report.violations


def test_unsigned_non_pdfa_input_is_refused(signing_settings: Settings, tmp_path: Path) -> None:
    from core.errors import PDFAValidationFailed

    plain = tmp_path / "plain.pdf"
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.save(plain)
    with pytest.raises(PDFAValidationFailed):
        sign_pdf(
            plain,
            tmp_path / "x.pdf",
            SignatureRequest(level=SignatureLevel.B_B),
            settings=signing_settings,
        )


def test_input_validated_when_written_is_not_validated_again(
    signing_settings: Settings, pdfa_1page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``base_validated`` skips the per-object PDF/A walk; nothing else about signing changes."""
    from signing import pades

    calls: list[int] = []
    real_check = pades._check_pdfa

    def counting_check(data: bytes) -> PdfACheck:
        calls.append(len(data))
        return real_check(data)

    monkeypatch.setattr(pades, "_check_pdfa", counting_check)
    request = SignatureRequest(level=SignatureLevel.B_B, role=SignerRole.OFFICER)
    first = sign_pdf(pdfa_1page, None, request, settings=signing_settings, base_validated=True)
    assert first.pdfa is PdfACheck.VALIDATED_WHEN_WRITTEN
    assert calls == []
    second = sign_pdf(
        first.data, None, SignatureRequest(level=SignatureLevel.B_B), settings=signing_settings
    )
    assert second.pdfa is PdfACheck.ALREADY_SIGNED
    assert calls == [], "the pre-signing revision is not re-validated for a second signature"
    unknown = sign_pdf(pdfa_1page, None, request, settings=signing_settings)
    assert unknown.pdfa is PdfACheck.VALIDATED
    assert calls == [pdfa_1page.stat().st_size]
    assert verify_pdf(second.data, settings=signing_settings).verdict == "valid"
