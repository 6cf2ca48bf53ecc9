"""The worker stages: originals → OCR → PDF/A (``digitize``), then a PAdES signature (``sign``).

Both run on one skeleton (:func:`_run_stage`): mark the document ``processing``, work in a
temporary directory, adopt the output a crashed attempt already stored (instead of producing
and storing a second version), else produce it and store it, then record it in one transaction.
Each stage is idempotent (a redelivered task finds the work already done and never adds a
second object, signature or audit entry), writes per-page progress to the database, and leaves
a failed document in the visible ``failed`` state with its error code and message, from which
:func:`pipeline.lifecycle.retry_stage` resumes.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Generic, TypeVar

from prometheus_client import Counter, Histogram
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from core.domain import (
    AuditAction,
    BucketRole,
    DocumentKind,
    DocumentStatus,
    DossierStatus,
    SignatureLevel,
    SignerRole,
    Stage,
    audit_action,
)
from core.errors import Conflict, SohoaError
from core.hashing import sha256_file
from pipeline import adapters
from pipeline.context import Runtime, get_document
from pipeline.lifecycle import DIGITIZE, SIGN
from pipeline.verification import reference_of
from storage import audit, records
from storage.db import lock_conflict
from storage.keys import document_key
from storage.models import Document
from storage.objects import StoredObject
from storage.pages import record_pages

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

R = TypeVar("R")
#: Tries of a stage's closing transaction when the database broke a deadlock by aborting it
#: (the output is stored by then: only the record is written again).
_RECORD_ATTEMPTS = 3


@dataclass(frozen=True)
class _Plan(Generic[R]):
    """One stage's run: where its output goes and how it is adopted, produced and recorded.

    ``adopt(output, stored)`` reads what a crashed attempt stored (already downloaded to
    ``output`` and verified); ``produce(work, output)`` makes the output afresh; ``record``
    writes the outcome (with the output's SHA-256) inside the closing transaction.
    """

    metric: str
    bucket: BucketRole
    key: str
    adoptable: Callable[[StoredObject], bool]
    adopt: Callable[[Path], R]
    produce: Callable[[Path, Path], R]
    record: Callable[[Session, Document, str, R], None]


def _run_stage(rt: Runtime, document_id: int, plan: _Plan[R]) -> None:
    _set_processing(rt, document_id)
    bucket = rt.bucket(plan.bucket)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(
        prefix=f"sohoa-{plan.metric}-", dir=rt.settings.work_dir()
    ) as tmp:
        work = Path(tmp)
        output = work / "output.pdf"
        stored = rt.objects.stat(bucket, plan.key)
        if stored is not None and plan.adoptable(stored):
            # A crashed attempt stored this stage's output before recording it: adopt it
            # rather than produce and store a second version.
            rt.objects.download(
                bucket, plan.key, output, stored.sha256, version_id=stored.version_id
            )  # verified against it
            outcome, digest, version = plan.adopt(output), stored.sha256, stored.version_id
        else:
            outcome = plan.produce(work, output)
            digest = sha256_file(output)
            version = rt.objects.put_file(
                bucket, plan.key, output, sha256=digest, replace=stored is not None
            ).version_id
    for attempt in range(1, _RECORD_ATTEMPTS + 1):
        try:
            with rt.session() as session:
                document = get_document(session, document_id)
                # Reads of this record fetch exactly the version stored now (storage.verified).
                # Set before ``record``, whose audit entry locks the audit head: the document row
                # is then written once, before that lock, and nothing after it waits for the
                # dossier row an upload to the same dossier holds while it waits for the head.
                records.record_object_version(document, plan.bucket, version)
                plan.record(session, document, digest, outcome)
            break
        except DBAPIError as exc:
            if not lock_conflict(exc) or attempt == _RECORD_ATTEMPTS:
                raise
            log.info("record of %s met a lock conflict, again (%d)", plan.metric, attempt)
    STAGE_SECONDS.labels(plan.metric).observe(time.perf_counter() - started)


def digitize(rt: Runtime, document_id: int) -> bool:
    """OCR the originals into a searchable PDF/A-2b and store it; returns False if already done."""
    with rt.session() as session:
        document = get_document(session, document_id)
        if document.digitized_key is not None:
            return False
        dossier_code, ordinal = document.dossier.code, document.ordinal
        originals = [
            (o.object_key, o.sha256, o.upload_name, o.version_id) for o in document.originals
        ]
        title = f"{dossier_code}.{ordinal:02d} {document.type_name}"
    key = document_key(dossier_code, ordinal)

    def produce(work: Path, output: Path) -> adapters.OcrOutcome:
        inputs = []
        for index, (okey, sha, name, version) in enumerate(originals):
            target = work / f"{index:03d}-{adapters.plain_name(name)}"
            rt.objects.download(
                rt.bucket(BucketRole.ORIGINALS), okey, target, sha, version_id=version
            )
            inputs.append(target)
        progress = _progress_writer(rt, document_id)
        return adapters.run_ocr(inputs, output, rt.settings, title, progress)

    def record(
        session: Session, document: Document, digest: str, done: adapters.OcrOutcome
    ) -> None:
        pages = done.page_count
        records.mark_digitized(
            session, document, object_key=key, sha256=digest, page_count=pages, ocr_text=done.text
        )
        if done.pages or document.page_report is None:
            # An adopted output (crashed attempt) has no page reports: keep any recorded ones.
            record_pages(session, document, done.pages)
        audit.append(
            session,
            actor="worker",
            action=AuditAction.DOCUMENT_DIGITIZED,
            subject=key,
            object_sha256=digest,
            idempotency_key=f"document.digitized:{document_id}",
        )
        PAGES_DIGITIZED.inc(pages)

    plan = _Plan(
        metric=DIGITIZE,
        bucket=BucketRole.DOCUMENTS,
        key=key,
        adoptable=lambda stored: True,
        adopt=adapters.pdf_text,
        produce=produce,
        record=record,
    )
    _run_stage(rt, document_id, plan)
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
            source = (
                BucketRole.RESULTS,
                str(document.signed_key),
                document.signed_sha256,
                document.signed_version_id,
            )
        else:
            source = (
                BucketRole.DOCUMENTS,
                document.digitized_key,
                document.digitized_sha256,
                document.digitized_version_id,
            )
        known = {s.sha256 for s in document.signatures}
        dossier_code, ordinal = document.dossier.code, document.ordinal
        info = adapters.StampInfo(
            dossier_code=dossier_code,
            document_id=document.id,
            document_name=document.type_name,
            verify_url=rt.settings.verify_url(reference_of(document)),
            # Circular 01/2023/TT-VPCP: procedure code, the document's own identifier
            # (its number and notation, else its place in the dossier) and, for a result,
            # its validity go into the QR code.
            procedure_code=document.dossier.procedure_code,
            document_identifier=document.number_notation or f"{dossier_code}/{ordinal}",
            is_result=document.kind == DocumentKind.RESULT,
        )
    key = document_key(dossier_code, ordinal)

    def produce(work: Path, output: Path) -> tuple[str, datetime | None]:
        source_path = work / "source.pdf"
        rt.objects.download(
            rt.bucket(source[0]), source[1], source_path, source[2], version_id=source[3]
        )
        return adapters.run_sign(
            source_path, output, rt.settings, role, level, info, written_by_ocr=from_ocr
        )

    def record(
        session: Session, document: Document, digest: str, done: tuple[str, datetime | None]
    ) -> None:
        signer_subject, signed_at = done
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
            action=audit_action(AuditAction.DOCUMENT_SIGNED, role.value),
            subject=key,
            object_sha256=digest,
            idempotency_key=f"document.signed:{document_id}:{role.value}",
        )

    plan = _Plan(
        metric=f"{SIGN}-{role.value}",
        bucket=BucketRole.RESULTS,
        key=key,
        # A stored version no recorded signature has: signed by a crashed attempt.
        adoptable=lambda stored: stored.sha256 not in known,
        adopt=lambda output: adapters.last_signature(output, rt.settings),
        produce=produce,
        record=record,
    )
    _run_stage(rt, document_id, plan)
    return True


def fail(rt: Runtime, document_id: int, stage: Stage, exc: BaseException) -> None:
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
                action=audit_action(AuditAction.DOCUMENT_FAILED, stage),
                subject=str(document_id),
                detail=f"{code}: {message[:500]}",
            )


def _won_elsewhere(document: Document, stage: Stage, exc: BaseException) -> bool:
    if stage == DIGITIZE:
        return document.digitized_key is not None
    return isinstance(exc, Conflict) and document.status == DocumentStatus.SIGNED


def _set_processing(rt: Runtime, document_id: int) -> None:
    with rt.session() as session:
        document = get_document(session, document_id)
        document.status = DocumentStatus.PROCESSING
        document.error_code = document.error_detail = None


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


__all__ = ["digitize", "fail", "sign"]
