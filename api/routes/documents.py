"""Documents: status with per-page progress, agency signature, retry, staff download."""

from __future__ import annotations

from fastapi import APIRouter, status
from fastapi.responses import RedirectResponse

import pipeline
from api import reads
from api.deps import AnyUser, DocumentId, RuntimeDep, SignerUser
from api.schemas import Accepted, DocumentOut, SignRequestBody
from core.domain import BucketRole, SignerRole
from core.errors import NotFound
from workers import tasks

router = APIRouter(prefix="/documents", tags=["documents"])


@router.get("/{document_id}")
def get_document(document_id: DocumentId, rt: RuntimeDep, _user: AnyUser) -> DocumentOut:
    """Status (queued, processing, digitized, signed, failed), progress and error detail."""
    return reads.document_status(rt, document_id)


@router.post("/{document_id}/sign", status_code=status.HTTP_202_ACCEPTED)
def sign_document(
    document_id: DocumentId, body: SignRequestBody, rt: RuntimeDep, user: SignerUser
) -> Accepted:
    """Have the agency sign a digitized document at ``level`` (in the background)."""
    document = pipeline.request_signature(rt, document_id, actor=user.username)
    tasks.schedule_sign(document.id, SignerRole.AGENCY, body.level, document.page_count)
    return Accepted(
        document_id=document.id,
        status=document.status,
        status_url=f"/api/v1/documents/{document.id}",
    )


@router.post("/{document_id}/retry", status_code=status.HTTP_202_ACCEPTED)
def retry_document(document_id: DocumentId, rt: RuntimeDep, user: AnyUser) -> Accepted:
    """Run a failed document's failed stage again."""
    stage, role = pipeline.retry_stage(rt, document_id, actor=user.username)
    with rt.sessions() as session:
        document = pipeline.get_document(session, document_id)
        pages, current = document.page_count, document.status
    level = rt.settings.default_signature_level
    tasks.schedule_stage(document_id, stage, role, level, pages)
    return Accepted(
        document_id=document_id, status=current, status_url=f"/api/v1/documents/{document_id}"
    )


@router.get("/{document_id}/download", status_code=status.HTTP_307_TEMPORARY_REDIRECT)
def download_document(document_id: DocumentId, rt: RuntimeDep, _user: AnyUser) -> RedirectResponse:
    """The document's latest PDF (signed if it is), via a short-lived presigned URL of the
    version recorded for it (its stored metadata checked against the recorded SHA-256)."""
    with rt.sessions() as session:
        document = pipeline.get_document(session, document_id)
        if document.signed_key and document.signed_sha256:
            bucket, key = rt.bucket(BucketRole.RESULTS), document.signed_key
            sha, version = document.signed_sha256, document.signed_version_id
        elif document.digitized_key and document.digitized_sha256:
            bucket, key = rt.bucket(BucketRole.DOCUMENTS), document.digitized_key
            sha, version = document.digitized_sha256, document.digitized_version_id
        else:
            raise NotFound(f"document {document_id} has no PDF yet", detail_vi="Chưa có tệp PDF")
    rt.objects.check_version(bucket, key, sha, version_id=version)
    url = rt.objects.presigned_get(bucket, key, filename=key.rsplit("/", 1)[-1], version_id=version)
    return RedirectResponse(
        url, status_code=status.HTTP_307_TEMPORARY_REDIRECT, headers={"Cache-Control": "no-store"}
    )
