"""Reception and back-office requests the API answers at once (the worker does the rest).

Dossiers are registered, uploads checked and stored, signature requests and retries recorded;
the caller then queues the matching worker stage (see ``workers.tasks``).
"""

from __future__ import annotations

import logging
from datetime import date

from core.domain import (
    AuditAction,
    BucketRole,
    DocumentKind,
    DocumentStatus,
    DossierStatus,
    SignerRole,
    audit_action,
)
from core.errors import Conflict, PageCountMismatch, SohoaError, TooLarge
from core.hashing import sha256_file
from pipeline import adapters
from pipeline.context import Runtime, Upload, get_document
from pipeline.media import sniffed_type
from storage import audit, records
from storage.codes import load_rules
from storage.keys import original_key
from storage.models import Document, Dossier

log = logging.getLogger(__name__)


def create_dossier(
    rt: Runtime,
    *,
    procedure_code: str,
    applicant_name: str,
    applicant_id_number: str | None,
    applicant_phone: str | None,
    actor: str,
    procedure_name: str | None = None,
    applicant_email: str | None = None,
    appointment_on: date | None = None,
) -> tuple[Dossier, str]:
    """Register a dossier; returns it and the citizen's access secret (shown once).

    ``procedure_name``, ``applicant_email`` and ``appointment_on`` (ngày hẹn trả kết quả) are
    what the reception receipt prints besides the code.
    """
    with rt.session() as session:
        dossier, secret = records.create_dossier(
            session,
            agency_code=rt.settings.agency_code,
            agency_name=rt.settings.agency_name,
            rules=load_rules(rt.settings.code_rules_file),
            procedure_code=procedure_code,
            applicant_name=applicant_name,
            applicant_id_number=applicant_id_number,
            applicant_phone=applicant_phone,
        )
        dossier.procedure_name = procedure_name
        dossier.applicant_email = applicant_email
        dossier.appointment_on = appointment_on
        session.flush()
        audit.append(
            session,
            actor=actor,
            action=AuditAction.DOSSIER_CREATED,
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
    declared_pages: int | None = None,
) -> Document:
    """Check and store the originals of one document, then record it as ``queued``.

    ``declared_pages`` is the number of paper pages reception counted: scans with another
    page count are refused (:class:`PageCountMismatch`) before anything is stored.

    The originals reach S3 before the document row exists, so a document the API accepted
    (202) always has its bytes stored. If S3 fails part-way, the objects already written for
    this request are removed again and no row is written: nothing is half-stored.

    Raises:
        InputError subclasses for bad files (checked before anything is stored),
        PageCountMismatch (scans ≠ declared pages),
        DuplicateDocument, StorageUnavailable (S3 down), NotFound (no such dossier).
    """
    if not uploads:
        raise Conflict("a document needs at least one file", detail_vi="Cần ít nhất một tệp")
    pages = 0
    for upload in uploads:
        pages += adapters.check_input(upload.path, rt.settings)
        # The page limit is per document (all its files), checked before anything is stored.
        if pages > rt.settings.max_pages:
            raise TooLarge(
                f"the document has more than {rt.settings.max_pages} pages",
                detail_vi=f"Tài liệu vượt quá {rt.settings.max_pages} trang cho phép",
            )
    if declared_pages is not None and declared_pages != pages:
        raise PageCountMismatch(
            f"the scans have {pages} page(s), {declared_pages} declared",
            detail_vi=f"Các tệp quét có {pages} trang, khác số trang kê khai ({declared_pages})."
            " Hãy quét lại hoặc sửa số trang.",
        )
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
    versions: list[str | None] = []
    try:
        for upload, key, digest in zip(uploads, keys, hashes, strict=True):
            versions.append(
                rt.objects.put_file(
                    rt.bucket(BucketRole.ORIGINALS),
                    key,
                    upload.path,
                    sha256=digest,
                    # Sniffed, never the client's claim (a scan sent as text/html stays a scan).
                    content_type=sniffed_type(upload.path),
                ).version_id
            )
            stored.append(key)
        with rt.session() as session:
            dossier = records.get_dossier(session, dossier_code)
            document = records.add_document(
                session, dossier, kind=kind, type_name=type_name, summary=summary, page_count=pages
            )
            document.declared_pages = declared_pages
            if dossier.status == DossierStatus.RECEIVED:
                records.set_dossier_status(session, dossier, DossierStatus.PROCESSING)
            for upload, key, digest, version in zip(uploads, keys, hashes, versions, strict=True):
                original = records.add_original(
                    session,
                    document,
                    upload_name=upload.name,
                    object_key=key,
                    sha256=digest,
                    size=upload.path.stat().st_size,
                    content_type=sniffed_type(upload.path),
                )
                original.version_id = version
                audit.append(
                    session,
                    actor=actor,
                    action=AuditAction.ORIGINAL_STORED,
                    subject=key,
                    object_sha256=digest,
                    idempotency_key=f"original.stored:{key}:{digest}",
                )
            audit.append(
                session,
                actor=actor,
                action=audit_action(AuditAction.DOCUMENT, kind.value),
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
            session,
            actor=actor,
            action=AuditAction.DOCUMENT_SIGN_REQUESTED,
            subject=str(document.id),
        )
    return document


def _discard(rt: Runtime, keys: list[str]) -> None:
    """Remove originals stored by a request that then failed (best effort, logged)."""
    for key in keys:
        try:
            rt.objects.delete(rt.bucket(BucketRole.ORIGINALS), key, bypass_governance=True)
        except SohoaError as exc:
            log.warning("could not remove orphan original", extra={"key": key, "code": exc.code})


__all__ = ["create_dossier", "request_signature", "submit_document"]
