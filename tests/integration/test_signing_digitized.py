"""The real chain: a scan digitized by ``ocr.digitize`` (Tesseract), then signed by the officer
and the agency, still passes PDF/A-2b in its pre-signing revision and verifies."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core import pdfa
from core.domain import SignatureLevel, SignerRole
from core.settings import Settings
from signing import QRContent, SignatureRequest, sign_pdf, verify_pdf

pytestmark = pytest.mark.slow


def pre_signing_revision(signed: bytes) -> bytes:
    """The bytes of the revision before the first signature (ends at the %%EOF before it)."""
    match = re.search(rb"/ByteRange\s*\[\s*0\s+(\d+)", signed)
    assert match, "no signature found"
    first_gap = int(match.group(1))
    end = signed.rfind(b"%%EOF", 0, first_gap) + len(b"%%EOF")
    while signed[end : end + 1] in (b"\r", b"\n"):
        end += 1
    return signed[:end]


def test_digitized_copy_signed_twice_keeps_pdfa_base_revision(
    resources: Path, signing_settings: Settings, tmp_path: Path
) -> None:
    from ocr import digitize

    digitized = tmp_path / "digitized.pdf"
    digitize([resources / "typewriter.png"], digitized, settings=signing_settings)
    qr = QRContent("http://127.0.0.1:8000/v/1", "HS-1", "Bản sao điện tử", datetime.now(UTC))
    officer = tmp_path / "officer.pdf"
    sign_pdf(
        digitized,
        officer,
        SignatureRequest(
            level=SignatureLevel.B_T, role=SignerRole.OFFICER, display_name="Trần Văn Bình", qr=qr
        ),
        settings=signing_settings,
    )
    final = tmp_path / "final.pdf"
    sign_pdf(
        officer, final, SignatureRequest(level=SignatureLevel.B_LTA), settings=signing_settings
    )

    signed = final.read_bytes()
    base = pre_signing_revision(signed)
    assert base == digitized.read_bytes()
    report = pdfa.validate(io.BytesIO(base), "2b")
    assert report.passed, report.violations
    verdict = verify_pdf(final, settings=signing_settings)
    assert verdict.verdict == "valid", verdict.reason
    assert [s.level for s in verdict.signatures if s.kind == "signature"] == ["B-T", "B-LTA"]
