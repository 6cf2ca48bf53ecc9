"""What the pages show, read from the records (the API's read models are the API's own).

Each function opens one short session and returns plain dataclasses, so templates never touch
a lazy-loading ORM object after its session is gone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import defer, selectinload

from core.domain import DocumentKind, DocumentStatus, DossierStatus, SignerRole
from core.errors import NotFound
from pipeline import Runtime
from pipeline.verification import reference_of
from storage import records
from storage.models import AuditEntry, Document, Dossier

TERMINAL = (DocumentStatus.SIGNED, DocumentStatus.FAILED)


@dataclass(frozen=True)
class SignatureRow:
    role: str
    level: str
    signer_subject: str
    signed_at: datetime


@dataclass(frozen=True)
class DocumentRow:
    """One document as the pages show it."""

    id: int
    dossier_code: str
    ordinal: int
    kind: str
    type_name: str
    status: str
    page_count: int
    pages_done: int
    declared_pages: int | None
    error_code: str | None
    error_detail: str | None
    signed_sha256: str | None
    digitized_sha256: str | None
    has_agency_signature: bool
    reused_from_id: int | None
    verify_reference: str
    created_at: datetime
    updated_at: datetime
    signatures: list[SignatureRow] = field(default_factory=list)
    #: 1-based pages the OCR flagged for a rescan (low confidence), when OCR reports them.
    rescan_pages: list[int] = field(default_factory=list)

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def has_pdf(self) -> bool:
        return self.status in (DocumentStatus.DIGITIZED, DocumentStatus.SIGNED) or bool(
            self.signed_sha256
        )

    @property
    def percent(self) -> int:
        if self.status in (DocumentStatus.DIGITIZED, DocumentStatus.SIGNED):
            return 100
        return int(100 * self.pages_done / self.page_count) if self.page_count else 0


@dataclass(frozen=True)
class DossierView:
    code: str
    procedure_code: str
    procedure_name: str | None
    applicant_name: str
    applicant_id_number: str | None
    applicant_phone: str | None
    applicant_email: str | None
    appointment_on: date | None
    status: str
    created_at: datetime
    documents: list[DocumentRow]
    audit: list[AuditEntry] = field(default_factory=list)


def _rescan_pages(document: Document) -> list[int]:
    """1-based pages the OCR quality gate flagged ``needs_rescan`` (per-page OCR report).

    The report is the OCR area's JSON column ``page_report`` (``storage.pages``): a list of
    page objects with ``number`` and ``needs_rescan``; absent for older documents.
    """
    raw: Any = getattr(document, "page_report", None)
    if not raw:
        return []
    try:
        pages = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return []
    if not isinstance(pages, list):
        return []
    return [
        int(page.get("number", index))
        for index, page in enumerate(pages, start=1)
        if isinstance(page, dict) and page.get("needs_rescan")
    ]


def document_row(document: Document, dossier_code: str) -> DocumentRow:
    """The page's view of an ORM document (signatures loaded)."""
    return DocumentRow(
        id=document.id,
        dossier_code=dossier_code,
        ordinal=document.ordinal,
        kind=str(document.kind),
        type_name=document.type_name,
        status=str(document.status),
        page_count=document.page_count,
        pages_done=document.pages_done,
        declared_pages=document.declared_pages,
        error_code=document.error_code,
        error_detail=document.error_detail,
        signed_sha256=document.signed_sha256,
        digitized_sha256=document.digitized_sha256,
        has_agency_signature=any(s.role == SignerRole.AGENCY for s in document.signatures),
        reused_from_id=document.reused_from_id,
        verify_reference=reference_of(document),
        created_at=document.created_at,
        updated_at=document.updated_at,
        signatures=[
            SignatureRow(str(s.role), str(s.level), s.signer_subject, s.signed_at)
            for s in document.signatures
        ],
        rescan_pages=_rescan_pages(document),
    )


_LIGHT = (
    defer(Document.ocr_text),
    defer(Document.ocr_text_folded),
    defer(Document.metadata_folded),
)


def document(rt: Runtime, document_id: int) -> DocumentRow:
    """One document (NotFound otherwise)."""
    with rt.sessions() as session:
        found = session.get(
            Document,
            document_id,
            options=[*_LIGHT, selectinload(Document.signatures), selectinload(Document.dossier)],
        )
        if found is None:
            raise NotFound(f"document {document_id} not found", detail_vi="Không tìm thấy tài liệu")
        return document_row(found, found.dossier.code)


