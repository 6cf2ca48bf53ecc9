"""Repository functions over sohoa's records; the models are re-exported from here.

Every function takes an open :class:`~sqlalchemy.orm.Session`, flushes, and leaves commit or
rollback to the caller (one unit of work per API request or worker stage). Functions called by
workers are idempotent: re-running a stage finds what the first run wrote.

Models: :class:`User`, :class:`Dossier`, :class:`Document`, :class:`OriginalFile`,
:class:`Signature`, :class:`AuditEntry` (fields documented in :mod:`storage.models`).

Users: ``create_user``, ``get_user``, ``list_users``, ``update_user``.
Dossiers: ``create_dossier`` (returns the dossier and the citizen's plain access secret, shown
once), ``next_dossier_sequence``, ``get_dossier``, ``find_dossier``, ``set_dossier_status``,
``verify_access_secret``, ``search_dossiers``, ``count_dossiers``.
Documents: ``add_document``, ``get_document``, ``find_duplicate``, ``add_original``,
``original_keys``, ``record_progress``, ``mark_digitized``, ``mark_failed``, ``add_signature``.

Upload order for an original: compute its SHA-256, call :func:`find_duplicate` (refuse early),
put the object, then :func:`add_original` (which re-checks under a unique constraint).
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError as DBIntegrityError
from sqlalchemy.orm import Session

from core.domain import (
    BucketRole,
    DossierStatus,
    Role,
)
from core.errors import ConfigurationError, Conflict, NotFound
from storage.agencies import find_procedure, resolve_agency
from storage.codes import (
    CENTRALISED,
    DEFAULT_RULES,
    GENERAL,
    CodeRules,
    access_secret_matches,
    fold_accents,
    format_code,
    hash_access_secret,
    new_access_secret,
    reception_day,
)
from storage.documents import (
    add_document,
    add_original,
    add_signature,
    documents_of,
    duplicate_error,
    find_duplicate,
    get_document,
    mark_digitized,
    mark_failed,
    original_keys,
    record_progress,
)
from storage.models import (
    AuditEntry,
    Document,
    Dossier,
    DossierCounter,
    OriginalFile,
    Signature,
    User,
)

# --- users ---------------------------------------------------------------------------------


def create_user(
    session: Session, *, username: str, password_hash: str, role: Role, active: bool = True
) -> User:
    """Add a staff account; :class:`Conflict` if the username is taken.

    Its token version starts at a random value: a name deleted and created again (SQLite may
    even hand out the same id) never matches a token issued to the old account.
    """
    user = User(
        username=username,
        password_hash=password_hash,
        role=role,
        active=active,
        token_version=secrets.randbelow(1 << 30),
    )
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except DBIntegrityError as exc:
        raise Conflict(f"user {username!r} already exists") from exc
    return user


def get_user(session: Session, username: str) -> User | None:
    """The account with this username, or ``None``."""
    return session.scalars(select(User).where(User.username == username)).first()


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def update_user(
    session: Session,
    user: User,
    *,
    password_hash: str | None = None,
    role: Role | None = None,
    active: bool | None = None,
) -> User:
    """Change a staff account's password hash, role or active flag (``None``: unchanged)."""
    if password_hash is not None:
        user.password_hash = password_hash
    if role is not None:
        user.role = role
    if active is not None:
        user.active = active
    session.flush()
    return user


# --- object versions -----------------------------------------------------------------------


def record_object_version(document: Document, bucket: BucketRole, version_id: str | None) -> None:
    """Remember the S3 version the document's PDF in ``bucket`` was stored as."""
    if bucket == BucketRole.DOCUMENTS:
        document.digitized_version_id = version_id
    elif bucket == BucketRole.RESULTS:
        document.signed_version_id = version_id


# --- dossiers ------------------------------------------------------------------------------


