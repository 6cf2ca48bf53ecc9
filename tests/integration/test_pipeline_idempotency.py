"""Re-running a stage never duplicates objects, signatures or audit entries — also when a
previous attempt stored its output and crashed before recording it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

import pipeline
from core.domain import DocumentStatus, SignatureLevel, SignerRole
from pipeline.context import Runtime
from storage.models import AuditEntry, Document, Signature
from tests.fixtures.service import submit_scans

pytestmark = pytest.mark.slow


def _versions(rt: Runtime, bucket: str, key: str) -> int:
    found = rt.objects.client.list_objects(bucket, prefix=key, include_version=True)
    return sum(1 for o in found if o.object_name == key)


def _count(rt: Runtime, stmt: Any) -> int:
    with rt.sessions() as session:
        return int(session.scalar(stmt) or 0)


def test_stages_rerun_and_adopt_crashed_output_without_duplicates(
    runtime: Runtime, tmp_path: Path
) -> None:
    rt = runtime
    document = submit_scans(rt, tmp_path, [7], type_name="Sổ hộ khẩu")
    doc_id = document.id
    assert pipeline.digitize(rt, doc_id) is True
    assert pipeline.digitize(rt, doc_id) is False  # redelivered: already done

    with rt.session() as session:  # the commit after the upload was lost (worker killed)
        doc = session.get(Document, doc_id)
        assert doc is not None
        key, first_sha = doc.digitized_key, doc.digitized_sha256
        doc.digitized_key = doc.digitized_sha256 = None
        doc.status = DocumentStatus.PROCESSING
    assert pipeline.digitize(rt, doc_id) is True
    documents_bucket = rt.objects.buckets.documents
    assert key is not None
    assert _versions(rt, documents_bucket, key) == 1
    with rt.sessions() as session:
        doc = session.get(Document, doc_id)
        assert doc is not None and doc.digitized_sha256 == first_sha
        assert doc.status == DocumentStatus.DIGITIZED
        assert len(doc.ocr_text or "") > 20  # the adopted PDF's text layer, read back
    digitized_entries = select(func.count()).where(AuditEntry.action == "document.digitized")
    assert _count(rt, digitized_entries) == 1

    level = SignatureLevel.B_B
    assert pipeline.sign(rt, doc_id, SignerRole.OFFICER, level) is True
    assert pipeline.sign(rt, doc_id, SignerRole.OFFICER, level) is False
    with rt.session() as session:  # signed and stored, but the record was lost
        doc = session.get(Document, doc_id)
        assert doc is not None
        signed_sha = doc.signed_sha256
        for signature in list(doc.signatures):
            session.delete(signature)
        doc.signed_key = doc.signed_sha256 = None
        doc.status = DocumentStatus.PROCESSING
    assert pipeline.sign(rt, doc_id, SignerRole.OFFICER, level) is True
    assert _versions(rt, rt.objects.buckets.results, key) == 1
    assert _count(rt, select(func.count()).select_from(Signature)) == 1
    with rt.sessions() as session:
        doc = session.get(Document, doc_id)
        assert doc is not None and doc.signed_sha256 == signed_sha
        assert doc.status == DocumentStatus.SIGNED
        assert doc.signatures[0].signer_subject

    # The agency signs on top: a second version of the same archive key, two signatures.
    assert pipeline.sign(rt, doc_id, SignerRole.AGENCY, level) is True
    assert _versions(rt, rt.objects.buckets.results, key) == 2
    assert _count(rt, select(func.count()).select_from(Signature)) == 2
