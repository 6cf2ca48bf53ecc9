"""Turn records into response bodies, and uploaded files into pipeline inputs."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi import UploadFile

from api.schemas import DocumentOut, DossierOut, PageOut, ProblemBrief, SignatureOut
from core.errors import TooLarge
from core.settings import Settings
from pipeline import Upload
from storage.keys import safe_name
from storage.models import Document, Dossier
from storage.pages import decode as decode_pages

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def document_out(document: Document) -> DocumentOut:
    """The status body of an ORM document (dossier and signatures loaded)."""
    signatures = [SignatureOut.model_validate(s) for s in document.signatures]
    return document_body(document, dossier_code=document.dossier.code, signatures=signatures)


def document_body(source: Any, *, dossier_code: str, signatures: list[SignatureOut]) -> DocumentOut:
    """The status body from anything with a document's columns as attributes (ORM or row)."""
    error = (
        ProblemBrief(code=source.error_code, detail=source.error_detail)
        if source.error_code
        else None
    )
    return DocumentOut(
        id=source.id,
        dossier_code=dossier_code,
        ordinal=source.ordinal,
        kind=source.kind,
        type_name=source.type_name,
        summary=source.summary,
        status=source.status,
        page_count=source.page_count,
        pages_done=source.pages_done,
        error=error,
        digitized_sha256=source.digitized_sha256,
        signed_sha256=source.signed_sha256,
        signatures=signatures,
        created_at=source.created_at,
        updated_at=source.updated_at,
        verification_ref=getattr(source, "verification_token", None),
        pages=[
            PageOut.model_validate(page)
            for page in decode_pages(getattr(source, "page_report", None))
        ],
        pages_to_rescan=getattr(source, "pages_to_rescan", 0) or 0,
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
    """Copy uploads to a private work directory (removed afterwards) as pipeline inputs.

    The size limit counts all files of the request together (one document), so many small
    files cannot add up to more than one large one may be.
    """
    with tempfile.TemporaryDirectory(prefix="sohoa-upload-", dir=settings.work_dir()) as tmp:
        uploads: list[Upload] = []
        total = 0
        for index, upload in enumerate(files):
            # Control characters (NUL above all) have no place in a stored file name.
            name = _CONTROL.sub("", upload.filename or "")[:255] or f"upload-{index + 1}"
            target = Path(tmp) / f"{index:03d}-{safe_name(name)}"
            upload.file.seek(0)
            with target.open("wb") as out:
                shutil.copyfileobj(upload.file, out, 1024 * 1024)
            total += target.stat().st_size
            if total > settings.max_upload_bytes:
                raise TooLarge(
                    f"the files of this document are larger than {settings.max_upload_bytes}"
                    " bytes together",
                    detail_vi="Các tệp của tài liệu vượt quá dung lượng cho phép",
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
