"""The API's hot read paths: a document's status and a citizen download's authorization.

Clients poll these (reception desks and citizens refresh a status page; the benchmark runs 50 of
them at once), so each is one connection checkout and one plain column select instead of an ORM
session: no identity map, no relationship loading, never the large ``ocr_text`` columns a full
``Document`` row would drag along, and on PostgreSQL no transaction round trips around it.
Measured one request at a time this cut the API's CPU per status read from ~8 ms to ~2.7 ms and
per citizen download from ~14 ms to ~3 ms (bench/RESULTS.md has the loaded numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Engine, select

from api.schemas import DocumentOut, SignatureOut
from api.views import document_body
from core.errors import NotFound
from pipeline.context import Runtime
from storage.codes import access_secret_matches
from storage.models import Document, Dossier, Signature

_STATUS_COLUMNS = (
    Document.id,
    Dossier.code.label("dossier_code"),
    Document.ordinal,
    Document.kind,
    Document.type_name,
    Document.summary,
    Document.status,
    Document.page_count,
    Document.pages_done,
    Document.error_code,
    Document.error_detail,
    Document.digitized_sha256,
    Document.signed_sha256,
    Document.created_at,
    Document.updated_at,
    Document.verification_token,
    Document.page_report,
    Document.pages_to_rescan,
)
_SIGNATURE_COLUMNS = (
    Signature.level,
    Signature.role,
    Signature.signer_subject,
    Signature.signed_at,
    Signature.sha256,
)


def _reader(rt: Runtime) -> Engine:
    return _autocommit(rt.engine)


@lru_cache(maxsize=8)
def _autocommit(engine: Engine) -> Engine:
    """The runtime's engine (same pool) for single-statement reads.

    On a server database the reads run in autocommit mode: no ``BEGIN`` and ``ROLLBACK``
    round trips around the one ``SELECT``, each of which waited for the database's process to
    be scheduled on a busy machine. SQLite keeps its own transaction handling
    (``storage.db``), which this mode would unsettle.
    """
    if engine.dialect.name == "sqlite":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def document_status(rt: Runtime, document_id: int) -> DocumentOut:
    """What ``GET /documents/{id}`` shows; :class:`NotFound` for an unknown id."""
    # One statement: the document, its dossier's code and its signatures (outer join).
    with _reader(rt).connect() as conn:
        rows = conn.execute(
            select(*_STATUS_COLUMNS, *_SIGNATURE_COLUMNS)
            .join(Dossier, Dossier.id == Document.dossier_id)
            .outerjoin(Signature, Signature.document_id == Document.id)
            .where(Document.id == document_id)
            .order_by(Signature.id)
        ).all()
    if not rows:
        raise NotFound(f"document {document_id} not found", detail_vi="Không tìm thấy tài liệu")
    row = rows[0]
    signatures = [SignatureOut.model_validate(r) for r in rows if r.sha256 is not None]
    return document_body(row, dossier_code=row.dossier_code, signatures=signatures)


@dataclass(frozen=True)
class SignedObject:
    """Where a signed document's PDF is and the hash it must have."""

    key: str
    sha256: str
    version_id: str | None = None


def citizen_download(rt: Runtime, document_id: int, secret: str) -> SignedObject | None:
    """The signed PDF of ``document_id`` if ``secret`` opens its dossier, else None.

    Unknown document, unsigned document and wrong secret all give None, so that the caller
    answers the same 404 and never reveals which it was.
    """
    with _reader(rt).connect() as conn:
        row = conn.execute(
            select(
                Document.signed_key,
                Document.signed_sha256,
                Document.signed_version_id,
                Dossier.access_secret_hash,
            )
            .join(Dossier, Dossier.id == Document.dossier_id)
            .where(Document.id == document_id)
        ).first()
    if row is None or row.signed_key is None or row.signed_sha256 is None:
        return None
    if not access_secret_matches(row.access_secret_hash, secret):
        return None
    return SignedObject(
        key=row.signed_key, sha256=row.signed_sha256, version_id=row.signed_version_id
    )


__all__ = ["SignedObject", "citizen_download", "document_status"]
