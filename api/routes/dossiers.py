"""Dossiers (hồ sơ): create, list/search, read; upload submitted documents and results."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile, status
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

import pipeline
from api.deps import (
    AnyUser,
    DossierCode,
    ReceptionUser,
    RuntimeDep,
    SearchText,
    SessionDep,
    SignerUser,
    SummaryForm,
    TypeNameForm,
)
from api.schemas import (
    Accepted,
    DossierCreate,
    DossierCreated,
    DossierOut,
    DossierPage,
    DossierSummary,
)
from api.views import dossier_out, spooled
from core.domain import DocumentKind, DossierStatus
from core.errors import NotFound
from storage import records
from storage.documents import without_text
from storage.models import Document, Dossier
from workers import tasks

router = APIRouter(prefix="/dossiers", tags=["dossiers"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_dossier(body: DossierCreate, rt: RuntimeDep, user: ReceptionUser) -> DossierCreated:
    """Receive a dossier: returns its code and the citizen's access secret (shown once)."""
    dossier, secret = pipeline.create_dossier(
        rt,
        procedure_code=body.procedure_code,
        applicant_name=body.applicant.name,
        applicant_id_number=body.applicant.id_number,
        applicant_phone=body.applicant.phone,
        actor=user.username,
    )
    return DossierCreated(
        code=dossier.code,
        access_secret=secret,
        status=dossier.status,
        created_at=dossier.created_at,
    )


@router.get("")
def list_dossiers(
    session: SessionDep,
    _user: AnyUser,
    q: SearchText = None,
    status_: Annotated[DossierStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> DossierPage:
    """Dossiers, newest first; ``q`` searches codes, applicant and OCR text (with or without
    Vietnamese accents)."""
    found = records.search_dossiers(session, q=q, status=status_, limit=limit, offset=offset)
    # One grouped count instead of loading every dossier's documents (OCR text included).
    counts: dict[int, int] = dict(
        session.execute(
            select(Document.dossier_id, func.count())
            .where(Document.dossier_id.in_([d.id for d in found]))
            .group_by(Document.dossier_id)
        )
        .tuples()
        .all()
    )
    items = [
        DossierSummary(
            code=d.code,
            procedure_code=d.procedure_code,
            applicant_name=d.applicant_name,
            status=d.status,
            created_at=d.created_at,
            document_count=counts.get(d.id, 0),
        )
        for d in found
    ]
    return DossierPage(items=items, total=records.count_dossiers(session, q=q, status=status_))


@router.get("/{code}")
def get_dossier(code: DossierCode, session: SessionDep, _user: AnyUser) -> DossierOut:
    """One dossier with its documents."""
    # Documents and their signatures in two more queries (not one per document), without the
    # large OCR text columns the response does not show.
    dossier = session.scalars(
        select(Dossier)
        .where(Dossier.code == code)
        .options(
            selectinload(Dossier.documents).options(
                *without_text(),
                selectinload(Document.signatures),
            )
        )
    ).first()
    if dossier is None:
        raise NotFound(f"dossier {code} not found", detail_vi=f"Không tìm thấy hồ sơ {code}")
    return dossier_out(dossier)


def _accept(
    rt: pipeline.Runtime,
    code: DossierCode,
    files: list[UploadFile],
    kind: DocumentKind,
    type_name: str,
    summary: str | None,
    actor: str,
) -> Accepted:
    with spooled(files, rt.settings) as uploads:
        document = pipeline.submit_document(
            rt, code, uploads, kind=kind, type_name=type_name, summary=summary, actor=actor
        )
    tasks.schedule_digitize(document.id, document.page_count)
    return Accepted(
        document_id=document.id,
        status=document.status,
        status_url=f"/api/v1/documents/{document.id}",
    )


@router.post("/{code}/documents", status_code=status.HTTP_202_ACCEPTED)
def upload_document(
    code: DossierCode,
    rt: RuntimeDep,
    user: ReceptionUser,
    files: Annotated[list[UploadFile], File(description="the pages of one document, in order")],
    type_name: TypeNameForm = "Giấy tờ",
    summary: SummaryForm = None,
) -> Accepted:
    """Upload one submitted document (one or more files); digitized in the background."""
    return _accept(rt, code, files, DocumentKind.SUBMITTED, type_name, summary, user.username)


@router.post("/{code}/results", status_code=status.HTTP_202_ACCEPTED)
def upload_result(
    code: DossierCode,
    rt: RuntimeDep,
    user: SignerUser,
    files: Annotated[list[UploadFile], File(description="the result: a PDF or scans")],
    type_name: TypeNameForm = "Kết quả giải quyết",
    summary: SummaryForm = None,
) -> Accepted:
    """Upload the result of a dossier; made PDF/A in the background, then signed on request."""
    return _accept(rt, code, files, DocumentKind.RESULT, type_name, summary, user.username)
