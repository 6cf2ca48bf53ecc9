"""Stored records touched around the API: the citizen never gets the bytes, and
``sohoa audit verify --objects`` names each one (real SeaweedFS, SQLite, in-process API)."""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.domain import BucketRole, DocumentKind, SignatureLevel, SignerRole
from core.settings import Settings, settings_with
from pipeline.context import Runtime
from storage import records
from storage.db import make_engine, session_factory, upgrade
from storage.models import Document, utcnow

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Signed:
    runtime: Runtime
    client: TestClient
    document_id: int
    secret: str
    key: str
    data: bytes
    version_id: str | None
    db_url: str

    def download(self, **params: str) -> object:
        return self.client.get(
            f"/api/v1/public/documents/{self.document_id}/download",
            headers={"X-Access-Secret": self.secret},
            params=params,
            follow_redirects=False,
        )


@pytest.fixture
def signed(tmp_path: Path, s3_settings: Settings) -> Iterator[Signed]:
    db_url = f"sqlite+pysqlite:///{tmp_path / 'db.sqlite'}"
    engine = make_engine(db_url)
    upgrade(engine)
    settings = settings_with(
        **{k: getattr(s3_settings, k) for k in ("s3_endpoint", "s3_access_key", "s3_secret_key")},
        object_lock_mode="GOVERNANCE",
        object_lock_days=1,
        data_dir=tmp_path / "data",
        jwt_secret=secrets.token_urlsafe(32),
        verified_download_memory_bytes=64 * 1024,
    )
    rt = Runtime(settings=settings, engine=engine, sessions=session_factory(engine))
    data = b"%PDF-1.7\n" + secrets.token_bytes(100_000) + b"\n%%EOF\n"
    key = f"integrity/{secrets.token_hex(6)}/ket-qua.pdf"
    stored = rt.objects.put_bytes(rt.bucket(BucketRole.RESULTS), key, data)
    with rt.session() as session:
        dossier, secret = records.create_dossier(
            session, agency_code="444.55.66.I77", procedure_code="1.3", applicant_name="Phan Văn L"
        )
        document = records.add_document(
            session, dossier, kind=DocumentKind.RESULT, type_name="Giấy phép"
        )
        records.add_signature(
            session,
            document,
            level=SignatureLevel.B_B,
            role=SignerRole.AGENCY,
            signer_subject="CN=test",
            signed_at=utcnow(),
            object_key=key,
            sha256=hashlib.sha256(data).hexdigest(),
        )
        records.record_object_version(document, BucketRole.RESULTS, stored.version_id)
        document_id = document.id
    with TestClient(create_app(settings, runtime=rt)) as client:
        yield Signed(rt, client, document_id, secret, key, data, stored.version_id, db_url)
    rt.close()