def dossier(rt: Runtime, code: str, *, with_audit: bool = True) -> DossierView:
    """A dossier with its documents, signatures and (for staff) its audit entries."""
    with rt.sessions() as session:
        found = session.scalars(
            select(Dossier)
            .where(Dossier.code == code)
            .options(
                selectinload(Dossier.documents).options(*_LIGHT, selectinload(Document.signatures))
            )
        ).first()
        if found is None:
            raise NotFound(f"dossier {code} not found", detail_vi=f"Không tìm thấy hồ sơ {code}")
        rows = [document_row(d, found.code) for d in found.documents]
        entries: list[AuditEntry] = []
        if with_audit:
            ids = [str(d.id) for d in found.documents]
            entries = list(
                session.scalars(
                    select(AuditEntry)
                    .where(
                        or_(
                            AuditEntry.subject == found.code,
                            # "CODE#2" (a document) and "CODE/originals/…" (an object key)
                            AuditEntry.subject.like(f"{found.code}#%"),
                            AuditEntry.subject.like(f"{found.code}/%"),
                            AuditEntry.subject.in_(ids),
                        )
                    )
                    .order_by(AuditEntry.id)
                    .limit(500)
                )
            )
            session.expunge_all()
        return DossierView(
            code=found.code,
            procedure_code=found.procedure_code,
            procedure_name=found.procedure_name,
            applicant_name=found.applicant_name,
            applicant_id_number=found.applicant_id_number,
            applicant_phone=found.applicant_phone,
            applicant_email=found.applicant_email,
            appointment_on=found.appointment_on,
            status=str(found.status),
            created_at=found.created_at,
            documents=rows,
            audit=entries,
        )


@dataclass(frozen=True)
class DossierLine:
    code: str
    procedure_code: str
    applicant_name: str
    status: str
    created_at: datetime
    document_count: int


def dossier_list(
    rt: Runtime, *, q: str | None = None, status: DossierStatus | None = None, limit: int = 30
) -> list[DossierLine]:
    """Dossiers, newest first; ``q`` is the accent-insensitive full-text search."""
    with rt.sessions() as session:
        found = records.search_dossiers(session, q=q, status=status, limit=limit)
        counts: dict[int, int] = dict(
            session.execute(
                select(Document.dossier_id, func.count())
                .where(Document.dossier_id.in_([d.id for d in found]))
                .group_by(Document.dossier_id)
            ).all()
        )
        return [
            DossierLine(
                code=d.code,
                procedure_code=d.procedure_code,
                applicant_name=d.applicant_name,
                status=str(d.status),
                created_at=d.created_at,
                document_count=counts.get(d.id, 0),
            )
            for d in found
        ]


def queue(
    rt: Runtime,
    *,
    q: str | None = None,
    status: DocumentStatus | None = None,
    kind: DocumentKind | None = None,
    limit: int = 100,
) -> list[DocumentRow]:
    """The back office's queue: documents newest first, filtered by status and searched.

    Without a status filter it shows what waits: results digitized but not yet signed by the
    agency, and failed documents.
    """
    with rt.sessions() as session:
        stmt = (
            select(Document)
            .join(Dossier, Dossier.id == Document.dossier_id)
            .options(*_LIGHT, selectinload(Document.signatures), selectinload(Document.dossier))
            .order_by(Document.id.desc())
            .limit(limit)
        )
        if status is not None:
            stmt = stmt.where(Document.status == status)
        else:
            stmt = stmt.where(
                or_(
                    Document.status == DocumentStatus.FAILED,
                    (Document.kind == DocumentKind.RESULT)
                    & (Document.status.in_([DocumentStatus.DIGITIZED, DocumentStatus.QUEUED,
                                            DocumentStatus.PROCESSING])),
                )
            )  # fmt: skip
        if kind is not None:
            stmt = stmt.where(Document.kind == kind)
        if q and q.strip():
            matching = [d.id for d in records.search_dossiers(session, q=q, limit=500)]
            stmt = stmt.where(Document.dossier_id.in_(matching))
        return [document_row(d, d.dossier.code) for d in session.scalars(stmt)]


__all__ = [
    "DocumentRow",
    "DossierLine",
    "DossierView",
    "SignatureRow",
    "document",
    "document_row",
    "dossier",
    "dossier_list",
    "queue",
]
