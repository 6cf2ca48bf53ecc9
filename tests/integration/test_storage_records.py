"""Records on real PostgreSQL and on SQLite (every test runs on both via ``db_engine``)."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from core.domain import (
    DocumentKind,
    DocumentStatus,
    DossierStatus,
    Role,
    SignatureLevel,
    SignerRole,
)
from core.errors import Conflict, DuplicateDocument, NotFound
from storage import records
from storage.db import current_revision, head_revision
from storage.indicators import digitization_indicators

RECEIVED = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 10:00 in Hanoi


def _agency() -> str:
    # Each test gets its own agency so the shared database needs no cleaning.
    return f"T{secrets.token_hex(3)}.00.00.H00"


def _sha(n: int) -> str:
    return f"{n:064x}"


def test_migrations_reach_head(db_engine: Engine) -> None:
    # One linear chain: a second head would mean two changes forked the schema.
    assert current_revision(db_engine) == head_revision() >= "0001"


def test_dossier_codes_follow_national_format_and_day_sequence(db_session: Session) -> None:
    agency = _agency()
    first, secret = records.create_dossier(
        db_session,
        agency_code=agency,
        procedure_code="1.001234",
        applicant_name="Trần Thị Đào",
        applicant_id_number="001190001234",
        applicant_phone="0912345678",
        received_at=RECEIVED,
    )
    second, _ = records.create_dossier(
        db_session,
        agency_code=agency,
        procedure_code="1.001234",
        applicant_name="Lê Văn B",
        received_at=RECEIVED,
    )
    assert first.code == f"{agency}-261123-0001"
    assert second.code == f"{agency}-261123-0002"
    assert first.status is DossierStatus.RECEIVED
    assert secret not in first.access_secret_hash
    assert records.verify_access_secret(first, secret)
    assert not records.verify_access_secret(first, secret + "x")
    assert records.get_dossier(db_session, first.code).applicant_name == "Trần Thị Đào"
    with pytest.raises(NotFound):
        records.get_dossier(db_session, f"{agency}-261123-0099")


def _dossier_with_document(
    session: Session, agency: str
) -> tuple[records.Dossier, records.Document]:
    dossier, _ = records.create_dossier(
        session, agency_code=agency, procedure_code="2.000001", applicant_name="Đặng Văn Đức"
    )
    document = records.add_document(
        session,
        dossier,
        kind=DocumentKind.SUBMITTED,
        type_name="Giấy khai sinh",
        number_notation="123/KS",
        issue_date=date(1990, 1, 2),
        issuing_agency="UBND phường Đống Đa",
        retention_period="Vĩnh viễn",
    )
    return dossier, document


def test_documents_get_ordinals_and_vietnamese_fields_round_trip(db_session: Session) -> None:
    dossier, first = _dossier_with_document(db_session, _agency())
    second = records.add_document(
        db_session, dossier, kind=DocumentKind.RESULT, type_name="Quyết định"
    )
    assert (first.ordinal, second.ordinal) == (1, 2)
    db_session.expire_all()
    again = records.get_document(db_session, dossier.code, 1)
    assert again.issuing_agency == "UBND phường Đống Đa"
    assert again.retention_period == "Vĩnh viễn"
    assert again.kind is DocumentKind.SUBMITTED and again.status is DocumentStatus.QUEUED
    assert [d.ordinal for d in records.documents_of(db_session, dossier)] == [1, 2]


def test_same_bytes_twice_in_a_dossier_is_reported_as_duplicate(db_session: Session) -> None:
    dossier, document = _dossier_with_document(db_session, _agency())
    original = records.add_original(
        db_session,
        document,
        upload_name="Giấy khai sinh.jpg",
        object_key=f"{dossier.code}/originals/Giay_khai_sinh.jpg",
        sha256=_sha(1),
        size=10,
        content_type="image/jpeg",
    )
    # A retried request for the same document is not a duplicate.
    assert (
        records.add_original(
            db_session,
            document,
            upload_name="Giấy khai sinh.jpg",
            object_key=original.object_key,
            sha256=_sha(1),
            size=10,
            content_type="image/jpeg",
        ).id
        == original.id
    )
    other = records.add_document(db_session, dossier, kind=DocumentKind.SUBMITTED, type_name="CCCD")
    assert records.find_duplicate(db_session, dossier, _sha(1)) is not None
    with pytest.raises(DuplicateDocument, match="document 01"):
        records.add_original(
            db_session,
            other,
            upload_name="copy.jpg",
            object_key=f"{dossier.code}/originals/copy.jpg",
            sha256=_sha(1),
            size=10,
            content_type="image/jpeg",
        )
    # The same bytes in another dossier are fine (and count as reusable once digitized).
    dossier2, document2 = _dossier_with_document(db_session, _agency())
    records.add_original(
        db_session,
        document2,
        upload_name="x.jpg",
        object_key=f"{dossier2.code}/originals/x.jpg",
        sha256=_sha(1),
        size=10,
        content_type="image/jpeg",
    )
    assert records.original_keys(db_session, dossier) == {original.object_key}


def test_progress_digitization_and_failure_are_recorded(db_session: Session) -> None:
    dossier, document = _dossier_with_document(db_session, _agency())
    records.record_progress(db_session, document, 1, page_count=3)
    assert (document.status, document.pages_done, document.page_count) == (
        DocumentStatus.PROCESSING,
        1,
        3,
    )
    records.mark_failed(db_session, document, error_code="ocr-failed", error_detail="trang 2")
    assert document.status is DocumentStatus.FAILED and document.error_code == "ocr-failed"
    records.mark_digitized(
        db_session,
        document,
        object_key=f"{dossier.code}/{dossier.code}.01.pdf",
        sha256=_sha(2),
        page_count=3,
        ocr_text="CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    )
    again = records.get_document(db_session, dossier.code, 1)
    assert again.status is DocumentStatus.DIGITIZED and again.error_code is None
    assert document.ocr_text_folded == "cong hoa xa hoi chu nghia viet nam"


def test_signatures_are_idempotent_per_role_and_hash(db_session: Session) -> None:
    dossier, document = _dossier_with_document(db_session, _agency())
    kwargs = {
        "level": SignatureLevel.B_LTA,
        "role": SignerRole.AGENCY,
        "signer_subject": "CN=UBND xã Thử Nghiệm",
        "signed_at": RECEIVED,
        "object_key": f"{dossier.code}/{dossier.code}.01.pdf",
        "sha256": _sha(3),
    }
    first = records.add_signature(db_session, document, **kwargs)  # type: ignore[arg-type]
    again = records.add_signature(db_session, document, **kwargs)  # type: ignore[arg-type]
    assert first.id == again.id
    assert len(document.signatures) == 1
    assert document.status is DocumentStatus.SIGNED and document.signed_sha256 == _sha(3)
    db_session.expire_all()
    assert records.get_document(db_session, dossier.code, 1).signatures[0].signed_at == RECEIVED


def test_search_matches_exact_and_accent_insensitive(db_session: Session) -> None:
    agency = _agency()
    dossier, document = _dossier_with_document(db_session, agency)
    records.mark_digitized(
        db_session,
        document,
        object_key="k",
        sha256=_sha(4),
        page_count=1,
        ocr_text="Họ và tên: Đặng Văn Đức. Nơi sinh: Đà Nẵng",
    )
    records.create_dossier(
        db_session, agency_code=agency, procedure_code="9.9", applicant_name="Nguyễn Văn An"
    )

    def codes(q: str, **kw: object) -> list[str]:
        found = records.search_dossiers(db_session, q=q, agency_code=agency, **kw)  # type: ignore[arg-type]
        return [d.code for d in found]

    assert codes("Đặng Văn Đức") == [dossier.code]
    assert codes("dang van duc") == [dossier.code]
    assert codes("DA NANG") == [dossier.code]  # from the OCR text
    assert codes("Đà Nẵng") == [dossier.code]
    assert codes("giay khai sinh") == [dossier.code]  # document type
    assert codes(dossier.code) == [dossier.code]
    assert codes("nguyen") != [] and dossier.code not in codes("nguyen")
    assert codes("100%_") == []  # LIKE wildcards are literal
    assert codes("dang", status=DossierStatus.COMPLETED) == []
    records.set_dossier_status(db_session, dossier, DossierStatus.COMPLETED)
    assert codes("dang", status=DossierStatus.COMPLETED) == [dossier.code]
    assert records.count_dossiers(db_session, q="van", agency_code=agency) == 2
    assert records.count_dossiers(db_session, agency_code=agency) == 2


def test_users_are_unique_by_username(db_session: Session) -> None:
    name = f"canbo_{secrets.token_hex(3)}"
    user = records.create_user(
        db_session, username=name, password_hash="$argon2id$x", role=Role.SIGNER
    )
    assert user.active and user.created_at.tzinfo is not None
    with pytest.raises(Conflict):
        records.create_user(db_session, username=name, password_hash="y", role=Role.ADMIN)
    found = records.get_user(db_session, name)
    assert found is not None and found.role is Role.SIGNER
    records.update_user(db_session, found, role=Role.ADMIN, active=False)
    again = records.get_user(db_session, name)
    assert again is not None and again.role is Role.ADMIN and not again.active
    assert again.password_hash == "$argon2id$x"


def test_766_indicators_per_agency_and_period(db_session: Session) -> None:
    agency = _agency()
    day = date(2026, 11, 23)
    full, doc = _dossier_with_document(db_session, agency)
    for dossier in [full]:
        dossier.received_on = day
    records.mark_digitized(
        db_session, doc, object_key="k", sha256=_sha(5), page_count=1, ocr_text=""
    )
    result = records.add_document(db_session, full, kind=DocumentKind.RESULT, type_name="Giấy phép")
    records.add_signature(
        db_session,
        result,
        level=SignatureLevel.B_LT,
        role=SignerRole.AGENCY,
        signer_subject="CN=x",
        signed_at=RECEIVED,
        object_key="k2",
        sha256=_sha(6),
    )
    partial, _ = _dossier_with_document(db_session, agency)  # submitted doc not digitized yet
    partial.received_on = day
    reusing, _ = _dossier_with_document(db_session, agency)
    reusing.received_on = day
    records.add_document(
        db_session, reusing, kind=DocumentKind.SUBMITTED, type_name="CCCD", reused_from=doc
    )
    late, _ = _dossier_with_document(db_session, agency)
    late.received_on = date(2026, 12, 1)  # outside the period
    db_session.flush()

    counts = digitization_indicators(
        db_session, agency_code=agency, start=date(2026, 11, 1), end=date(2026, 11, 30)
    )
    assert counts.dossiers_received == 3
    assert counts.dossiers_digitized_at_reception == 1
    assert counts.results_issued == 1
    assert counts.results_digitized_signed == 1
    assert counts.documents_reused == 1
    assert counts.digitized_at_reception_rate == pytest.approx(1 / 3, abs=1e-3)
    assert counts.as_dict()["start"] == "2026-11-01"


def test_models_match_the_migrations(db_engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from storage.models import Base

    with db_engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    assert diff == []
