"""The stage lifecycle of a document: which stage comes next, retries, documents left stuck.

Stages and statuses of a document (tài liệu):

- ``submitted`` (bản sao điện tử): queued → processing → digitized → signed (officer).
- ``result`` (kết quả): queued → processing → digitized; then ``sign`` (agency) → signed.
"""

from __future__ import annotations

from sqlalchemy import select

from core.domain import AuditAction, DocumentKind, DocumentStatus, SignerRole, Stage, audit_action
from core.errors import Conflict
from pipeline.context import Runtime, get_document
from storage import audit
from storage.models import Document

#: Stage names, as used by the worker tasks and ``retry``.
DIGITIZE, SIGN = Stage.DIGITIZE, Stage.SIGN


def next_stage(document: Document) -> tuple[Stage, SignerRole | None]:
    """The stage a document needs next: digitize, or sign by the officer or the agency."""
    if document.digitized_key is None:
        return DIGITIZE, None
    roles = {s.role for s in document.signatures}
    if document.kind == DocumentKind.SUBMITTED and SignerRole.OFFICER not in roles:
        return SIGN, SignerRole.OFFICER
    return SIGN, SignerRole.AGENCY


def follow_on(rt: Runtime, document_id: int) -> tuple[SignerRole, int] | None:
    """After digitizing: the signature that follows on its own, with the page count, if any.

    A copy digitized at reception is signed by the scanning officer right away (Circular
    01/2023/TT-VPCP Art. 8: the electronic copy carries the digitizing officer's signature); a
    result waits for a signer to ask for the agency's signature.
    """
    with rt.sessions() as session:
        document = get_document(session, document_id)
        if document.kind != DocumentKind.SUBMITTED or document.digitized_key is None:
            return None
        if any(s.role == SignerRole.OFFICER for s in document.signatures):
            return None
        return SignerRole.OFFICER, document.page_count


def retry_stage(rt: Runtime, document_id: int, *, actor: str) -> tuple[Stage, SignerRole | None]:
    """Move a failed document back to ``queued``; returns the stage (and signer) to run again."""
    with rt.session() as session:
        document = get_document(session, document_id)
        if document.status != DocumentStatus.FAILED:
            raise Conflict(
                f"document {document_id} has not failed ({document.status})",
                detail_vi="Chỉ có thể thử lại tài liệu bị lỗi",
            )
        stage, role = next_stage(document)
        document.status = DocumentStatus.QUEUED
        audit.append(
            session,
            actor=actor,
            action=audit_action(AuditAction.DOCUMENT_RETRY, stage),
            subject=str(document.id),
        )
    return stage, role


def documents_stuck(rt: Runtime) -> list[tuple[int, Stage, SignerRole | None, int]]:
    """Documents left queued/processing: (id, stage, signer, pages), to queue again when the
    only worker of a deployment restarts."""
    with rt.sessions() as session:
        rows = session.scalars(
            select(Document).where(
                Document.status.in_([DocumentStatus.QUEUED, DocumentStatus.PROCESSING])
            )
        )
        return [(d.id, *next_stage(d), d.page_count) for d in rows]


__all__ = ["DIGITIZE", "SIGN", "documents_stuck", "follow_on", "next_stage", "retry_stage"]
