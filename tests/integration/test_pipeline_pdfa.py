"""The pipeline validates a document as PDF/A-2b once, where it is written, not per signature."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import pipeline
from core import pdfa
from core.domain import SignatureLevel, SignerRole
from pipeline.context import Runtime
from signing import PdfACheck, dev_pki_for, verify_pdf
from storage.models import Document
from tests.fixtures.service import submit_scans

pytestmark = pytest.mark.slow


def test_signatures_reuse_the_validation_done_when_ocr_wrote_the_file(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from signing import pades

    checked: list[int] = []

    def refuse_to_recheck(data: bytes) -> PdfACheck:
        checked.append(len(data))
        raise AssertionError("a digitized copy must not be validated again before signing")

    rt = runtime
    document = submit_scans(rt, tmp_path, [3], type_name="Giấy khai sinh")
    assert pipeline.digitize(rt, document.id) is True  # ocr validates what it writes
    monkeypatch.setattr(pades, "_check_pdfa", refuse_to_recheck)
    assert pipeline.sign(rt, document.id, SignerRole.OFFICER, SignatureLevel.B_B) is True
    assert pipeline.sign(rt, document.id, SignerRole.AGENCY, SignatureLevel.B_B) is True
    assert checked == []

    with rt.sessions() as session:
        doc = session.get(Document, document.id)
        assert doc is not None and doc.signed_key and doc.signed_sha256
        assert doc.digitized_key and doc.digitized_sha256
        digitized = (doc.digitized_key, doc.digitized_sha256)
        signed = (doc.signed_key, doc.signed_sha256)
    signed_bytes = rt.objects.read_bytes(rt.objects.buckets.results, *signed)
    base = rt.objects.read_bytes(rt.objects.buckets.documents, *digitized)
    assert signed_bytes.startswith(base), "the signed file keeps the validated revision intact"
    assert pdfa.validate(io.BytesIO(base), "2b").passed
    pki = dev_pki_for(rt.settings.resolved_data_dir())
    pki.start()  # the verifier asks the development OCSP responder
    try:
        report = verify_pdf(signed_bytes, settings=rt.settings)
    finally:
        pki.stop()
    assert [s.kind for s in report.signatures].count("signature") == 2
    assert report.verdict == "valid", report.reason
