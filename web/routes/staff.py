"""What every officer sees: a dossier, a document's live status card, its pages, a retry."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response, StreamingResponse

import pipeline
from core.domain import Role
from core.errors import SohoaError
from pipeline.tokens import CurrentUser
from web import files, reads
from web.render import error_text, render
from web.session import CsrfChecked, StaffUser, require, runtime_of
from workers import tasks

router = APIRouter(prefix="/staff")

DocumentId = Annotated[int, Path(ge=1, le=2**31 - 1)]
DossierCode = Annotated[str, Path(min_length=1, max_length=48, pattern=r"^[0-9A-Za-z.\-]+$")]
PageNumber = Annotated[int, Path(ge=1, le=10_000)]
WorkingUser = Annotated[CurrentUser, require(Role.RECEPTION, Role.SIGNER)]


@router.get("/dossiers/{code}")
def dossier_page(request: Request, code: DossierCode, user: WorkingUser) -> Response:
    """Every document, its status and signatures, its pages, and the dossier's audit entries."""
    rt = runtime_of(request)
    view = reads.dossier(rt, code)
    return render(
        request,
        "dossier.html",
        {"dossier": view, "default_level": rt.settings.default_signature_level.value},
        user=user,
    )


@router.get("/documents/{document_id}/card")
def document_card(request: Request, document_id: DocumentId, user: WorkingUser) -> Response:
    """The document's card (htmx polls it until the document is signed or failed)."""
    return render(
        request,
        "partials/document_card.html",
        {"doc": reads.document(runtime_of(request), document_id)},
        user=user,
    )


@router.get("/documents/{document_id}/pages/{page}.png")
def page_thumbnail(
    request: Request,
    document_id: DocumentId,
    page: PageNumber,
    _user: StaffUser,
    size: Annotated[Literal["small", "large"], Query()] = "small",
) -> Response:
    """A page image: ``small`` for thumbnails, ``large`` for the stamp preview."""
    width = files.PREVIEW_WIDTH if size == "large" else files.THUMB_WIDTH
    png = files.thumbnail(runtime_of(request), document_id, page, width)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=600"})


@router.get("/documents/{document_id}/pdf")
def document_pdf(request: Request, document_id: DocumentId, _user: WorkingUser) -> Response:
    """The document's latest PDF (signed if it is), streamed and checked against its hash."""
    rt = runtime_of(request)
    stored = files.latest_pdf(rt, document_id)
    return StreamingResponse(
        rt.objects.iter_verified(stored.bucket, stored.key, stored.sha256),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{stored.filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/documents/{document_id}/retry", dependencies=[CsrfChecked])
def retry(request: Request, document_id: DocumentId, user: WorkingUser) -> Response:
    """Run a failed document's failed stage again; answers its (polling) card."""
    rt = runtime_of(request)
    message = None
    try:
        stage, role = pipeline.retry_stage(rt, document_id, actor=user.username)
        doc = reads.document(rt, document_id)
        tasks.schedule_stage(
            document_id, stage, role, rt.settings.default_signature_level, doc.page_count
        )
    except SohoaError as exc:
        message = error_text(request, exc)
    return render(
        request,
        "partials/document_card.html",
        {"doc": reads.document(rt, document_id), "message": message},
        user=user,
    )
