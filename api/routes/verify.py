"""Verification for anyone: an uploaded PDF's report, or a stored document's record (QR URL)."""

from __future__ import annotations

from typing import Annotated

import anyio
import anyio.to_thread
from fastapi import APIRouter, File, Path, Request, UploadFile
from starlette.types import ASGIApp, Receive, Scope, Send

from api.deps import PublicLimited, RuntimeDep, SessionDep
from api.limits import BodyLimitMiddleware
from api.schemas import SignatureOut, StoredVerification, VerificationOut
from api.views import spooled
from core.errors import TooLarge
from core.hashing import sha256_file
from core.settings import Settings
from pipeline import adapters
from pipeline.verification import find_by_reference

router = APIRouter(prefix="/verify", tags=["verify"])


class VerifyBodyLimit:
    """``POST /verify``'s own, smaller body limit (``SOHOA_VERIFY_MAX_UPLOAD_BYTES``).

    Enforced as the body streams in, before anything is spooled (``api.limits``): anyone may
    call ``/verify``, so a declared ``Content-Length`` over the limit is refused unread.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, path: str) -> None:
        self.app = app
        self.path = path.rstrip("/")
        self.limited = BodyLimitMiddleware(app, max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope.get("method") == "POST"
            and str(scope.get("path", "")).rstrip("/") == self.path
        ):
            await self.limited(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def _verify_spooled(file: UploadFile, settings: Settings) -> VerificationOut:
    if file.size is not None and file.size > settings.verify_max_upload_bytes:
        raise TooLarge(
            f"{file.size} bytes is over the verification limit of "
            f"{settings.verify_max_upload_bytes}",
            detail_vi="Tệp vượt quá dung lượng cho phép để kiểm tra chữ ký",
        )
    small = settings.model_copy(update={"max_upload_bytes": settings.verify_max_upload_bytes})
    with spooled([file], small) as uploads:
        digest = sha256_file(uploads[0].path)
        report = adapters.verify_report(uploads[0].path, settings)
    return VerificationOut(
        verdict=report["verdict"],
        reason=report.get("reason"),
        signatures=report.get("signatures", []),
        sha256=digest,
        verdict_vi=report.get("verdict_vi"),
        reason_vi=report.get("reason_vi"),
        labels_vi=report.get("labels_vi", {}),
    )


@router.post(
    "",
    dependencies=[PublicLimited],
    responses={413: {"description": "over SOHOA_VERIFY_MAX_UPLOAD_BYTES"},
               422: {"description": "verify-limit: a validation limit was hit"}},
)  # fmt: skip
async def verify_upload(
    request: Request,
    file: Annotated[UploadFile, File(description="a signed PDF")],
    rt: RuntimeDep,
) -> VerificationOut:
    """Validate every signature of an uploaded PDF (trust, timestamps, later changes).

    Offline (only the revocation data embedded in the file), in a child process under CPU,
    memory and time limits; at most ``SOHOA_VERIFY_CONCURRENCY`` at once, the rest wait here
    without holding a worker thread (``/healthz`` and the rest of the API stay responsive).
    """
    limiter = getattr(request.app.state, "verify_limiter", None)
    if limiter is None:
        limiter = request.app.state.verify_limiter = anyio.CapacityLimiter(
            max(1, rt.settings.verify_concurrency)
        )
    # signing.isolated bounds the wait: a slot within the wall-clock limit, the child within it
    return await anyio.to_thread.run_sync(_verify_spooled, file, rt.settings, limiter=limiter)


@router.get("/{reference}", dependencies=[PublicLimited])
def verify_stored(
    reference: Annotated[str, Path(max_length=64)], session: SessionDep
) -> StoredVerification:
    """A stored document's hash, signatures and status (the URL in the stamp's QR code).

    ``reference`` is the document's unguessable verification token, not its id."""
    document = find_by_reference(session, reference)
    return StoredVerification(
        type_name=document.type_name,
        status=document.status,
        sha256=document.signed_sha256 or document.digitized_sha256,
        signatures=[SignatureOut.model_validate(s) for s in document.signatures],
    )
