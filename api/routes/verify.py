"""Verification for anyone: an uploaded PDF's report, or a stored document's record (QR URL)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, UploadFile

from api.deps import PublicLimited, RuntimeDep, SessionDep
from api.schemas import SignatureOut, StoredVerification, VerificationOut
from api.views import spooled
from core.hashing import sha256_file
from pipeline import adapters
from pipeline.verification import find_by_reference

router = APIRouter(prefix="/verify", tags=["verify"])


@router.post("", dependencies=[PublicLimited])
def verify_upload(
    file: Annotated[UploadFile, File(description="a signed PDF")], rt: RuntimeDep
) -> VerificationOut:
    """Validate every signature of an uploaded PDF (trust, timestamps, later changes)."""
    with spooled([file], rt.settings) as uploads:
        report = adapters.verify_report(uploads[0].path, rt.settings)
        digest = sha256_file(uploads[0].path)
    return VerificationOut(
        verdict=report["verdict"],
        reason=report.get("reason"),
        signatures=report.get("signatures", []),
        sha256=digest,
    )


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