def next_dossier_sequence(session: Session, agency_code: str, day: date) -> int:
    """Take the next sequence number of ``agency_code`` on ``day``, race-free.

    One atomic ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` on the counter row: PostgreSQL
    row-locks it until the caller's transaction ends, so concurrent receptions queue on the
    row instead of reading the same maximum; SQLite serialises writers anyway.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    upsert = insert(DossierCounter).values(agency_code=agency_code, day=day, last_sequence=1)
    stmt = upsert.on_conflict_do_update(
        index_elements=[DossierCounter.agency_code, DossierCounter.day],
        set_={"last_sequence": DossierCounter.last_sequence + 1},
    ).returning(DossierCounter.last_sequence)
    return int(session.execute(stmt).scalar_one())


def create_dossier(
    session: Session,
    *,
    agency_code: str,
    procedure_code: str,
    applicant_name: str,
    applicant_id_number: str | None = None,
    applicant_phone: str | None = None,
    received_at: datetime | None = None,
    agency_name: str | None = None,
    rules: CodeRules = DEFAULT_RULES,
) -> tuple[Dossier, str]:
    """Register a received dossier with a fresh national code.

    ``agency_code``/``agency_name`` name the receiving agency (the settings); the dossier
    records the register's code and name valid on the receipt date (:func:`resolve_agency`).
    A procedure marked centralised gets the Circular 04/2025 code form from its entry into
    force; every other dossier the general form (:mod:`storage.codes`).

    Returns:
        The dossier and its citizen access secret in plain text (only its hash is stored;
        print it on the receipt, it cannot be recovered later).

    Raises:
        InputError: the agency is registered but has no code valid on the receipt date.
        ConfigurationError: a centralised procedure's agency code does not fit the form.
    """
    day = reception_day(received_at)
    agency = resolve_agency(session, agency_code, agency_name or "", day)
    form, code_agency, operator = rules.form(GENERAL), agency.code, None
    procedure = find_procedure(session, procedure_code)
    if procedure is not None and procedure.centralised and rules.form(CENTRALISED).covers(day):
        form, operator = rules.form(CENTRALISED), procedure.operator_code
        code_agency = procedure.resolving_agency_code or agency.code
    # Each form and prefix numbers its own days: the centralised sequence counts per
    # resolving agency and operating agency.
    series = code_agency if operator is None else f"{code_agency}#{operator}"
    sequence = next_dossier_sequence(session, series, day)
    try:
        code = format_code(form, code_agency, day, sequence, operator)
    except ValueError as exc:
        raise ConfigurationError(
            f"procedure {procedure_code}: {exc}",
            detail_vi=f"Không tạo được mã hồ sơ dạng {form.name} cho thủ tục {procedure_code}",
        ) from exc
    secret = new_access_secret()
    dossier = Dossier(
        code=code,
        agency_code=agency.code,
        agency_name=agency.name or None,
        code_form=form.name,
        received_on=day,
        sequence=sequence,
        procedure_code=procedure_code,
        applicant_name=applicant_name,
        applicant_name_folded=fold_accents(applicant_name),
        applicant_id_number=applicant_id_number,
        applicant_phone=applicant_phone,
        status=DossierStatus.RECEIVED,
        access_secret_hash=hash_access_secret(secret),
    )
    session.add(dossier)
    session.flush()
    return dossier, secret


def find_dossier(session: Session, code: str) -> Dossier | None:
    return session.scalars(select(Dossier).where(Dossier.code == code)).first()


def get_dossier(session: Session, code: str) -> Dossier:
    """The dossier with this code; :class:`NotFound` otherwise."""
    dossier = find_dossier(session, code)
    if dossier is None:
        raise NotFound(f"dossier {code} not found", detail_vi=f"Không tìm thấy hồ sơ {code}")
    return dossier


def set_dossier_status(session: Session, dossier: Dossier, status: DossierStatus) -> None:
    dossier.status = status
    session.flush()


def verify_access_secret(dossier: Dossier, secret: str) -> bool:
    """Constant-time check of a citizen's secret against the dossier's stored hash."""
    return access_secret_matches(dossier.access_secret_hash, secret)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _dossier_filter(
    stmt: Select[Any], q: str | None, status: DossierStatus | None, agency_code: str | None
) -> Select[Any]:
    if q and q.strip():
        exact = _like(q.strip())
        folded = _like(fold_accents(q.strip()))
        doc_match = (
            select(Document.dossier_id)
            .where(
                or_(
                    Document.ocr_text_folded.like(folded, escape="\\"),
                    Document.metadata_folded.like(folded, escape="\\"),
                )
            )
            .scalar_subquery()
        )
        stmt = stmt.where(
            or_(
                Dossier.code.like(exact, escape="\\"),
                Dossier.procedure_code.like(exact, escape="\\"),
                Dossier.applicant_name.like(exact, escape="\\"),
                Dossier.applicant_name_folded.like(folded, escape="\\"),
                Dossier.applicant_id_number.like(exact, escape="\\"),
                Dossier.id.in_(doc_match),
            )
        )
    if status is not None:
        stmt = stmt.where(Dossier.status == status)
    if agency_code is not None:
        stmt = stmt.where(Dossier.agency_code == agency_code)
    return stmt


def search_dossiers(
    session: Session,
    *,
    q: str | None = None,
    status: DossierStatus | None = None,
    agency_code: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Dossier]:
    """Dossiers matching ``q``, newest first; accent-insensitive (``"dang"`` finds ``"Đặng"``).

    ``q`` is matched against the dossier code, procedure code, applicant name and ID number,
    and the documents' type name, number/notation, issuing agency, summary and OCR text (via
    their accent-folded copies).
    """
    stmt = _dossier_filter(select(Dossier), q, status, agency_code)
    stmt = stmt.order_by(Dossier.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(stmt))


def count_dossiers(
    session: Session,
    *,
    q: str | None = None,
    status: DossierStatus | None = None,
    agency_code: str | None = None,
) -> int:
    """How many dossiers :func:`search_dossiers` would find without a limit (pagination)."""
    stmt = _dossier_filter(select(func.count(Dossier.id)), q, status, agency_code)
    return int(session.scalar(stmt) or 0)


__all__ = [
    "AuditEntry",
    "Document",
    "Dossier",
    "OriginalFile",
    "Signature",
    "User",
    "add_document",
    "add_original",
    "add_signature",
    "count_dossiers",
    "create_dossier",
    "create_user",
    "documents_of",
    "duplicate_error",
    "find_dossier",
    "find_duplicate",
    "get_document",
    "get_dossier",
    "get_user",
    "list_users",
    "mark_digitized",
    "mark_failed",
    "next_dossier_sequence",
    "original_keys",
    "record_progress",
    "search_dossiers",
    "set_dossier_status",
    "update_user",
    "verify_access_secret",
]
