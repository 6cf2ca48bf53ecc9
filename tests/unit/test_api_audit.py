"""Citizen downloads are audited in batches, in order, on the hash chain (SQLite, no S3)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from api.auditbuffer import DownloadAudit
from core.settings import settings_with
from pipeline.context import Runtime
from storage import audit
from storage.db import session_factory
from storage.models import AuditEntry


def test_queued_downloads_are_appended_in_order_and_the_chain_still_verifies(
    sqlite_engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> None:
    settings = settings_with(data_dir=tmp_path_factory.mktemp("audit"))
    rt = Runtime(settings=settings, engine=sqlite_engine, sessions=session_factory(sqlite_engine))
    recorder = DownloadAudit(rt, interval=60)  # only explicit flushes in this test
    recorder.start()
    keys = [f"results/batch-{n}.pdf" for n in range(3)]
    for key in keys:
        recorder.record(key, "d" * 64)
    assert recorder.flush() == 3
    recorder.record("results/at-close.pdf", "e" * 64)
    recorder.close()  # the last entries are not lost on shutdown
    with rt.sessions() as session:
        subjects = session.scalars(
            select(AuditEntry.subject)
            .where(AuditEntry.action == "document.downloaded", AuditEntry.actor == "citizen")
            .order_by(AuditEntry.id)
        ).all()
        assert subjects[-4:] == [*keys, "results/at-close.pdf"]
        assert audit.verify_chain(session).ok
