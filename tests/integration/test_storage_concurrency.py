"""Dossier codes and audit appends stay unique and gap-free under concurrent writers."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from storage import audit, records
from storage.codes import parse_dossier_code
from storage.db import session_factory
from storage.models import AuditEntry

WORKERS = 8
PER_WORKER = 12


def _create_many(engine: Engine, agency: str) -> list[str]:
    sessions = session_factory(engine)
    codes = []
    for _ in range(PER_WORKER):
        with sessions.begin() as session:
            dossier, _ = records.create_dossier(
                session,
                agency_code=agency,
                procedure_code="1.0",
                applicant_name="Phạm Thị Hồng",
                received_at=datetime(2026, 11, 23, 2, 0, tzinfo=UTC),
            )
            codes.append(dossier.code)
    return codes


def test_concurrent_dossier_code_generation_yields_no_duplicates(db_engine: Engine) -> None:
    agency = f"C{secrets.token_hex(3)}.00.00.H00"
    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(_create_many, [db_engine] * WORKERS, [agency] * WORKERS))
    codes = [code for chunk in results for code in chunk]
    assert len(codes) == len(set(codes)) == WORKERS * PER_WORKER
    sequences = sorted(parse_dossier_code(code)[2] for code in codes)
    assert sequences == list(range(1, WORKERS * PER_WORKER + 1))


def test_concurrent_audit_appends_form_one_unbroken_chain(fresh_engine: Engine) -> None:
    sessions = session_factory(fresh_engine)

    def append_many(worker: int) -> None:
        for i in range(10):
            with sessions.begin() as session:
                audit.append(session, actor=f"w{worker}", action="test.append", subject=str(i))

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(append_many, range(6)))
    with sessions() as session:
        report = audit.verify_chain(session)
        assert report.ok, report.reason
        assert report.entries == 60
        assert len(set(session.scalars(select(AuditEntry.prev_hash)))) == 60


def _create_in_process(url: str, agency: str) -> list[str]:
    from storage.db import make_engine

    engine = make_engine(url)
    try:
        return _create_many(engine, agency)
    finally:
        engine.dispose()


def test_dossier_codes_unique_across_processes_on_postgresql(pg_url: str) -> None:
    import multiprocessing

    agency = f"P{secrets.token_hex(3)}.00.00.H00"
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        results = pool.starmap(_create_in_process, [(pg_url, agency)] * 4)
    codes = [code for chunk in results for code in chunk]
    assert sorted(parse_dossier_code(c)[2] for c in codes) == list(range(1, 4 * PER_WORKER + 1))
