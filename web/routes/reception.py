"""Reception (tiếp nhận): new dossiers, the receipt, uploads of submitted documents, reuse."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import select

import pipeline
from core.domain import DocumentKind, Role
from core.errors import NotFound, SohoaError
from pipeline import reuse
from pipeline.tokens import CurrentUser
from storage.codes import access_secret_matches
from storage.models import Dossier
from web import reads
from web.forms import DossierForm, clean
from web.i18n import VIETNAM
from web.receipt import ReceiptData, lookup_url, render_receipt
from web.render import error_text, gettext_for, render, render_stored
from web.session import CsrfChecked, require, runtime_of
from web.uploads import spooled
from workers import tasks

router = APIRouter(prefix="/reception")

ReceptionUser = Annotated[CurrentUser, require(Role.RECEPTION)]
DossierCode = Annotated[str, Path(min_length=1, max_length=48, pattern=r"^[0-9A-Za-z.\-]+$")]
Text = Annotated[str, Form(max_length=255)]


@router.get("")
def reception_home(request: Request, user: ReceptionUser) -> Response:
    """The new-dossier form and today's dossiers."""
    form = DossierForm()
    form.appointment = form.default_appointment()
    recent = reads.dossier_list(runtime_of(request), limit=20)
    return render(request, "reception.html", {"form": form, "recent": recent}, user=user)


@router.post("/dossiers", dependencies=[CsrfChecked])
def create_dossier(
    request: Request,
    user: ReceptionUser,
    procedure_code: Text = "",
    procedure_name: Text = "",
    applicant_name: Text = "",
    id_number: Annotated[str, Form(max_length=32)] = "",
    phone: Annotated[str, Form(max_length=32)] = "",
    email: Text = "",
    appointment: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Register the dossier; the page then shows its code and the lookup secret, once."""
    rt = runtime_of(request)
    form = DossierForm(
        procedure_code, procedure_name, applicant_name, id_number, phone, email, appointment
    )
    appointment_on = form.validate(gettext_for(request))
    if appointment_on is None:
        recent = reads.dossier_list(rt, limit=20)
        return render(
            request, "reception.html", {"form": form, "recent": recent, "lang_next": "/reception"},
            user=user, status_code=422,
        )  # fmt: skip
    dossier, secret = pipeline.create_dossier(
        rt,
        procedure_code=form.procedure_code,
        procedure_name=form.procedure_name,
        applicant_name=form.applicant_name,
        applicant_id_number=form.id_number,
        applicant_phone=form.phone or None,
        applicant_email=form.email or None,
        appointment_on=appointment_on,
        actor=user.username,
    )
    return _desk(request, user, dossier.code, secret=secret)


def _desk(request: Request, user: CurrentUser, code: str, *, secret: str | None = None) -> Response:
    rt = runtime_of(request)
    view = reads.dossier(rt, code, with_audit=False)
    reusable = reuse.reusable_documents(rt, view.applicant_id_number, exclude_dossier=code)
    return render(
        request,
        "desk.html",
        {
            "dossier": view,
            "secret": secret,
            "reusable": reusable,
            # A language switch reloads the desk (the secret is not shown again).
            "lang_next": f"/reception/dossiers/{code}",
        },
        user=user,
    )


@router.get("/dossiers/{code}")
def desk(request: Request, code: DossierCode, user: ReceptionUser) -> Response:
    """The reception desk of one dossier: uploads, reuse, the receipt (without the secret)."""
    return _desk(request, user, code)


@router.post("/dossiers/{code}/documents", dependencies=[CsrfChecked])
def upload_document(
    request: Request,
    code: DossierCode,
    user: ReceptionUser,
    files: Annotated[list[UploadFile], File()],
    type_name: Text = "",
    declared_pages: Annotated[str, Form(max_length=6)] = "",
) -> Response:
    """Check and store one submitted document (htmx); its card then follows the progress."""
    rt = runtime_of(request)
    _ = gettext_for(request)
    name = clean(type_name) or _("Document")
    try:
        pages = int(declared_pages)
        if pages < 1:
            raise ValueError
    except ValueError:
        return _upload_error(request, _("Enter the number of paper pages (1 or more)."))
    if not [f for f in files if f.filename]:
        return _upload_error(request, _("Choose or drop the scanned files."))
    try:
        with spooled(files, rt.settings) as uploads:
            document = pipeline.submit_document(
                rt, code, uploads, kind=DocumentKind.SUBMITTED, type_name=name, summary=None,
                actor=user.username, declared_pages=pages,
            )  # fmt: skip
    except SohoaError as exc:
        return _upload_error(request, error_text(request, exc))
    tasks.schedule_digitize(document.id, document.page_count)
    return render_stored(request, reads.document(rt, document.id), user)


def _upload_error(request: Request, message: str) -> Response:
    # 200 so that htmx shows it in place; nothing was stored.
    return render(request, "partials/upload_error.html", {"message": message})


@router.post("/dossiers/{code}/reuse", dependencies=[CsrfChecked])
def reuse_document(
    request: Request,
    code: DossierCode,
    user: ReceptionUser,
    source_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
) -> Response:
    """Attach an earlier digitized, signed document of the same applicant (no rescan)."""
    rt = runtime_of(request)
    try:
        document = reuse.attach(rt, code, source_id, actor=user.username)
    except SohoaError as exc:
        return _upload_error(request, error_text(request, exc))
    return render_stored(request, reads.document(rt, document.id), user)


@router.post("/dossiers/{code}/receipt", dependencies=[CsrfChecked])
def receipt(
    request: Request,
    code: DossierCode,
    user: ReceptionUser,
    secret: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """The receipt PDF; with the lookup secret only when it is the dossier's (just created)."""
    rt = runtime_of(request)
    view = reads.dossier(rt, code, with_audit=False)
    if secret:
        with rt.sessions() as session:
            stored = session.scalar(select(Dossier.access_secret_hash).where(Dossier.code == code))
        if stored is None or not access_secret_matches(stored, secret):
            raise NotFound("no dossier with this secret", detail_vi="Mã tra cứu không đúng.")
    pdf = render_receipt(
        view,
        ReceiptData(
            agency_name=rt.settings.agency_name,
            lookup_url=lookup_url(rt.settings.public_base_url, code),
            secret=secret or None,
            officer=user.username,
            printed_at=datetime.now(VIETNAM),
        ),
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="giay-tiep-nhan-{code}.pdf"',
            # The secret may be on it.
            "Cache-Control": "no-store",
        },
    )
