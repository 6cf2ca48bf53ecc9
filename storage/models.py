"""SQLAlchemy 2 models of sohoa's records (re-exported by :mod:`storage.records`).

Tables (the Alembic migrations in ``storage/migrations`` create exactly these):

- ``users`` — :class:`User`: staff accounts of the API (username, argon2 hash, role, active).
- ``dossier_counters`` — :class:`DossierCounter`: the day's last sequence number per agency.
- ``dossiers`` — :class:`Dossier` (hồ sơ): code, procedure (mã TTHC), applicant, status, secret.
- ``documents`` — :class:`Document` (tài liệu): one paper of a dossier, submitted or result.
- ``original_files`` — :class:`OriginalFile`: each uploaded original (scan) of a document.
- ``signatures`` — :class:`Signature`: each PAdES signature applied to a document's PDF.
- ``agencies`` — :class:`Agency`: the agency register (ID code, validity, successor).
- ``procedures`` — :class:`Procedure`: procedures, and which are nationally centralised.
- ``audit_log`` / ``audit_head`` — :class:`AuditEntry` / :class:`AuditHead`: hash-chained log.

Timestamps are timezone-aware UTC. Enum columns store the ``core.domain`` values as plain
strings (no database enum types, so migrations stay identical on PostgreSQL and SQLite).
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from core.domain import (
    DocumentKind,
    DocumentStatus,
    DossierStatus,
    Role,
    SignatureLevel,
    SignerRole,
)

# Deterministic constraint names keep Alembic batch operations on SQLite working.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Now, timezone-aware UTC."""
    return datetime.now(tz=UTC)


def new_verification_token() -> str:
    """A random, unguessable reference for a document's verification link (32 characters)."""
    return secrets.token_urlsafe(24)


def _enum(enum_cls: Any) -> Enum:
    # Store the value ("submitted"), not the member name ("SUBMITTED"), as a VARCHAR.
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
    )


