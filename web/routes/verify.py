"""Verification for anyone (xác minh): an uploaded PDF's report, and the page the QR opens.

``/xac-minh/{reference}`` is the URL printed in every signed PDF's QR code
(``Settings.verify_path``). A browser gets the HTML page; a client that asks for JSON
(``Accept: application/json``) gets the stored record as JSON, the same fields as the API's
``GET /api/v1/verify/{id}``. The page also takes the holder's copy and compares its SHA-256
with the record, besides validating its signatures.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Path, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from core.errors import SohoaError, TooLarge
from core.hashing import sha256_file
from pipeline import Runtime, adapters
from pipeline.verification import find_by_reference
from web.render import error_text, render
from web.session import CsrfChecked, public_rate_limit, runtime_of
from web.uploads import spooled

router = APIRouter(prefix="/xac-minh")

Reference = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[0-9A-Za-z_\-]+$")]


def _record(rt: Runtime, reference: str) -> dict[str, Any]:
    # What a verifier needs and no more (pipeline.verification): no dossier code, no applicant.
    with rt.sessions() as session:
        document = find_by_reference(session, reference)
        return {
            "type_name": document.type_name,
            "status": str(document.status),
            "sha256": document.signed_sha256 or document.digitized_sha256,
            "signatures": [
                {
                    "level": str(s.level),
                    "role": str(s.role),
                    "signer_subject": s.signer_subject,
                    "signed_at": s.signed_at.isoformat(),
                    "sha256": s.sha256,
                }
                for s in document.signatures
            ],
        }


def _check(rt: Runtime, file: UploadFile) -> tuple[dict[str, Any], str]:
    limit = int(getattr(rt.settings, "verify_max_upload_bytes", rt.settings.max_upload_bytes))
    with spooled([file], rt.settings) as uploads:
        if not uploads:
            raise TooLarge("no file", detail_vi="Chưa chọn tệp")
        path = uploads[0].path
        if path.stat().st_size > limit:
            raise TooLarge(f"larger than {limit} bytes", detail_vi="Tệp quá lớn")
        return adapters.verify_report(path, rt.settings), sha256_file(path)


@router.get("")
def verify_form(request: Request) -> Response:
    return render(request, "verify.html", {})


@router.post("", dependencies=[CsrfChecked])
def verify_upload(request: Request, file: Annotated[UploadFile, File()]) -> Response:
    """Validate every signature of an uploaded PDF and say it in plain words."""
    public_rate_limit(request)
    rt = runtime_of(request)
    try:
        report, digest = _check(rt, file)
    except SohoaError as exc:
        return render(
            request,
            "verify.html",
            {"error": error_text(request, exc), "lang_next": "/xac-minh"},
            status_code=422,
        )
    return render(
        request, "verify.html", {"report": report, "sha256": digest, "lang_next": "/xac-minh"}
    )


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


@router.get("/{reference}")
def stored(request: Request, reference: Reference) -> Response:
    """The record behind a QR code: HTML for people, JSON for API clients."""
    record = _record(runtime_of(request), reference)
    if _wants_json(request):
        return JSONResponse(record, headers={"Vary": "Accept"})
    response = render(request, "verify_stored.html", {"record": record, "reference": reference})
    response.headers["Vary"] = "Accept"
    return response


@router.post("/{reference}", dependencies=[CsrfChecked])
def compare(
    request: Request, reference: Reference, file: Annotated[UploadFile, File()]
) -> Response:
    """Compare the holder's copy with the record (SHA-256) and validate its signatures."""
    public_rate_limit(request)
    rt = runtime_of(request)
    record = _record(rt, reference)
    context: dict[str, Any] = {
        "record": record,
        "reference": reference,
        "lang_next": f"/xac-minh/{reference}",
    }
    try:
        report, digest = _check(rt, file)
    except SohoaError as exc:
        context["error"] = error_text(request, exc)
        return render(request, "verify_stored.html", context, status_code=422)
    context.update(report=report, sha256=digest, matches=digest == record["sha256"])
    return render(request, "verify_stored.html", context)
