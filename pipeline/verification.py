"""What the verification link printed in a signed PDF's QR code resolves to.

The link names a document by its *verification reference* (``Settings.verify_url``): a random
token of the document (``documents.verification_token``, 32 URL-safe characters), never its
sequential id, so the links cannot be enumerated. The stored record it opens is what a
verifier needs and no more: document type, status, the signed file's SHA-256 and its
signatures (no dossier code, no applicant).
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.errors import NotFound
from storage.models import Document, new_verification_token

#: What a reference can look like (``secrets.token_urlsafe``); anything else is not looked up.
_REFERENCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def reference_of(document: Document) -> str:
    """The reference that names ``document`` in its verification link."""
    if not document.verification_token:
        # Rows are given one on insert and by migration 0002; this covers a row made otherwise.
        document.verification_token = new_verification_token()
    return document.verification_token


def find_by_reference(session: Session, reference: str) -> Document:
    """The document a verification link names; :class:`NotFound` for anything else."""
    if not _REFERENCE.match(reference):
        raise NotFound("no such document", detail_vi="Không tìm thấy tài liệu")
    document = session.scalars(
        select(Document)
        .where(Document.verification_token == reference)
        .options(selectinload(Document.signatures))
    ).first()
    if document is None:
        raise NotFound("no such document", detail_vi="Không tìm thấy tài liệu")
    return document


__all__ = ["find_by_reference", "reference_of"]
