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

import hashlib
import logging
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prometheus_client import Counter, Histogram
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from core import stages
from core.domain import DocumentKind, DocumentStatus, SignatureLevel, SignerRole
from core.errors import Conflict, NotFound, SohoaError
from core.settings import Settings
from storage import audit, records
from storage.db import database_url, make_engine, session_factory
from storage.keys import document_key, original_key
from storage.models import Document, Dossier
from storage.objects import ObjectStore

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

#: Stage names, as used by the worker tasks and ``retry``.
DIGITIZE, SIGN = "digitize", "sign"


@dataclass
class Upload:
    """One uploaded file: its name as given, where its bytes are now, its media type."""

    name: str
    path: Path
    content_type: str = "application/octet-stream"


@dataclass
class Runtime:
    """What every stage needs: settings, the database, the object store (opened lazily)."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    _objects: Any = field(default=None, repr=False)

    @classmethod
    def open(cls, settings: Settings, *, migrate: bool = False) -> Runtime:
        """A runtime for ``settings``; ``migrate`` runs the database migrations first."""
        engine = make_engine(database_url(settings))
        if migrate:
            from storage.db import upgrade

            upgrade(engine)
        return cls(settings=settings, engine=engine, sessions=session_factory(engine))

    @property
    def objects(self) -> ObjectStore:
        """The S3 object store, buckets ensured on first use."""
        if self._objects is None:
            self._objects = stages.open_object_store(self.settings)
        store: ObjectStore = self._objects
        return store

    def bucket(self, role: str) -> str:
        """Name of the bucket with ``role`` (``stages.ORIGINALS``, ``DOCUMENTS``, ``RESULTS``)."""
        return stages.bucket_name(self.objects, role)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success, rolled back on error."""
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def get_document(session: Session, document_id: int) -> Document:
    """The document with this id; :class:`NotFound` otherwise."""
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound(f"document {document_id} not found", detail_vi="Không tìm thấy tài liệu")
    return document


# --- reception: dossiers and uploads (run in the API process) ---------------------------------


def create_dossier(
    rt: Runtime,
    *,
    procedure_code: str,
    applicant_name: str,
    applicant_id_number: str | None,
    applicant_phone: str | None,
    actor: str,
) -> tuple[Dossier, str]:
    """Register a dossier; returns it and the citizen's access secret (shown once)."""
    with rt.session() as session:
        dossier, secret = records.create_dossier(
            session,
            agency_code=rt.settings.agency_code,
            procedure_code=procedure_code,
            applicant_name=applicant_name,
            applicant_id_number=applicant_id_number,
            applicant_phone=applicant_phone,
        )
        audit.append(
            session,
            actor=actor,
            action="dossier.created",
            subject=dossier.code,
            idempotency_key=f"dossier.created:{dossier.code}",
        )
    return dossier, secret


def submit_document(
    rt: Runtime,
    dossier_code: str,
    uploads: list[Upload],
    *,
    kind: DocumentKind,
    type_name: str,
    summary: str | None,
    actor: str,
) -> Document:
    """Check and store the originals of one document, then record it as ``queued``.

    The originals reach S3 before the document row exists, so a document the API accepted
    (202) always has its bytes stored. If S3 fails part-way, the objects already written for
    this request are removed again and no row is written: nothing is half-stored.

    Raises:
        InputError subclasses for bad files (checked before anything is stored),
        DuplicateDocument, StorageUnavailable (S3 down), NotFound (no such dossier).
    """
    if not uploads:
        raise Conflict("a document needs at least one file", detail_vi="Cần ít nhất một tệp")
    pages = 0
    for upload in uploads:
        pages += stages.check_input(upload.path, rt.settings)
    hashes = [sha256_file(u.path) for u in uploads]
    with rt.session() as session:
        dossier = records.get_dossier(session, dossier_code)
        for digest in hashes:
            existing = records.find_duplicate(session, dossier, digest)
            if existing is not None:
                raise records._duplicate_error(existing)
        taken = set(records.original_keys(session, dossier))
    keys: list[str] = []
    for upload in uploads:
        key = original_key(dossier_code, upload.name, taken=taken)
        taken.add(key)
        keys.append(key)
    stored: list[str] = []
    try:
        for upload, key, digest in zip(uploads, keys, hashes, strict=True):
            rt.objects.put_file(
                rt.bucket(stages.ORIGINALS),
                key,
                upload.path,
                sha256=digest,
                content_type=upload.content_type,
            )
            stored.append(key)
        with rt.session() as session:
            dossier = records.get_dossier(session, dossier_code)
            document = records.add_document(
                session, dossier, kind=kind, type_name=type_name, summary=summary, page_count=pages
            )
            for upload, key, digest in zip(uploads, keys, hashes, strict=True):
                records.add_original(
                    session,
                    document,
                    upload_name=upload.name,
                    object_key=key,
                    sha256=digest,
                    size=upload.path.stat().st_size,
                    content_type=upload.content_type,
                )
                audit.append(
                    session,
                    actor=actor,
                    action="original.stored",
                    subject=key,
                    object_sha256=digest,
                    idempotency_key=f"original.stored:{key}:{digest}",
                )
            audit.append(
                session,
                actor=actor,
                action=f"document.{kind.value}",
                subject=f"{dossier_code}#{document.ordinal}",
                idempotency_key=f"document.accepted:{document.id}",
            )
    except BaseException:
        _discard(rt, stored)
        raise
    return document


