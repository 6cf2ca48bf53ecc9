"""The pipeline: store originals → OCR → PDF/A → officer signature; results → agency signature.

``api/``, ``cli/`` and ``workers/`` call these functions; they call ``ocr``, ``signing`` and
``storage``. Each stage is idempotent (a redelivered task finds the work already done, or the
object a crashed attempt already stored, and never adds a second object, signature or audit
entry), writes per-page progress to the database, and leaves a failed document in the visible
``failed`` state with its error code and message, from which :func:`retry_stage` resumes.

Stages and statuses of a document (tài liệu):

- ``submitted`` (bản sao điện tử): queued → processing → digitized → signed (officer).
- ``result`` (kết quả): queued → processing → digitized; then ``sign`` (agency) → signed.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from prometheus_client import Counter, Histogram

from core import stages
from core.domain import DocumentKind, DocumentStatus, DossierStatus, SignatureLevel, SignerRole
from core.errors import Conflict, SohoaError
from core.intake import (
    DIGITIZE,
    SIGN,
    create_dossier,
    documents_stuck,
    next_stage,
    request_signature,
    retry_stage,
    submit_document,
)
from core.runtime import Runtime, Upload, get_document, sha256_file
from storage import audit, records
from storage.keys import document_key
from storage.models import Document

log = logging.getLogger(__name__)

STAGE_SECONDS = Histogram(
    "sohoa_pipeline_stage_seconds",
    "Duration of a pipeline stage",
    ["stage"],
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900),
)
STAGE_FAILURES = Counter(
    "sohoa_pipeline_failures_total", "Pipeline stages that failed", ["stage", "code"]
)
PAGES_DIGITIZED = Counter("sohoa_pages_digitized_total", "Pages digitized")


# --- worker stages ----------------------------------------------------------------------------


def _set_processing(rt: Runtime, document_id: int) -> None:
    with rt.session() as session:
        document = get_document(session, document_id)
        document.status = DocumentStatus.PROCESSING
        document.error_code = document.error_detail = None


def digitize(rt: Runtime, document_id: int) -> bool:
    """OCR the originals into a searchable PDF/A-2b and store it; returns False if already done."""
    with rt.session() as session:
        document = get_document(session, document_id)
        if document.digitized_key is not None:
            return False
        dossier_code, ordinal = document.dossier.code, document.ordinal
        originals = [(o.object_key, o.sha256, o.upload_name) for o in document.originals]
        title = f"{dossier_code}.{ordinal:02d} {document.type_name}"
    _set_processing(rt, document_id)
    key = document_key(dossier_code, ordinal)
    bucket = rt.bucket(stages.DOCUMENTS)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sohoa-ocr-", dir=_work_dir(rt)) as tmp:
        work = Path(tmp)
        output = work / "digitized.pdf"
        stored = rt.objects.stat(bucket, key)
        if stored is not None:
            # A crashed attempt stored this stage's output before recording it: adopt it
            # rather than OCR again and store a second version.
            rt.objects.download(bucket, key, output, stored.sha256)  # verified against it
            text, pages = stages.pdf_text(output)
            digest = stored.sha256
        else:
            inputs = []
            for index, (okey, sha, name) in enumerate(originals):
                target = work / f"{index:03d}-{stages.plain_name(name)}"
                rt.objects.download(rt.bucket(stages.ORIGINALS), okey, target, sha)
                inputs.append(target)
            text, pages = stages.run_ocr(
                inputs, output, rt.settings, title, _progress_writer(rt, document_id)
            )
            digest = sha256_file(output)
            rt.objects.put_file(bucket, key, output, sha256=digest)
    with rt.session() as session:
        document = get_document(session, document_id)
        records.mark_digitized(
            session, document, object_key=key, sha256=digest, page_count=pages, ocr_text=text
        )
        audit.append(
            session,
            actor="worker",
            action="document.digitized",
            subject=key,
            object_sha256=digest,
            idempotency_key=f"document.digitized:{document_id}",
        )
    PAGES_DIGITIZED.inc(pages)
    STAGE_SECONDS.labels(DIGITIZE).observe(time.perf_counter() - started)
    return True


def sign(rt: Runtime, document_id: int, role: SignerRole, level: SignatureLevel) -> bool:
    """Sign the document's current PDF as ``role`` at ``level``; False if already signed so.

    The signed PDF goes to the ``results`` bucket under the document's archive key; a second
    signature (agency after officer) becomes a new version of that object.
    """
    with rt.session() as session:
        document = get_document(session, document_id)
        if any(s.role == role for s in document.signatures):
            return False
        if document.digitized_key is None or document.digitized_sha256 is None:
            raise Conflict(f"document {document_id} is not digitized", detail_vi="Chưa số hóa")
        # The digitized copy is the file ``ocr`` wrote and validated as PDF/A-2b.
        from_ocr = not document.signed_sha256
        if document.signed_sha256:
            source = (rt.bucket(stages.RESULTS), document.signed_key, document.signed_sha256)
        else:
            source = (
                rt.bucket(stages.DOCUMENTS),
                document.digitized_key,
                document.digitized_sha256,
            )
        known = {s.sha256 for s in document.signatures}
        dossier_code, ordinal = document.dossier.code, document.ordinal
        info = stages.StampInfo(
            dossier_code=dossier_code,
            document_id=document.id,
            document_name=document.type_name,
            verify_url=f"{rt.settings.public_base_url.rstrip('/')}/api/v1/verify/{document.id}",
        )
    _set_processing(rt, document_id)
    key = document_key(dossier_code, ordinal)
    bucket = rt.bucket(stages.RESULTS)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sohoa-sign-", dir=_work_dir(rt)) as tmp:
        source_path, output = Path(tmp) / "source.pdf", Path(tmp) / "signed.pdf"
        stored = rt.objects.stat(bucket, key)
        if stored is not None and stored.sha256 not in known:
            # Signed and stored by a crashed attempt, never recorded: adopt it.
            rt.objects.download(bucket, key, output, stored.sha256)  # verified against it
            signer_subject, signed_at = stages.last_signature(output, rt.settings)
            digest = stored.sha256
        else:
            rt.objects.download(source[0], str(source[1]), source_path, source[2])
            signer_subject, signed_at = stages.run_sign(
                source_path,
                output,
                rt.settings,
                role,
                level,
                info,
                written_by_ocr=from_ocr,
            )
            digest = sha256_file(output)
            rt.objects.put_file(bucket, key, output, sha256=digest, replace=stored is not None)
    with rt.session() as session:
        document = get_document(session, document_id)
        records.add_signature(
            session,
            document,
            level=level,
            role=role,
            signer_subject=signer_subject,
            signed_at=signed_at or datetime.now(UTC),
            object_key=key,
            sha256=digest,
        )
        if role == SignerRole.AGENCY and document.kind == DocumentKind.RESULT:
            # The signed result is what the citizen came for: the dossier is settled.
            records.set_dossier_status(session, document.dossier, DossierStatus.COMPLETED)
        audit.append(
            session,
            actor="worker",
            action=f"document.signed.{role.value}",
            subject=key,
            object_sha256=digest,
            idempotency_key=f"document.signed:{document_id}:{role.value}",
        )
    STAGE_SECONDS.labels(f"{SIGN}-{role.value}").observe(time.perf_counter() - started)
    return True


def fail(rt: Runtime, document_id: int, stage: str, exc: BaseException) -> None:
    """Leave the document ``failed`` with the error's code and one-line message."""
    code = exc.code if isinstance(exc, SohoaError) else "internal-error"
    message = exc.message if isinstance(exc, SohoaError) else f"{type(exc).__name__}: {exc}"
    STAGE_FAILURES.labels(stage, code).inc()
    log.warning("stage failed", extra={"document": document_id, "stage": stage, "code": code})
    with rt.session() as session:
        document = session.get(Document, document_id)
        if document is not None and _won_elsewhere(document, stage, exc):
            # A redelivered copy of this stage ran concurrently and recorded its result first;
            # this attempt's conflict is not the document's failure.
            log.info("stage already done by another attempt", extra={"document": document_id})
            return
        if document is not None:
            records.mark_failed(session, document, error_code=code, error_detail=message[:2000])
            audit.append(
                session,
                actor="worker",
                action=f"document.failed.{stage}",
                subject=str(document_id),
                detail=f"{code}: {message[:500]}",
            )


def _won_elsewhere(document: Document, stage: str, exc: BaseException) -> bool:
    if stage == DIGITIZE:
        return document.digitized_key is not None
    return isinstance(exc, Conflict) and document.status == DocumentStatus.SIGNED


def _work_dir(rt: Runtime) -> Path:
    path = rt.settings.resolved_data_dir() / "work"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _progress_writer(rt: Runtime, document_id: int) -> Callable[[int, int], None]:
    """A progress callback that writes pages done to the database (at most ~2 writes/s)."""
    last = [0.0]

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - last[0] < 0.5:
            return
        last[0] = now
        with rt.session() as session:
            records.record_progress(
                session, get_document(session, document_id), done, page_count=total
            )

    return report


__all__ = [
    "DIGITIZE",
    "SIGN",
    "Runtime",
    "Upload",
    "create_dossier",
    "digitize",
    "documents_stuck",
    "fail",
    "get_document",
    "next_stage",
    "request_signature",
    "retry_stage",
    "sha256_file",
    "sign",
    "submit_document",
]
