"""Back office (xử lý, ký số): the queue, result uploads, the stamp preview, batch signing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import Response

import pipeline
from core.domain import DocumentKind, DocumentStatus, Role, SignatureLevel, SignerRole
from core.errors import SohoaError
from pipeline.tokens import CurrentUser
from web import files, reads
from web.forms import clean
from web.preview import planned_boxes
from web.render import error_text, gettext_for, render, render_stored
from web.session import CsrfChecked, require, runtime_of
from web.uploads import spooled
from workers import tasks

router = APIRouter(prefix="/backoffice")

SignerUser = Annotated[CurrentUser, require(Role.SIGNER)]
DossierCode = Annotated[str, Path(min_length=1, max_length=48, pattern=r"^[0-9A-Za-z.\-]+$")]
DocumentId = Annotated[int, Path(ge=1, le=2**31 - 1)]
#: At most this many documents in one batch (one form, one progress page).
MAX_BATCH = 50


def _status(value: str) -> DocumentStatus | None:
    try:
        return DocumentStatus(value) if value else None
    except ValueError:
        return None


@router.get("")
def queue(
    request: Request,
    user: SignerUser,
    q: Annotated[str, Query(max_length=200)] = "",
    status: Annotated[str, Query(max_length=16)] = "",
    kind: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """What waits: results to sign and failed documents; filter by status, search."""
    rt = runtime_of(request)
    kind_ = DocumentKind(kind) if kind in ("submitted", "result") else None
    rows = reads.queue(rt, q=clean(q, 200) or None, status=_status(status), kind=kind_)
    return render(
        request,
        "backoffice.html",
        {
            "rows": rows,
            "q": q,
            "status": status,
            "kind": kind,
            "levels": [level.value for level in SignatureLevel],
            "default_level": rt.settings.default_signature_level.value,
        },
        user=user,
    )


@router.post("/dossiers/{code}/results", dependencies=[CsrfChecked])
def upload_result(
    request: Request,
    code: DossierCode,
    user: SignerUser,
    files_: Annotated[list[UploadFile], File(alias="files")],
    type_name: Annotated[str, Form(max_length=255)] = "",
) -> Response:
    """Store a result (PDF or scans); it is made PDF/A, then waits for the agency signature."""
    rt = runtime_of(request)
    _ = gettext_for(request)
    if not [f for f in files_ if f.filename]:
        return render(
            request, "partials/upload_error.html", {"message": _("Choose or drop the files.")}
        )
    try:
        with spooled(files_, rt.settings) as uploads:
            document = pipeline.submit_document(
                rt, code, uploads, kind=DocumentKind.RESULT,
                type_name=clean(type_name) or _("Result of the procedure"), summary=None,
                actor=user.username,
            )  # fmt: skip
    except SohoaError as exc:
        return render(request, "partials/upload_error.html", {"message": error_text(request, exc)})
    tasks.schedule_digitize(document.id, document.page_count)
    return render_stored(request, reads.document(rt, document.id), user)


@router.get("/documents/{document_id}/preview")
def preview(request: Request, document_id: DocumentId, user: SignerUser) -> Response:
    """Page 1 with the stamp and QR code where the agency signature will place them."""
    rt = runtime_of(request)
    doc = reads.document(rt, document_id)
    local = files.local_copy(rt, files.latest_pdf(rt, document_id))
    view = reads.dossier(rt, doc.dossier_code, with_audit=False)
    preview_ = planned_boxes(local, rt.settings, doc, view.procedure_code)
    return render(
        request,
        "preview.html",
        {
            "doc": doc,
            "preview": preview_,
            "image": f"/staff/documents/{document_id}/pages/1.png?size=large",
            "levels": [level.value for level in SignatureLevel],
            "default_level": rt.settings.default_signature_level.value,
        },
        user=user,
    )


@router.post("/sign", dependencies=[CsrfChecked])
def sign(
    request: Request,
    user: SignerUser,
    document_id: Annotated[list[int], Form()],
    level: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Sign one or several documents at one level; one page follows their progress."""
    rt = runtime_of(request)
    _ = gettext_for(request)
    try:
        chosen = SignatureLevel(level) if level else rt.settings.default_signature_level
    except ValueError:
        chosen = rt.settings.default_signature_level
    ids = list(dict.fromkeys(i for i in document_id if 0 < i < 2**31))[:MAX_BATCH]
    problems: dict[int, str] = {}
    for doc_id in ids:
        try:
            document = pipeline.request_signature(rt, doc_id, actor=user.username)
            tasks.schedule_sign(document.id, SignerRole.AGENCY, chosen, document.page_count)
        except SohoaError as exc:
            problems[doc_id] = error_text(request, exc)
    docs = []
    for doc_id in ids:
        try:
            docs.append(reads.document(rt, doc_id))
        except SohoaError as exc:
            problems[doc_id] = error_text(request, exc)
    return render(
        request,
        "batch.html",
        {"docs": docs, "problems": problems, "level": chosen.value, "lang_next": "/backoffice"},
        user=user,
    )
