"""A stage's closing transaction never deadlocks with an upload to the same dossier (PostgreSQL).

An upload (``storage.documents.add_document``) locks its dossier's row, then appends to the
audit chain (locking the audit head). A stage's record appends to the chain too; if it wrote
the document's row again after taking the head, PostgreSQL's foreign-key check would wait for
the dossier row the upload holds, while the upload waits for the head: a deadlock, and the
document ``failed`` (found by ``bench scale`` with a 200-page hot-folder batch). Here the
upload's side is played by hand at exactly the bad moment.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.engine import Engine

import pipeline
from core.domain import SignatureLevel, SignerRole
from core.settings import Settings
from pipeline.context import Runtime
from storage.db import make_engine, upgrade
from storage.models import AuditHead, Document
from tests.fixtures.db import _create_pg_database, _drop_pg_database
from tests.fixtures.service import runtime_on, submit_scans

pytestmark = pytest.mark.slow


@pytest.fixture
def pg_runtime(tmp_path: Path, s3_settings: Settings) -> Iterator[Runtime]:
    url = _create_pg_database()
    engine = make_engine(url)
    upgrade(engine)
    rt = runtime_on(engine, tmp_path, s3_settings)
    yield rt
    rt.close()
    _drop_pg_database(url)


class Upload(threading.Thread):
    """An upload to the dossier: holds its row, then waits for the audit head."""

    def __init__(self, engine: Engine, dossier_id: int) -> None:
        super().__init__(daemon=True)
        self.engine, self.dossier_id = engine, dossier_id
        self.holding, self.go = threading.Event(), threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with self.engine.connect() as conn, conn.begin():
                conn.execute(text("SET LOCAL lock_timeout = '20s'"))
                conn.execute(
                    text("SELECT id FROM dossiers WHERE id = :id FOR UPDATE"),
                    {"id": self.dossier_id},
                )
                self.holding.set()
                self.go.wait(30)
                conn.execute(select(AuditHead.id).with_for_update())
        except BaseException as exc:  # reported by the test
            self.error = exc


def test_a_signature_recorded_while_an_upload_holds_the_dossier_does_not_deadlock(
    pg_runtime: Runtime, tmp_path: Path
) -> None:
    rt = pg_runtime
    document = submit_scans(rt, tmp_path, [3], type_name="Giấy tờ", lines=3)
    assert pipeline.digitize(rt, document.id)
    with rt.sessions() as session:
        found = session.get(Document, document.id)
        assert found is not None
        upload = Upload(rt.engine, found.dossier_id)
    upload.start()
    assert upload.holding.wait(30)

    def head_taken(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "audit_head" in statement and "FOR UPDATE" in statement:
            upload.go.set()  # the upload now queues on the head this stage holds
            threading.Event().wait(0.5)

    event.listen(rt.engine, "after_cursor_execute", head_taken)
    try:
        assert pipeline.sign(rt, document.id, SignerRole.OFFICER, SignatureLevel.B_B)
    finally:
        event.remove(rt.engine, "after_cursor_execute", head_taken)
    upload.join(30)
    assert upload.error is None, upload.error
    with rt.sessions() as session:
        signed = session.get(Document, document.id)
        assert signed is not None and signed.signed_version_id