def _wide(length: int, sqlite_length: int) -> String:
    # Widened by migration 0004 on PostgreSQL only: SQLite ignores VARCHAR lengths, and
    # rebuilding a table other tables reference would trip their foreign keys.
    return String(length).with_variant(String(sqlite_length), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """``TIMESTAMP WITH TIME ZONE``; always returns aware UTC (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class User(Base):
    """A staff account of the API (cán bộ)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Bumped by a disable, role change or password reset: older tokens stop working.
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class DossierCounter(Base):
    """Last sequence number handed out per receiving agency and reception day."""

    __tablename__ = "dossier_counters"

    #: The code's prefix the sequence counts under: the agency code, plus ``#AA`` (operating
    #: agency) for the centralised form (64 wide since migration 0004).
    agency_code: Mapped[str] = mapped_column(_wide(64, 32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_sequence: Mapped[int] = mapped_column(Integer)


class Dossier(Base):
    """A dossier (hồ sơ) received for one administrative procedure (thủ tục hành chính)."""

    __tablename__ = "dossiers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(_wide(64, 48), unique=True)
    #: The agency ID code valid on the receipt date (migration 0004: 35 characters and more).
    agency_code: Mapped[str] = mapped_column(_wide(64, 32))
    # --- 2025 rules (migration 0004) ---
    #: The agency's name on the receipt date (from the register, or SOHOA_AGENCY_NAME).
    agency_name: Mapped[str | None] = mapped_column(String(255))
    #: Which dossier-code form ``code`` has: ``general`` or ``centralised`` (storage.codes).
    code_form: Mapped[str] = mapped_column(String(16), default="general", server_default="general")
    received_on: Mapped[date] = mapped_column(Date)
    sequence: Mapped[int] = mapped_column(Integer)
    procedure_code: Mapped[str] = mapped_column(String(64))
    # Personal data (dữ liệu cá nhân): never logged, never put in S3 metadata.
    applicant_name: Mapped[str] = mapped_column(String(255))
    applicant_name_folded: Mapped[str] = mapped_column(String(255))
    applicant_id_number: Mapped[str | None] = mapped_column(String(32))
    applicant_phone: Mapped[str | None] = mapped_column(String(32))
    # --- receipt (giấy tiếp nhận, migration 0003) ---
    procedure_name: Mapped[str | None] = mapped_column(String(255))
    applicant_email: Mapped[str | None] = mapped_column(String(255))
    #: Appointment date for returning the result (ngày hẹn trả kết quả).
    appointment_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[DossierStatus] = mapped_column(
        _enum(DossierStatus), default=DossierStatus.RECEIVED
    )
    access_secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    documents: Mapped[list[Document]] = relationship(
        back_populates="dossier", order_by="Document.ordinal", cascade="all, delete-orphan"
    )

    __table_args__ = (Index(None, "agency_code", "received_on"),)


class Document(Base):
    """One paper of a dossier: a ``submitted`` digitized copy or a ``result`` (kết quả)."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="RESTRICT"))
    ordinal: Mapped[int] = mapped_column(Integer)
    kind: Mapped[DocumentKind] = mapped_column(_enum(DocumentKind))
    type_name: Mapped[str] = mapped_column(String(255))  # loại văn bản / giấy tờ
    number_notation: Mapped[str | None] = mapped_column(String(128))  # số, ký hiệu
    issue_date: Mapped[date | None] = mapped_column(Date)
    issuing_agency: Mapped[str | None] = mapped_column(String(255))
    summary: Mapped[str | None] = mapped_column(Text)  # trích yếu
    language: Mapped[str] = mapped_column(String(16), default="vi")
    page_count: Mapped[int] = mapped_column(Integer, default=0)
    pages_done: Mapped[int] = mapped_column(Integer, default=0)
    retention_period: Mapped[str | None] = mapped_column(String(64))  # thời hạn bảo quản
    status: Mapped[DocumentStatus] = mapped_column(
        _enum(DocumentStatus), default=DocumentStatus.QUEUED
    )
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_detail: Mapped[str | None] = mapped_column(Text)
    digitized_key: Mapped[str | None] = mapped_column(String(512))
    digitized_sha256: Mapped[str | None] = mapped_column(String(64))
    signed_key: Mapped[str | None] = mapped_column(String(512))
    signed_sha256: Mapped[str | None] = mapped_column(String(64))
    ocr_text: Mapped[str | None] = mapped_column(Text)
    ocr_text_folded: Mapped[str | None] = mapped_column(Text)
    #: Folded type name, number, issuing agency and summary, for accent-insensitive search.
    metadata_folded: Mapped[str | None] = mapped_column(Text)
    #: Set when this document reuses an already digitized one (766 "reuse" indicator).
    reused_from_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    #: Paper pages counted by reception (số trang); the scans must match it (migration 0003).
    declared_pages: Mapped[int | None] = mapped_column(Integer)
    #: The unguessable reference of the QR verification link (never the sequential id).
    verification_token: Mapped[str | None] = mapped_column(
        String(64), unique=True, index=True, default=new_verification_token
    )
    #: S3 version ids the digitized and signed PDFs were stored as (reads fetch exactly these).
    digitized_version_id: Mapped[str | None] = mapped_column(String(128))
    signed_version_id: Mapped[str | None] = mapped_column(String(128))
    #: Per-page OCR report as JSON (storage.pages; migration 0005): confidence, estimated
    #: accuracy, needs_rescan and why, kept text layer or OCR'd.
    page_report: Mapped[str | None] = mapped_column(Text)
    #: Pages the OCR quality gate marked needs_rescan (the "pages to rescan" figure).
    pages_to_rescan: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    dossier: Mapped[Dossier] = relationship(back_populates="documents")
    originals: Mapped[list[OriginalFile]] = relationship(
        back_populates="document", order_by="OriginalFile.id", cascade="all, delete-orphan"
    )
    signatures: Mapped[list[Signature]] = relationship(
        back_populates="document", order_by="Signature.id", cascade="all, delete-orphan"
    )

    __table_args__ = (UniqueConstraint("dossier_id", "ordinal"),)


class OriginalFile(Base):
    """An uploaded original (bản gốc được quét) of a document, stored unchanged."""

    __tablename__ = "original_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="RESTRICT"), index=True
    )
    #: Denormalised so "same bytes twice in one dossier" is a database constraint.
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="RESTRICT"))
    upload_name: Mapped[str] = mapped_column(String(255))  # as uploaded, Vietnamese kept
    object_key: Mapped[str] = mapped_column(String(512))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The S3 version id the original was stored as.
    version_id: Mapped[str | None] = mapped_column(String(128))

    document: Mapped[Document] = relationship(back_populates="originals")

    __table_args__ = (UniqueConstraint("dossier_id", "sha256"),)


class Signature(Base):
    """A PAdES signature applied to a document's PDF (by the agency or the officer)."""

    __tablename__ = "signatures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="RESTRICT"))
    level: Mapped[SignatureLevel] = mapped_column(_enum(SignatureLevel))
    role: Mapped[SignerRole] = mapped_column(_enum(SignerRole))
    signer_subject: Mapped[str] = mapped_column(String(512))
    signed_at: Mapped[datetime] = mapped_column()
    object_key: Mapped[str] = mapped_column(String(512))
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    document: Mapped[Document] = relationship(back_populates="signatures")

    # A re-run of the signing stage finds its signature instead of adding a second one.
    __table_args__ = (UniqueConstraint("document_id", "role", "sha256"),)


class Agency(Base):
    """An agency of the register (cơ quan) with an electronic ID code valid for a period.

    Codes are re-issued (the 1 July 2025 province mergers): a retired code keeps its row, with
    ``valid_to`` and the ``successor_code`` that replaced it, so old dossiers still resolve.
    """

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # mã định danh điện tử
    name: Mapped[str] = mapped_column(String(255))
    valid_from: Mapped[date] = mapped_column(Date)
    #: Last day the code is valid (inclusive); ``None`` while in force.
    valid_to: Mapped[date | None] = mapped_column(Date)
    successor_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Procedure(Base):
    """An administrative procedure (thủ tục hành chính) and how its dossiers are numbered."""

    __tablename__ = "procedures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # mã TTHC
    name: Mapped[str] = mapped_column(String(255))
    #: Nationally centralised service: its dossiers get the Circular 04/2025 code form.
    centralised: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Two digits of the operating agency's code (the ``AA`` of the centralised form).
    operator_code: Mapped[str | None] = mapped_column(String(8))
    #: The resolving agency's ID code; ``None``: the receiving agency's code.
    resolving_agency_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """One entry of the append-only audit log (nhật ký), chained by SHA-256 to the previous."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(512))  # dossier code, object key…
    object_sha256: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    # Unique: two appenders can never both chain onto the same entry (no forks).
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """Single row (id 1) holding the chain's last hash and length; catches tail deletion."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_hash: Mapped[str] = mapped_column(String(64))
    length: Mapped[int] = mapped_column(BigInteger)


class WorkerHeartbeat(Base):
    """A running worker's last sign of life, written every few seconds (``/readyz``)."""

    __tablename__ = "worker_heartbeats"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    pid: Mapped[int] = mapped_column(Integer)
    beat_at: Mapped[datetime] = mapped_column()


class LoginAttempt(Base):
    """One login try (failed or not), for the per-user and per-address lockout."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index(None, "username", "created_at"), Index(None, "address", "created_at"))


__all__ = [
    "Agency",
    "AuditEntry",
    "AuditHead",
    "Base",
    "Document",
    "Dossier",
    "DossierCounter",
    "LoginAttempt",
    "OriginalFile",
    "Procedure",
    "Signature",
    "User",
    "WorkerHeartbeat",
    "utcnow",
]