def _audit_verify_objects(signed: Signed) -> subprocess.CompletedProcess[str]:
    s = signed.runtime.settings
    env = {
        **os.environ,
        "SOHOA_DATA_DIR": str(s.data_dir),
        "SOHOA_DATABASE_URL": signed.db_url,
        "SOHOA_S3_ENDPOINT": s.s3_endpoint,
        "SOHOA_S3_ACCESS_KEY": s.s3_access_key,
        "SOHOA_S3_SECRET_KEY": s.s3_secret_key.get_secret_value(),
        "SOHOA_OBJECT_LOCK_MODE": "GOVERNANCE",
        "SOHOA_OBJECT_LOCK_DAYS": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "audit", "verify", "--objects"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_an_intact_record_is_served_whole_and_audit_finds_nothing(signed: Signed) -> None:
    response = signed.download()
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert response.content == signed.data  # type: ignore[attr-defined]
    assert response.headers["cache-control"] == "no-store"  # type: ignore[attr-defined]
    done = _audit_verify_objects(signed)
    assert done.returncode == 0, done.stderr
    assert "1 re-hashed, all match" in done.stdout


def test_an_overwritten_object_is_never_served_as_the_record(signed: Signed) -> None:
    # A new version at the same key (what the service's own credentials could write).
    bucket = signed.runtime.bucket(BucketRole.RESULTS)
    signed.runtime.objects.put_bytes(bucket, signed.key, b"%PDF-1.7 forged", replace=True)
    response = signed.download()
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert response.content == signed.data  # type: ignore[attr-defined]
    redirect = signed.download(redirect="true")
    assert redirect.status_code == 307  # type: ignore[attr-defined]
    assert f"versionId={signed.version_id}" in redirect.headers["location"]  # type: ignore[attr-defined]


def test_a_deleted_record_is_an_integrity_error_and_audit_names_it(
    signed: Signed, caplog: pytest.LogCaptureFixture
) -> None:
    bucket = signed.runtime.bucket(BucketRole.RESULTS)
    signed.runtime.objects.delete(
        bucket, signed.key, version_id=signed.version_id, bypass_governance=True
    )
    with caplog.at_level(logging.ERROR):
        for params in ({}, {"redirect": "true"}):
            response = signed.download(**params)
            assert response.status_code == 500, params  # type: ignore[attr-defined]
            assert response.json()["type"].endswith("/integrity-error")  # type: ignore[attr-defined]
            assert signed.key not in response.text  # type: ignore[attr-defined]
    assert any("INTEGRITY ALERT" in r.getMessage() for r in caplog.records)
    done = _audit_verify_objects(signed)
    assert done.returncode == 52, done.stdout + done.stderr
    assert f"MISSING: signed PDF of document {signed.document_id}: s3://{bucket}/{signed.key}" in (
        done.stdout
    )


def test_altered_bytes_are_refused_before_the_first_byte_small_and_large(
    signed: Signed, tmp_path: Path
) -> None:
    # The record says other bytes than S3 holds (as after a change on the server's disk).
    with signed.runtime.session() as session:
        document = session.get(Document, signed.document_id)
        assert document is not None
        document.signed_sha256 = hashlib.sha256(b"what was signed").hexdigest()
    for limit in (10 * 1024 * 1024, 64 * 1024):  # in memory, then via a spooled copy
        signed.runtime.settings = signed.runtime.settings.model_copy(
            update={"verified_download_memory_bytes": limit}
        )
        response = signed.download()
        assert response.status_code == 500  # type: ignore[attr-defined]
        assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    assert not list(signed.runtime.settings.work_dir().glob("sohoa-dl-*"))  # no copy left
    done = _audit_verify_objects(signed)
    assert done.returncode == 52
    assert f"ALTERED: signed PDF of document {signed.document_id}" in done.stdout


def test_originals_are_stored_with_the_sniffed_type_and_their_version(
    runtime: Runtime, tmp_path: Path
) -> None:
    import io

    from PIL import Image

    import pipeline
    from storage.models import OriginalFile

    scan = tmp_path / "trang.html"
    buffer = io.BytesIO()
    Image.new("L", (600, 800), 255).save(buffer, "PNG", dpi=(300, 300))
    scan.write_bytes(buffer.getvalue())
    dossier, _ = pipeline.create_dossier(
        runtime,
        procedure_code="1.4",
        applicant_name="Hồ Thị M",
        applicant_id_number=None,
        applicant_phone=None,
        actor="t",
    )
    document = pipeline.submit_document(
        runtime,
        dossier.code,
        [pipeline.Upload("trang.html", scan, "text/html")],  # what the client claimed
        kind=DocumentKind.SUBMITTED,
        type_name="Giấy tờ",
        summary=None,
        actor="t",
    )
    with runtime.sessions() as session:
        original = session.query(OriginalFile).filter_by(document_id=document.id).one()
        assert original.content_type == "image/png"
        assert original.version_id
        key, version = original.object_key, original.version_id
    info = runtime.objects.client.stat_object(
        runtime.bucket(BucketRole.ORIGINALS), key, version_id=version
    )
    assert info.content_type == "image/png"
