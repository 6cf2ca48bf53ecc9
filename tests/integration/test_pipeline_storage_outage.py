"""S3 going away during an upload: a clear retryable error, and nothing half-stored."""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine, func, select

import pipeline
from api.app import create_app
from core.domain import DocumentKind, Role
from core.errors import StorageUnavailable
from core.settings import settings_with
from pipeline.accounts import hash_password
from pipeline.context import Runtime
from samples.pages import render_page
from storage import records
from storage.db import make_engine, session_factory, upgrade
from storage.embedded import EmbeddedSeaweedFS
from storage.models import Document, OriginalFile
from storage.objects import ObjectStore


@pytest.fixture
def outage(tmp_path: Path) -> Iterator[tuple[Runtime, EmbeddedSeaweedFS, Engine]]:
    # A server of our own: this test stops it, which the session-wide one must not suffer.
    server = EmbeddedSeaweedFS(
        tmp_path / "s3", access_key="outage", secret_key=secrets.token_hex(16)
    ).start()
    engine = make_engine(f"sqlite+pysqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)
    settings = settings_with(
        data_dir=tmp_path / "data",
        s3_endpoint=server.endpoint,
        s3_access_key="outage",
        s3_secret_key=server.secret_key,
        object_lock_days=1,
        jwt_secret="outage-test-secret-outage-test-secret",
    )
    runtime = Runtime(settings=settings, engine=engine, sessions=session_factory(engine))
    try:
        yield runtime, server, engine
    finally:
        server.stop()
        engine.dispose()


def _jpeg(tmp: Path, name: str, shade: int) -> pipeline.Upload:
    path = tmp / name
    Image.new("L", (400, 300), shade).save(path, "JPEG", dpi=(300, 300))
    return pipeline.Upload(name=name, path=path, content_type="image/jpeg")


def _count(engine: Engine, model: Any) -> int:
    with session_factory(engine)() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_upload_while_s3_is_down_fails_clearly_and_stores_nothing(
    outage: tuple[Runtime, EmbeddedSeaweedFS, Engine], tmp_path: Path
) -> None:
    rt, server, engine = outage
    dossier, _secret = pipeline.create_dossier(
        rt,
        procedure_code="1.1",
        applicant_name="Phạm Văn C",
        applicant_id_number=None,
        applicant_phone=None,
        actor="t",
    )
    kept = pipeline.submit_document(
        rt,
        dossier.code,
        [_jpeg(tmp_path, "a.jpg", 200)],
        kind=DocumentKind.SUBMITTED,
        type_name="A",
        summary=None,
        actor="t",
    )
    assert kept.status == "queued"

    # The store fails after the first of two originals reached S3 (S3 dies mid-request).
    real_put = ObjectStore.put_file
    calls = []

    def put_then_die(self: ObjectStore, *args: Any, **kwargs: Any) -> Any:
        result = real_put(self, *args, **kwargs)
        calls.append(args[1])
        server.stop()
        return result

    ObjectStore.put_file = put_then_die  # type: ignore[method-assign]
    try:
        with pytest.raises(StorageUnavailable) as caught:
            pipeline.submit_document(
                rt,
                dossier.code,
                [_jpeg(tmp_path, "b.jpg", 120), _jpeg(tmp_path, "c.jpg", 60)],
                kind=DocumentKind.SUBMITTED,
                type_name="B",
                summary=None,
                actor="t",
            )
    finally:
        ObjectStore.put_file = real_put  # type: ignore[method-assign]
    assert caught.value.retryable
    assert len(calls) == 1
    # The database, the source of truth, knows only the document accepted before.
    assert _count(engine, Document) == 1
    assert _count(engine, OriginalFile) == 1

    # Over HTTP: 503 problem+json with the storage-unavailable type and Retry-After.
    with session_factory(engine)() as session:
        records.create_user(
            session, username="rec", password_hash=hash_password("pw-12345678"), role=Role.RECEPTION
        )
        session.commit()
    with TestClient(create_app(rt.settings, runtime=rt)) as client:
        token = client.post(
            "/api/v1/auth/token", data={"username": "rec", "password": "pw-12345678"}
        ).json()["access_token"]
        buffer = io.BytesIO()
        Image.new("L", (300, 200), 90).save(buffer, "JPEG", dpi=(300, 300))
        response = client.post(
            f"/api/v1/dossiers/{dossier.code}/documents",
            files=[("files", ("d.jpg", buffer.getvalue(), "image/jpeg"))],
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/storage-unavailable")
    assert response.headers["retry-after"]
    assert _count(engine, Document) == 1


def test_a_stage_failed_by_an_outage_is_visible_and_retry_resumes_it(
    outage: tuple[Runtime, EmbeddedSeaweedFS, Engine], tmp_path: Path
) -> None:
    rt, server, _engine = outage
    dossier, _secret = pipeline.create_dossier(
        rt,
        procedure_code="1.1",
        applicant_name="Đỗ Văn G",
        applicant_id_number=None,
        applicant_phone=None,
        actor="t",
    )
    buffer = io.BytesIO()
    render_page(9, lines=4).image.save(buffer, "JPEG", quality=80, dpi=(300, 300))
    scan = tmp_path / "scan.jpg"
    scan.write_bytes(buffer.getvalue())
    document = pipeline.submit_document(
        rt,
        dossier.code,
        [pipeline.Upload("scan.jpg", scan, "image/jpeg")],
        kind=DocumentKind.SUBMITTED,
        type_name="Giấy tờ",
        summary=None,
        actor="t",
    )
    port = server.s3_port
    server.stop()
    with pytest.raises(StorageUnavailable) as caught:
        pipeline.digitize(rt, document.id)
    pipeline.fail(rt, document.id, pipeline.DIGITIZE, caught.value)  # what the task does last
    with rt.sessions() as session:
        failed = pipeline.get_document(session, document.id)
        assert (failed.status, failed.error_code) == ("failed", "storage-unavailable")
        assert failed.error_detail

    # S3 is back (same data, same port): retry resumes the failed stage and it completes.
    revived = EmbeddedSeaweedFS(
        server.data_dir, access_key="outage", secret_key=server.secret_key, s3_port=port
    ).start()
    try:
        stage, role = pipeline.retry_stage(rt, document.id, actor="t")
        assert (stage, role) == (pipeline.DIGITIZE, None)
        assert pipeline.digitize(rt, document.id) is True
        with rt.sessions() as session:
            done = pipeline.get_document(session, document.id)
            assert (done.status, done.error_code) == ("digitized", None)
    finally:
        revived.stop()
