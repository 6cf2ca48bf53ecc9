"""Turn records into response bodies, and uploaded files into pipeline inputs."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import UploadFile

from api.schemas import DocumentOut, DossierOut, ProblemBrief, SignatureOut
from core.errors import TooLarge
from core.pipeline import Upload
from core.settings import Settings
from storage.keys import safe_name
from storage.models import Document, Dossier

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def document_out(document: Document) -> DocumentOut:
    error = (
        ProblemBrief(code=document.error_code, detail=document.error_detail)
        if document.error_code
        else None
    )
    return DocumentOut(
        id=document.id,
        dossier_code=document.dossier.code,
        ordinal=document.ordinal,
        kind=document.kind,
        type_name=document.type_name,
        summary=document.summary,
        status=document.status,
        page_count=document.page_count,
        pages_done=document.pages_done,
        error=error,
        digitized_sha256=document.digitized_sha256,
        signed_sha256=document.signed_sha256,
        signatures=[SignatureOut.model_validate(s) for s in document.signatures],
        created_at=document.created_at,
        updated_at=document.updated_at,
    )


def dossier_out(dossier: Dossier) -> DossierOut:
    return DossierOut(
        code=dossier.code,
        procedure_code=dossier.procedure_code,
        applicant_name=dossier.applicant_name,
        status=dossier.status,
        created_at=dossier.created_at,
        documents=[document_out(d) for d in dossier.documents],
    )


@contextmanager
def spooled(files: list[UploadFile], settings: Settings) -> Iterator[list[Upload]]:
    """Copy uploads to a private work directory (removed afterwards) as pipeline inputs."""
    work = settings.resolved_data_dir() / "work"
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sohoa-upload-", dir=work) as tmp:
        uploads: list[Upload] = []
        for index, upload in enumerate(files):
            # Control characters (NUL above all) have no place in a stored file name.
            name = _CONTROL.sub("", upload.filename or "")[:255] or f"upload-{index + 1}"
            target = Path(tmp) / f"{index:03d}-{safe_name(name)}"
            upload.file.seek(0)
            with target.open("wb") as out:
                shutil.copyfileobj(upload.file, out, 1024 * 1024)
            if target.stat().st_size > settings.max_upload_bytes:
                raise TooLarge(
                    f"{name} is larger than {settings.max_upload_bytes} bytes",
                    detail_vi="Tệp vượt quá dung lượng cho phép",
                )
            uploads.append(
                Upload(
                    name=name,
                    path=target,
                    content_type=upload.content_type or "application/octet-stream",
                )
            )
        yield uploads


__all__ = ["document_out", "dossier_out", "spooled"]
