"""Reception checks uploads before anything is stored, and refuses duplicates early."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import Engine

import pipeline
from core.domain import DocumentKind, DossierStatus
from core.errors import Conflict, DuplicateDocument, TimestampUnavailable, UnsupportedFormat
from core.settings import settings_with
from pipeline.context import Runtime
from storage import records
from storage.db import session_factory
from storage.objects import StoredObject


class _RecordingStore:
    """Stands in for S3 (the real store is covered by the integration tests)."""

    class buckets:  # mirrors ObjectStore.buckets
        originals, documents, results = "o", "d", "r"

    def __init__(self) -> None:
        self.puts: list[str] = []

    def put_file(self, bucket: str, key: str, path: Path, **_: Any) -> StoredObject:
        self.puts.append(key)
        # What the real store answers: the object and the version it was stored as.
        return StoredObject(bucket, key, "", path.stat().st_size, f"v{len(self.puts)}")


@pytest.fixture
def runtime(sqlite_engine: Engine, tmp_path: Path) -> tuple[Runtime, _RecordingStore]:
    settings = settings_with(data_dir=tmp_path, agency_code=f"{secrets.randbelow(900) + 100}.5.5.U")
    rt = Runtime(settings=settings, engine=sqlite_engine, sessions=session_factory(sqlite_engine))
    store = _RecordingStore()
    rt._objects = store
    return rt, store


def _dossier(rt: Runtime) -> str:
    dossier, _ = pipeline.create_dossier(
        rt,
        procedure_code="1.3",
        applicant_name="Bùi Thị F",
        applicant_id_number=None,
        applicant_phone=None,
        actor="t",
    )
    return dossier.code


def test_a_misnamed_file_is_refused_before_anything_is_stored(
    runtime: tuple[Runtime, _RecordingStore], tmp_path: Path
) -> None:
    rt, store = runtime
    code = _dossier(rt)
    fake = tmp_path / "scan.jpg"
    fake.write_text("this is not a JPEG")
    with pytest.raises(UnsupportedFormat):
        pipeline.submit_document(
            rt, code, [pipeline.Upload("scan.jpg", fake)], kind=DocumentKind.SUBMITTED,
            type_name="X", summary=None, actor="t",
        )  # fmt: skip
    assert store.puts == []


def test_the_same_bytes_twice_in_a_dossier_are_refused_before_storing(
    runtime: tuple[Runtime, _RecordingStore], tmp_path: Path
) -> None:
    rt, store = runtime
    code = _dossier(rt)
    scan = tmp_path / "a.png"
    Image.new("RGB", (200, 100), "white").save(scan, dpi=(300, 300))
    document = pipeline.submit_document(
        rt, code, [pipeline.Upload("Giấy tờ.png", scan, "image/png")],
        kind=DocumentKind.SUBMITTED, type_name="A", summary=None, actor="t",
    )  # fmt: skip
    assert document.status == "queued"
    assert store.puts == [f"{code}/originals/Giay_to.png"]
    with pytest.raises(DuplicateDocument):
        pipeline.submit_document(
            rt, code, [pipeline.Upload("again.png", scan, "image/png")],
            kind=DocumentKind.SUBMITTED, type_name="B", summary=None, actor="t",
        )  # fmt: skip
    assert len(store.puts) == 1
    with rt.sessions() as session:
        assert records.get_dossier(session, code).status == DossierStatus.PROCESSING


def test_a_failure_is_recorded_unless_a_concurrent_attempt_already_finished_the_stage(
    runtime: tuple[Runtime, _RecordingStore], tmp_path: Path
) -> None:
    rt, _store = runtime
    code = _dossier(rt)
    scan = tmp_path / "b.png"
    Image.new("RGB", (220, 100), "gray").save(scan, dpi=(300, 300))
    document = pipeline.submit_document(
        rt, code, [pipeline.Upload("b.png", scan, "image/png")],
        kind=DocumentKind.SUBMITTED, type_name="B", summary=None, actor="t",
    )  # fmt: skip
    with rt.session() as session:  # a redelivered twin digitized it meanwhile
        pipeline.get_document(session, document.id).digitized_key = f"{code}/{code}.01.pdf"
    pipeline.fail(rt, document.id, pipeline.DIGITIZE, Conflict("already holds other content"))
    with rt.sessions() as session:
        assert pipeline.get_document(session, document.id).status == "queued"
    pipeline.fail(rt, document.id, pipeline.SIGN, TimestampUnavailable("TSA down"))
    with rt.sessions() as session:
        failed = pipeline.get_document(session, document.id)
        assert (failed.status, failed.error_code) == ("failed", "tsa-unavailable")
