"""The agency and procedure registers with dossier codes, on PostgreSQL and SQLite."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from core.errors import ConfigurationError, Conflict, InputError, NotFound
from storage import agencies, records
from storage.codes import CENTRALISED, GENERAL, parse_code
from storage.models import Dossier

BEFORE_MERGER = datetime(2025, 6, 30, 3, 0, tzinfo=UTC)  # 10:00 in Hanoi, 30 June 2025
AFTER_MERGER = datetime(2025, 7, 1, 3, 0, tzinfo=UTC)


def _code(prefix: str = "000.00") -> str:
    # Each test its own codes: the shared database needs no cleaning (sessions roll back).
    return f"{prefix}.{secrets.token_hex(2).upper()}.H{secrets.randbelow(90) + 10}"


def _dossier(
    session: Session, agency_code: str, when: datetime, procedure: str = "1.0001"
) -> Dossier:
    dossier, _ = records.create_dossier(
        session,
        agency_code=agency_code,
        agency_name="Tên theo cấu hình",
        procedure_code=procedure,
        applicant_name="Nguyễn Văn A",
        received_at=when,
    )
    return dossier


def test_dossier_records_the_code_valid_on_its_receipt_date(db_session: Session) -> None:
    old, new = _code(), _code()
    agencies.add_agency(
        db_session, code=old, name="UBND tỉnh Bình Dương", valid_from=date(2020, 1, 1)
    )
    agencies.add_agency(
        db_session, code=new, name="UBND Thành phố Hồ Chí Minh", valid_from=date(2025, 7, 1)
    )
    agencies.retire_agency(db_session, old, last_day=date(2025, 6, 30), successor_code=new)

    # The installation's setting still names the old code: the register moves it forward.
    before = _dossier(db_session, old, BEFORE_MERGER)
    after = _dossier(db_session, old, AFTER_MERGER)
    assert (before.agency_code, before.agency_name) == (old, "UBND tỉnh Bình Dương")
    assert before.code == f"{old}-250630-0001"
    assert (after.agency_code, after.agency_name) == (new, "UBND Thành phố Hồ Chí Minh")
    assert after.code == f"{new}-250701-0001"
    assert after.code_form == GENERAL

    # Set to the new code, a back-dated dossier still gets the old one.
    late_entry = _dossier(db_session, new, BEFORE_MERGER)
    assert late_entry.agency_code == old and late_entry.code == f"{old}-250630-0002"

    # Both old and new codes still resolve to their dossiers.
    for dossier in (before, after, late_entry):
        assert records.get_dossier(db_session, dossier.code) is dossier
        assert parse_code(dossier.code).agency_code == dossier.agency_code


def test_unregistered_setting_code_is_used_as_it_is(db_session: Session) -> None:
    code = _code()
    dossier = _dossier(db_session, code, AFTER_MERGER)
    assert (dossier.agency_code, dossier.agency_name, dossier.code_form) == (
        code,
        "Tên theo cấu hình",
        GENERAL,
    )


def test_gap_in_the_register_is_refused_clearly(db_session: Session) -> None:
    code = _code()
    agencies.add_agency(db_session, code=code, name="UBND xã X", valid_from=date(2026, 1, 1))
    with pytest.raises(InputError, match="no registered code"):
        _dossier(db_session, code, AFTER_MERGER)


def test_centralised_procedure_gets_the_circular_04_2025_form(db_session: Session) -> None:
    procedure = f"2.{secrets.token_hex(3)}"
    resolving = (
        f"G{secrets.randbelow(90) + 10}.{secrets.randbelow(900) + 100}.{secrets.randbelow(90) + 10}"
    )
    agencies.add_procedure(
        db_session,
        code=procedure,
        name="Cấp hộ chiếu phổ thông",
        centralised=True,
        operator_code="07",
        resolving_agency_code=resolving,
    )
    receiving = _code()
    first = _dossier(db_session, receiving, datetime(2026, 3, 2, 3, tzinfo=UTC), procedure)
    second = _dossier(db_session, receiving, datetime(2026, 3, 2, 4, tzinfo=UTC), procedure)
    assert first.code == f"{resolving}-260302-070001"
    assert second.code == f"{resolving}-260302-070002"
    assert first.code_form == CENTRALISED and first.agency_code == receiving
    parsed = parse_code(first.code)
    assert (parsed.form, parsed.operator, parsed.sequence) == (CENTRALISED, "07", 1)
    # Before 25 January 2026 the same procedure's dossiers had the general form.
    early = _dossier(db_session, receiving, datetime(2026, 1, 24, 3, tzinfo=UTC), procedure)
    assert early.code_form == GENERAL and early.code == f"{receiving}-260124-0001"
    # The general sequence of the receiving agency is independent of the centralised one.
    plain = _dossier(db_session, receiving, datetime(2026, 3, 2, 5, tzinfo=UTC))
    assert plain.code == f"{receiving}-260302-0001"


def test_centralised_procedure_on_an_agency_code_that_cannot_fit(db_session: Session) -> None:
    procedure = f"2.{secrets.token_hex(3)}"
    agencies.add_procedure(
        db_session, code=procedure, name="Thủ tục", centralised=True, operator_code="01"
    )
    with pytest.raises(ConfigurationError):
        _dossier(db_session, _code(), datetime(2026, 3, 2, 3, tzinfo=UTC), procedure)


def test_register_refuses_bad_input(db_session: Session) -> None:
    code = _code()
    agencies.add_agency(db_session, code=code, name="UBND", valid_from=date(2020, 1, 1))
    with pytest.raises(Conflict):
        agencies.add_agency(db_session, code=code, name="UBND", valid_from=date(2020, 1, 1))
    with pytest.raises(InputError):
        agencies.add_agency(db_session, code="bad..code", name="X", valid_from=date(2020, 1, 1))
    with pytest.raises(NotFound):
        agencies.retire_agency(db_session, code, last_day=date(2025, 1, 1), successor_code="N.1")
    with pytest.raises(InputError):
        agencies.retire_agency(db_session, code, last_day=date(2019, 1, 1))
    with pytest.raises(InputError):
        agencies.add_procedure(db_session, code="p", name="p", centralised=True)