def request_signature(rt: Runtime, document_id: int, *, actor: str) -> Document:
    """Accept an agency signature request for a digitized document (the worker signs)."""
    with rt.session() as session:
        document = get_document(session, document_id)
        if document.digitized_key is None:
            raise Conflict(
                f"document {document_id} is not digitized yet ({document.status})",
                detail_vi="Tài liệu chưa được số hóa xong",
            )
        if any(s.role == SignerRole.AGENCY for s in document.signatures):
            return document  # already signed by the agency: idempotent
        document.status = DocumentStatus.QUEUED
        audit.append(
            session, actor=actor, action="document.sign-requested", subject=str(document.id)
        )
    return document


def next_stage(document: Document) -> tuple[str, SignerRole | None]:
    """The stage a document needs next: digitize, or sign by the officer or the agency."""
    if document.digitized_key is None:
        return DIGITIZE, None
    roles = {s.role for s in document.signatures}
    if document.kind == DocumentKind.SUBMITTED and SignerRole.OFFICER not in roles:
        return SIGN, SignerRole.OFFICER
    return SIGN, SignerRole.AGENCY


def retry_stage(rt: Runtime, document_id: int, *, actor: str) -> tuple[str, SignerRole | None]:
    """Move a failed document back to ``queued``; returns the stage (and signer) to run again."""
    with rt.session() as session:
        document = get_document(session, document_id)
        if document.status != DocumentStatus.FAILED:
            raise Conflict(
                f"document {document_id} has not failed ({document.status})",
                detail_vi="Chỉ có thể thử lại tài liệu bị lỗi",
            )
        stage, role = next_stage(document)
        document.status = DocumentStatus.QUEUED
        audit.append(
            session, actor=actor, action=f"document.retry.{stage}", subject=str(document.id)
        )
    return stage, role


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
            rt.objects.download(bucket, key, output, stored.sha256)
            text, pages = stages.pdf_text(output)
        else:
            inputs = []
            for index, (okey, sha, name) in enumerate(originals):
                target = work / f"{index:03d}-{stages.plain_name(name)}"
                rt.objects.download(rt.bucket(stages.ORIGINALS), okey, target, sha)
                inputs.append(target)
            text, pages = stages.run_ocr(
                inputs, output, rt.settings, title, _progress_writer(rt, document_id)
            )
            rt.objects.put_file(bucket, key, output, sha256=sha256_file(output))
        digest = sha256_file(output)
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
            rt.objects.download(bucket, key, output, stored.sha256)
            signer_subject, signed_at = stages.last_signature(output, rt.settings)
        else:
            rt.objects.download(source[0], str(source[1]), source_path, source[2])
            signer_subject, signed_at = stages.run_sign(
                source_path, output, rt.settings, role, level, info
            )
            rt.objects.put_file(
                bucket, key, output, sha256=sha256_file(output), replace=stored is not None
            )
        digest = sha256_file(output)
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
        if document is not None:
            records.mark_failed(session, document, error_code=code, error_detail=message[:2000])
            audit.append(
                session,
                actor="worker",
                action=f"document.failed.{stage}",
                subject=str(document_id),
                detail=f"{code}: {message[:500]}",
            )


def _discard(rt: Runtime, keys: list[str]) -> None:
    """Remove originals stored by a request that then failed (best effort, logged)."""
    for key in keys:
        try:
            rt.objects.delete(rt.bucket(stages.ORIGINALS), key, bypass_governance=True)
        except SohoaError as exc:
            log.warning("could not remove orphan original", extra={"key": key, "code": exc.code})


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


def documents_stuck(rt: Runtime) -> list[tuple[int, str, SignerRole | None, int]]:
    """Documents left queued/processing: (id, stage, signer, pages), to queue again when the
    only worker of a deployment restarts."""
    with rt.sessions() as session:
        rows = session.scalars(
            select(Document).where(
                Document.status.in_([DocumentStatus.QUEUED, DocumentStatus.PROCESSING])
            )
        )
        return [(d.id, *next_stage(d), d.page_count) for d in rows]


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
