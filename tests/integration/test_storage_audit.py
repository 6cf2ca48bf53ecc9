"""The audit log is hash-chained: edits and deletions are caught, by code and by the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, update

from core.errors import IntegrityError
from storage import audit
from storage.db import session_factory
from storage.models import AuditEntry


def _fill(engine: Engine, n: int = 5) -> list[int]:
    with session_factory(engine).begin() as session:
        entries = [
            audit.append(
                session,
                actor="tiepnhan01",
                action="dossier.created",
                subject=f"000.00.00.H00-261123-{i:04d}",
                object_sha256=f"{i:064x}",
                detail="Tiếp nhận hồ sơ — Đặng Văn Đức",
            )
            for i in range(1, n + 1)
        ]
        return [e.id for e in entries]


def _verify(engine: Engine) -> audit.ChainReport:
    with session_factory(engine)() as session:
        return audit.verify_chain(session)


def test_intact_chain_verifies(fresh_engine: Engine) -> None:
    _fill(fresh_engine)
    report = _verify(fresh_engine)
    assert report.ok and report.entries == 5


def test_entries_are_listed_newest_first_per_subject(fresh_engine: Engine) -> None:
    _fill(fresh_engine, 3)
    code = "000.00.00.H00-261123-0002"
    with session_factory(fresh_engine).begin() as session:
        audit.append(session, actor="worker", action="document.digitized", subject=f"{code}/x.pdf")
        audit.append(session, actor="worker", action="other", subject="000.00.00.H00-261123-00021")
    with session_factory(fresh_engine)() as session:
        history = audit.entries(session, subject=code)
        assert [e.action for e in history] == ["document.digitized", "dossier.created"]
        assert len(audit.entries(session, limit=2)) == 2


def test_append_with_idempotency_key_is_not_duplicated(fresh_engine: Engine) -> None:
    sessions = session_factory(fresh_engine)
    with sessions.begin() as session:
        first = audit.append(
            session, actor="worker", action="document.signed", idempotency_key="k1"
        )
    with sessions.begin() as session:
        again = audit.append(
            session, actor="worker", action="document.signed", idempotency_key="k1"
        )
    assert first.id == again.id
    assert _verify(fresh_engine).entries == 1


def test_edited_entry_is_detected(fresh_engine: Engine) -> None:
    ids = _fill(fresh_engine)
    with session_factory(fresh_engine).begin() as session:
        session.execute(
            update(AuditEntry).where(AuditEntry.id == ids[2]).values(actor="someone-else")
        )
    report = _verify(fresh_engine)
    assert not report.ok and report.first_broken_id == ids[2]
    assert "edited" in (report.reason or "")
    with session_factory(fresh_engine)() as session, pytest.raises(IntegrityError):
        audit.check_chain(session)


def test_deleted_entry_is_detected(fresh_engine: Engine) -> None:
    ids = _fill(fresh_engine)
    with session_factory(fresh_engine).begin() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.id == ids[1]))
    report = _verify(fresh_engine)
    assert not report.ok and report.first_broken_id == ids[2]


def test_deleted_newest_entries_are_detected(fresh_engine: Engine) -> None:
    ids = _fill(fresh_engine)
    with session_factory(fresh_engine).begin() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.id >= ids[3]))
    report = _verify(fresh_engine)
    assert not report.ok and "newest entries were deleted" in (report.reason or "")


def test_rehashed_edit_still_breaks_the_link(fresh_engine: Engine) -> None:
    ids = _fill(fresh_engine)
    with session_factory(fresh_engine).begin() as session:
        entry = session.get(AuditEntry, ids[1])
        assert entry is not None
        entry.detail = "forged"
        entry.entry_hash = audit.entry_digest(entry)  # a careful forger recomputes the hash
    report = _verify(fresh_engine)
    assert not report.ok and report.first_broken_id == ids[2]


def _sohoa(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    sohoa = Path(sys.executable).with_name("sohoa")
    return subprocess.run(
        [str(sohoa), *args], capture_output=True, text=True, env={**os.environ, **env}, timeout=120
    )


def test_cli_db_upgrade_and_audit_verify_name_the_broken_entry(tmp_path: Path) -> None:
    env = {"SOHOA_DATA_DIR": str(tmp_path), "SOHOA_DATABASE_URL": ""}
    upgraded = _sohoa("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    from storage.db import head_revision, make_engine

    # Upgraded to the newest revision (0001 was the head when this test was written).
    assert f"-> {head_revision()}" in upgraded.stdout

    engine = make_engine(f"sqlite+pysqlite:///{tmp_path / 'sohoa.db'}")
    ids = _fill(engine, 3)
    ok = _sohoa("audit", "verify", env=env)
    assert ok.returncode == 0 and "3 entries" in ok.stdout
    with session_factory(engine).begin() as session:
        session.execute(update(AuditEntry).where(AuditEntry.id == ids[1]).values(action="x"))
    engine.dispose()
    broken = _sohoa("audit", "verify", env=env)
    assert broken.returncode == IntegrityError.exit_code
    assert f"entry {ids[1]}" in broken.stderr
