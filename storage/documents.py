"""Repository functions for documents, their originals and signatures (see storage.records).

Re-exported by :mod:`storage.records`; import from there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError as DBIntegrityError
from sqlalchemy.orm import Session, defer
from sqlalchemy.orm.strategy_options import _AbstractLoad

from core.domain import DocumentKind, DocumentStatus, SignatureLevel, SignerRole
from core.errors import Conflict, DuplicateDocument, NotFound
from storage.codes import fold_accents
from storage.models import Document, Dossier, OriginalFile, Signature

# --- documents -----------------------------------------------------------------------------


def add_document(
    session: Session,
    dossier: Dossier,
    *,
    kind: DocumentKind,
    type_name: str,
    number_notation: str | None = None,
    issue_date: date | None = None,
    issuing_agency: str | None = None,
    summary: str | None = None,
    language: str = "vi",
    retention_period: str | None = None,
    page_count: int = 0,
    reused_from: Document | None = None,
) -> Document:
    """Add the dossier's next document (ordinal 1, 2, …), status ``queued``."""
    # Lock the dossier row so two uploads to one dossier never take the same ordinal.
    session.execute(select(Dossier.id).where(Dossier.id == dossier.id).with_for_update())
    last = session.scalar(
        select(func.max(Document.ordinal)).where(Document.dossier_id == dossier.id)
    )
    document = Document(
        dossier_id=dossier.id,
        ordinal=(last or 0) + 1,
        kind=kind,
        type_name=type_name,
        number_notation=number_notation,
        issue_date=issue_date,
        issuing_agency=issuing_agency,
        summary=summary,
        language=language,
        retention_period=retention_period,
        page_count=page_count,
        pages_done=0,
        status=DocumentStatus.QUEUED,
        reused_from_id=reused_from.id if reused_from else None,
        metadata_folded=fold_accents(
            " | ".join(
                part for part in (type_name, number_notation, issuing_agency, summary) if part
            )
        ),
    )
    session.add(document)
    session.flush()
    return document


def get_document(session: Session, dossier_code: str, ordinal: int) -> Document:
    """Document ``ordinal`` of the dossier; :class:`NotFound` otherwise."""
    document = session.scalars(
        select(Document)
        .join(Dossier)
        .where(Dossier.code == dossier_code, Document.ordinal == ordinal)
    ).first()
    if document is None:
        raise NotFound(f"document {ordinal} of dossier {dossier_code} not found")
    return document


def find_duplicate(session: Session, dossier: Dossier, sha256: str) -> OriginalFile | None:
    """An original with these bytes already stored in this dossier, if any."""
    return session.scalars(
        select(OriginalFile).where(
            OriginalFile.dossier_id == dossier.id, OriginalFile.sha256 == sha256
        )
    ).first()


def duplicate_error(existing: OriginalFile) -> DuplicateDocument:
    """The :class:`DuplicateDocument` error naming the document that already holds the bytes."""
    ordinal = existing.document.ordinal
    return DuplicateDocument(
        f"the same file is already stored in this dossier as document {ordinal:02d}"
        f" ({existing.upload_name})",
        detail_vi=f"Tệp này đã có trong hồ sơ (tài liệu số {ordinal:02d})",
    )


def add_original(
    session: Session,
    document: Document,
    *,
    upload_name: str,
    object_key: str,
    sha256: str,
    size: int,
    content_type: str,
) -> OriginalFile:
    """Record an uploaded original; :class:`DuplicateDocument` if the dossier holds its bytes.

    Re-recording the same file for the same document (a retried request) returns the row.
    """
    existing = find_duplicate(session, document.dossier, sha256)
    if existing is not None:
        if existing.document_id == document.id and existing.object_key == object_key:
            return existing
        raise duplicate_error(existing)
    original = OriginalFile(
        document_id=document.id,
        dossier_id=document.dossier_id,
        upload_name=upload_name,
        object_key=object_key,
        sha256=sha256,
        size=size,
        content_type=content_type,
    )
    try:
        with session.begin_nested():
            session.add(original)
            session.flush()
    except DBIntegrityError as exc:
        raced = find_duplicate(session, document.dossier, sha256)
        raise (duplicate_error(raced) if raced else Conflict(str(exc.orig))) from exc
    session.refresh(document, ["originals"])
    return original


