"""Citizens (no account): a dossier code plus its access secret, rate limited.

A wrong secret answers 404 exactly like an unknown code, so the API never reveals whether a
dossier exists. Only signed documents are shown and downloadable.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import defer, selectinload
from starlette.background import BackgroundTasks

from api import reads
from api.auditbuffer import DownloadAudit
from api.deps import DocumentId, DossierCode, PublicLimited, RuntimeDep, SessionDep
from api.schemas import PublicDocument, PublicDossier
from core.domain import BucketRole, DocumentStatus
from core.errors import IntegrityError, NotFound
from pipeline.context import Runtime
from storage import audit, records
from storage.models import Document, Dossier

router = APIRouter(prefix="/public", tags=["public"], dependencies=[PublicLimited])

SecretHeader = Annotated[str, Header(alias="X-Access-Secret", min_length=1, max_length=200)]


def _not_found() -> NotFound:
    return NotFound("No dossier with this code and secret.", detail_vi="Không tìm thấy hồ sơ.")


def _dossier(session: SessionDep, code: str, secret: str) -> Dossier:
    # The documents without their OCR text (megabytes each, and never shown here).
    dossier = session.scalars(
        select(Dossier)
        .where(Dossier.code == code)
        .options(
            selectinload(Dossier.documents).options(
                defer(Document.ocr_text),
                defer(Document.ocr_text_folded),
                defer(Document.metadata_folded),
            )
        )
    ).first()
    if dossier is None or not records.verify_access_secret(dossier, secret):
        raise _not_found()
    return dossier


@router.get("/dossiers/{code}")
def public_dossier(code: DossierCode, secret: SecretHeader, session: SessionDep) -> PublicDossier:
    """The dossier's status and its signed documents."""
    dossier = _dossier(session, code, secret)
    docs = [
        PublicDocument(
            id=d.id,
            kind=d.kind,
            type_name=d.type_name,
            status=d.status,
            sha256=d.signed_sha256,
            download_url=f"/api/v1/public/documents/{d.id}/download"
            if d.status == DocumentStatus.SIGNED
            else None,
        )
        for d in dossier.documents
    ]
    return PublicDossier(
        code=dossier.code,
        procedure_code=dossier.procedure_code,
        status=dossier.status,
        created_at=dossier.created_at,
        documents=docs,
    )


@router.get(
    "/documents/{document_id}/download",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}},
        307: {"description": "presigned URL"},
        500: {"description": "integrity-error: the stored file is missing or altered"},
    },
)
def public_download(
    document_id: DocumentId,
    secret: SecretHeader,
    request: Request,
    rt: RuntimeDep,
    redirect: Annotated[bool, Query(description="answer with a presigned S3 URL")] = False,
) -> Response:
    """The signed PDF, checked against its recorded SHA-256 before the first byte is sent
    (from memory, or from a verified temporary copy when large), or a presigned redirect to
    the recorded version after its metadata was checked."""
    found = reads.citizen_download(rt, document_id, secret)
    if found is None:
        raise _not_found()
    bucket, key, sha = rt.bucket(BucketRole.RESULTS), found.key, found.sha256
    filename = key.rsplit("/", 1)[-1]
    # Audited once the response is out (a failed presign or stream is no download), in batches
    # off the request path (api.auditbuffer): appending to the hash chain takes its head lock,
    # and citizens should not queue behind one another for it.
    recorder: DownloadAudit | None = getattr(request.app.state, "download_audit", None)
    tasks = BackgroundTasks()
    if recorder is not None:
        tasks.add_task(recorder.queue, key, sha)
    else:
        tasks.add_task(_audit_download, rt, key, sha)
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    try:
        if redirect and found.version_id is not None:
            # A version's bytes never change and the lock keeps it: checking its recorded
            # hash in the metadata is checking what the URL serves.
            rt.objects.check_version(bucket, key, sha, version_id=found.version_id)
            url = rt.objects.presigned_get(
                bucket, key, filename=filename, version_id=found.version_id
            )
            return RedirectResponse(url, 307, headers=headers, background=tasks)
        content = rt.objects.fetch_verified(
            bucket,
            key,
            sha,
            version_id=found.version_id,
            spool_dir=rt.settings.work_dir(),
            memory_limit=rt.settings.verified_download_memory_bytes,
        )
    except IntegrityError:
        # Logged as an integrity alert by the store; the citizen gets no byte of it.
        raise IntegrityError(
            "The stored file failed its integrity check; the office has been alerted.",
            detail_vi="Tệp lưu trữ không vượt qua kiểm tra toàn vẹn; cơ quan đã được thông báo.",
        ) from None
    headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    if isinstance(content, bytes):
        return Response(content, media_type="application/pdf", headers=headers, background=tasks)
    tasks.add_task(content.unlink, missing_ok=True)
    return FileResponse(content, media_type="application/pdf", headers=headers, background=tasks)


def _audit_download(rt: Runtime, key: str, sha: str) -> None:
    with rt.session() as session:
        audit.append(
            session, actor="citizen", action="document.downloaded", subject=key, object_sha256=sha
        )
