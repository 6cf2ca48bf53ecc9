"""Reuse instead of rescanning (tái sử dụng dữ liệu đã số hóa, 766 "reuse" indicator).

Reception looks up what was already digitized and signed for an applicant (by citizen ID
number) in earlier dossiers, and attaches one to a new dossier: the new document points at
the same stored, signed PDF (``reused_from_id``), is ``signed`` at once, and counts in the
766 reuse rate. Nothing is scanned or stored again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import defer, selectinload

from core.domain import AuditAction, DocumentKind, DocumentStatus, DossierStatus, audit_action
from core.errors import Conflict, NotFound
from pipeline.context import Runtime
from storage import audit, records
from storage.models import Document, Dossier, Signature


@dataclass(frozen=True)
class ReusableDocument:
    """An applicant's earlier document that can be attached without rescanning."""

    id: int
    dossier_code: str
    type_name: str
    page_count: int
    signed_at: datetime | None
    signed_sha256: str


def reusable_documents(
    rt: Runtime, id_number: str | None, *, exclude_dossier: str | None = None, limit: int = 50
) -> list[ReusableDocument]:
    """Digitized and signed submitted documents of the applicant with ``id_number``.

    Only originals are listed (not earlier reuses of them), newest first.
    """
    if not id_number:
        return []
    with rt.sessions() as session:
        stmt = (
            select(Document, Dossier.code)
            .join(Dossier, Dossier.id == Document.dossier_id)
            .where(
                Dossier.applicant_id_number == id_number,
                Document.kind == DocumentKind.SUBMITTED,
                Document.status == DocumentStatus.SIGNED,
                Document.signed_key.is_not(None),
                Document.reused_from_id.is_(None),
            )
            .options(
                defer(Document.ocr_text),
                defer(Document.ocr_text_folded),
                selectinload(Document.signatures),
            )
            .order_by(Document.id.desc())
            .limit(limit)
        )
        if exclude_dossier:
            stmt = stmt.where(Dossier.code != exclude_dossier)
        return [
            ReusableDocument(
                id=document.id,
                dossier_code=code,
                type_name=document.type_name,
                page_count=document.page_count,
                signed_at=max((s.signed_at for s in document.signatures), default=None),
                signed_sha256=document.signed_sha256 or "",
            )
            for document, code in session.execute(stmt).all()
        ]


def attach(rt: Runtime, dossier_code: str, source_id: int, *, actor: str) -> Document:
    """Add to ``dossier_code`` a document reusing the signed document ``source_id``.

    Raises:
        NotFound: no such dossier or document, or the document is not the same applicant's.
        Conflict: the source is not signed yet, or is already attached to this dossier.
    """
    with rt.session() as session:
        dossier = records.get_dossier(session, dossier_code)
        source = session.get(Document, source_id, options=[selectinload(Document.signatures)])
        if source is None or source.reused_from_id is not None:
            raise NotFound(f"document {source_id} not found", detail_vi="Không tìm thấy tài liệu")
        source_dossier = session.get(Dossier, source.dossier_id)
        if (
            source_dossier is None
            or not dossier.applicant_id_number
            or source_dossier.applicant_id_number != dossier.applicant_id_number
        ):
            # Another person's document is "not found", as for any other wrong id.
            raise NotFound(f"document {source_id} not found", detail_vi="Không tìm thấy tài liệu")
        if source.status != DocumentStatus.SIGNED or not source.signed_key:
            raise Conflict(
                f"document {source_id} is not signed", detail_vi="Tài liệu chưa được ký số"
            )
        already = session.scalar(
            select(Document.id).where(
                Document.dossier_id == dossier.id, Document.reused_from_id == source.id
            )
        )
        if already is not None or source.dossier_id == dossier.id:
            raise Conflict(
                f"document {source_id} is already in dossier {dossier_code}",
                detail_vi="Tài liệu này đã có trong hồ sơ",
            )
        document = records.add_document(
            session,
            dossier,
            kind=DocumentKind.SUBMITTED,
            type_name=source.type_name,
            number_notation=source.number_notation,
            issue_date=source.issue_date,
            issuing_agency=source.issuing_agency,
            summary=source.summary,
            page_count=source.page_count,
            reused_from=source,
        )
        # The same stored, signed bytes: the new record names them, nothing is copied in S3.
        for column in (
            "digitized_key",
            "digitized_sha256",
            "signed_key",
            "signed_sha256",
            "ocr_text",
            "ocr_text_folded",
            "metadata_folded",
        ):
            setattr(document, column, getattr(source, column))
        for column in ("digitized_version_id", "signed_version_id"):
            if hasattr(source, column):
                setattr(document, column, getattr(source, column))
        document.reused_from_id = source.id
        document.pages_done = source.page_count
        document.declared_pages = source.declared_pages
        document.status = DocumentStatus.SIGNED
        for signature in source.signatures:
            session.add(
                Signature(
                    document_id=document.id,
                    level=signature.level,
                    role=signature.role,
                    signer_subject=signature.signer_subject,
                    signed_at=signature.signed_at,
                    object_key=signature.object_key,
                    sha256=signature.sha256,
                )
            )
        if dossier.status == DossierStatus.RECEIVED:
            records.set_dossier_status(session, dossier, DossierStatus.PROCESSING)
        session.flush()
        audit.append(
            session,
            actor=actor,
            action=audit_action(AuditAction.DOCUMENT, "reused"),
            subject=f"{dossier_code}#{document.ordinal}",
            object_sha256=source.signed_sha256,
            detail=f"reuses document {source.id} of {source_dossier.code}",
            idempotency_key=f"document.reused:{document.id}",
        )
    return document


__all__ = ["ReusableDocument", "attach", "reusable_documents"]
