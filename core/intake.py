"""Reception and back-office requests the API answers at once (the worker does the rest).

Dossiers are registered, uploads checked and stored, signature requests and retries recorded;
the caller then queues the matching worker stage (see ``workers.tasks``).
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from core import stages
from core.domain import DocumentKind, DocumentStatus, DossierStatus, SignerRole
from core.errors import Conflict, SohoaError
from core.runtime import Runtime, Upload, get_document, sha256_file
from storage import audit, records
from storage.keys import original_key
from storage.models import Document, Dossier

log = logging.getLogger(__name__)

#: Stage names, as used by the worker tasks and ``retry``.
DIGITIZE, SIGN = "digitize", "sign"


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
                raise records.duplicate_error(existing)
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
            if dossier.status == DossierStatus.RECEIVED:
                records.set_dossier_status(session, dossier, DossierStatus.PROCESSING)
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


def _discard(rt: Runtime, keys: list[str]) -> None:
    """Remove originals stored by a request that then failed (best effort, logged)."""
    for key in keys:
        try:
            rt.objects.delete(rt.bucket(stages.ORIGINALS), key, bypass_governance=True)
        except SohoaError as exc:
            log.warning("could not remove orphan original", extra={"key": key, "code": exc.code})


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
    "create_dossier",
    "documents_stuck",
    "next_stage",
    "request_signature",
    "retry_stage",
    "submit_document",
]