def original_keys(session: Session, dossier: Dossier) -> set[str]:
    """Object keys of the dossier's originals (to avoid collisions of sanitised names)."""
    return set(
        session.scalars(
            select(OriginalFile.object_key).where(OriginalFile.dossier_id == dossier.id)
        )
    )


def record_progress(
    session: Session, document: Document, pages_done: int, *, page_count: int | None = None
) -> None:
    """Per-page progress of OCR; moves a queued document to ``processing``."""
    if page_count is not None:
        document.page_count = page_count
    document.pages_done = max(document.pages_done, pages_done)
    if document.status in (DocumentStatus.QUEUED, DocumentStatus.FAILED):
        document.status = DocumentStatus.PROCESSING
        document.error_code = document.error_detail = None
    session.flush()


def mark_digitized(
    session: Session,
    document: Document,
    *,
    object_key: str,
    sha256: str,
    page_count: int,
    ocr_text: str,
    language: str | None = None,
) -> None:
    """Record the searchable PDF/A copy; idempotent (a signed document stays signed)."""
    document.digitized_key = object_key
    document.digitized_sha256 = sha256
    document.page_count = page_count
    document.pages_done = page_count
    document.ocr_text = ocr_text
    document.ocr_text_folded = fold_accents(ocr_text)
    if language:
        document.language = language
    if document.status != DocumentStatus.SIGNED:
        document.status = DocumentStatus.DIGITIZED
    document.error_code = document.error_detail = None
    session.flush()


def mark_failed(
    session: Session, document: Document, *, error_code: str, error_detail: str
) -> None:
    """Record a failure (``core.errors`` code and one-line message) on the document."""
    document.status = DocumentStatus.FAILED
    document.error_code = error_code
    document.error_detail = error_detail
    session.flush()


def add_signature(
    session: Session,
    document: Document,
    *,
    level: SignatureLevel,
    role: SignerRole,
    signer_subject: str,
    signed_at: datetime,
    object_key: str,
    sha256: str,
) -> Signature:
    """Record a signature and make ``object_key`` the document's signed PDF; idempotent.

    Unique on (document, role, sha256): a re-run of the signing stage that produced the same
    file returns the existing row instead of adding another.
    """
    existing = session.scalars(
        select(Signature).where(
            Signature.document_id == document.id, Signature.role == role, Signature.sha256 == sha256
        )
    ).first()
    if existing is not None:
        return existing
    signature = Signature(
        document_id=document.id,
        level=level,
        role=role,
        signer_subject=signer_subject,
        signed_at=signed_at,
        object_key=object_key,
        sha256=sha256,
    )
    session.add(signature)
    document.signed_key = object_key
    document.signed_sha256 = sha256
    document.status = DocumentStatus.SIGNED
    session.flush()
    session.refresh(document, ["signatures"])
    return signature


def documents_of(session: Session, dossier: Dossier) -> Sequence[Document]:
    return list(
        session.scalars(
            select(Document).where(Document.dossier_id == dossier.id).order_by(Document.ordinal)
        )
    )


def without_text() -> list[_AbstractLoad]:
    """Loader options that leave a document's text columns unloaded.

    The OCR text and its folded copies can be megabytes per document; status reads, stages and
    dossier views never show them, so they load only when a caller touches them.
    """
    return [
        defer(Document.ocr_text),
        defer(Document.ocr_text_folded),
        defer(Document.metadata_folded),
    ]


__all__ = [
    "add_document",
    "add_original",
    "add_signature",
    "documents_of",
    "duplicate_error",
    "find_duplicate",
    "get_document",
    "mark_digitized",
    "mark_failed",
    "original_keys",
    "record_progress",
    "without_text",
]
