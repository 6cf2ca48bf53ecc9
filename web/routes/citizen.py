"""Citizens (công dân), no account: a dossier's status and its signed documents.

The dossier code and the lookup secret travel in POST bodies, never in a URL (URLs end up in
logs and browser history). A wrong secret and an unknown code get the same answer, so the page
never reveals whether a code exists. Rate limited per client like the API's citizen calls.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import select
from starlette.background import BackgroundTask

from core.domain import BucketRole, DocumentStatus
from core.errors import NotFound
from pipeline import Runtime
from storage import audit
from storage.codes import access_secret_matches
from storage.models import Document, Dossier
from web import reads
from web.forms import clean
from web.render import gettext_for, render
from web.session import CsrfChecked, public_rate_limit, runtime_of

router = APIRouter(prefix="/tra-cuu")

Code = Annotated[str, Form(max_length=64)]
Secret = Annotated[str, Form(max_length=200)]


def _open(rt: Runtime, code: str, secret: str) -> reads.DossierView | None:
    """The dossier if ``secret`` opens it, else None (unknown and wrong look the same)."""
    with rt.sessions() as session:
        stored = session.scalar(select(Dossier.access_secret_hash).where(Dossier.code == code))
    if stored is None or not secret or not access_secret_matches(stored, secret):
        return None
    return reads.dossier(rt, code, with_audit=False)


@router.get("")
def lookup_form(request: Request, ma: Annotated[str, Query(max_length=64)] = "") -> Response:
    """The lookup form; the receipt's QR code opens it with the dossier code filled in."""
    return render(request, "lookup.html", {"code": clean(ma, 64), "secret": ""})


@router.post("", dependencies=[CsrfChecked])
def lookup(request: Request, code: Code = "", secret: Secret = "") -> Response:
    public_rate_limit(request)
    rt = runtime_of(request)
    code, secret = clean(code, 64), secret.strip()
    found = _open(rt, code, secret)
    if found is None:
        _ = gettext_for(request)
        return render(
            request,
            "lookup.html",
            {
                "code": code,
                "secret": "",
                "error": _("No dossier matches this code and lookup secret."),
                "lang_next": "/tra-cuu",
            },
            status_code=404,
        )
    return render(
        request,
        "citizen_dossier.html",
        {"dossier": found, "secret": secret, "lang_next": f"/tra-cuu?ma={quote(code, safe='')}"},
    )


@router.post("/tai-ve/{document_id}", dependencies=[CsrfChecked])
def download(
    request: Request,
    document_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    code: Code = "",
    secret: Secret = "",
) -> Response:
    """A signed document of the dossier, streamed and checked against its SHA-256."""
    public_rate_limit(request)
    rt = runtime_of(request)
    with rt.sessions() as session:
        row = session.execute(
            select(Document.signed_key, Document.signed_sha256, Dossier.access_secret_hash)
            .join(Dossier, Dossier.id == Document.dossier_id)
            .where(
                Document.id == document_id,
                Dossier.code == clean(code, 64),
                Document.status == DocumentStatus.SIGNED,
            )
        ).first()
    if (
        row is None
        or row.signed_key is None
        or row.signed_sha256 is None
        or not access_secret_matches(row.access_secret_hash, secret.strip())
    ):
        raise NotFound("no such document", detail_vi="Không tìm thấy hồ sơ.")
    key, sha = row.signed_key, row.signed_sha256
    recorder: Any = getattr(request.app.state, "download_audit", None)
    record = (
        BackgroundTask(recorder.queue, key, sha)
        if recorder is not None
        else BackgroundTask(_audit_download, rt, key, sha)
    )
    return StreamingResponse(
        rt.objects.iter_verified(rt.bucket(BucketRole.RESULTS), key, sha),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{key.rsplit("/", 1)[-1]}"',
            "Cache-Control": "no-store",
        },
        background=record,
    )


def _audit_download(rt: Runtime, key: str, sha: str) -> None:
    with rt.session() as session:
        audit.append(
            session, actor="citizen", action="document.downloaded", subject=key, object_sha256=sha
        )
