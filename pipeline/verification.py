"""What the verification link printed in a signed PDF's QR code resolves to.

The link names a document by its *verification reference* (``Settings.verify_url``). The
stored record it opens is the one a verifier needs: dossier code, document name, status,
the signed file's SHA-256 and its signatures.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.errors import NotFound
from pipeline.context import get_document
from storage.models import Document


def reference_of(document: Document) -> str:
    """The reference that names ``document`` in its verification link."""
    return str(document.id)


def find_by_reference(session: Session, reference: str) -> Document:
    """The document a verification link names; :class:`NotFound` for anything else."""
    if not reference.isdigit() or len(reference) > 12:
        raise NotFound("no such document", detail_vi="Không tìm thấy tài liệu")
    return get_document(session, int(reference))


__all__ = ["find_by_reference", "reference_of"]
