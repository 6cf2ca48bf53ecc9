"""Backups on independent media and the restore drill (PostgreSQL + SeaweedFS, and SQLite)."""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import pipeline
from api.app import create_app
from core.domain import BucketRole, DocumentKind, SignatureLevel, SignerRole
from core.errors import Conflict, IntegrityError
from core.settings import Settings, settings_with
from pipeline.backup import backup, restore
from pipeline.context import Runtime
from samples.pages import render_page
from storage import audit, records, snapshot
from storage.db import make_engine, session_factory, upgrade
from storage.embedded import EmbeddedSeaweedFS
from storage.models import Document
from tests.fixtures.db import _create_pg_database, _drop_pg_database


def _scan(folder: Path, seed: int) -> Path:
    scan = folder / f"trang-{seed}.jpg"
    buffer = io.BytesIO()
    render_page(seed, lines=4).image.save(buffer, "JPEG", quality=80, dpi=(300, 300))
    scan.write_bytes(buffer.getvalue())
    return scan


def _runtime(
    url: str, s3: EmbeddedSeaweedFS | Settings, data_dir: Path, **extra: object
) -> Runtime:
    if isinstance(s3, EmbeddedSeaweedFS):
        keys = {
            "s3_endpoint": s3.endpoint,
            "s3_access_key": s3.access_key,
            "s3_secret_key": s3.secret_key,
        }
    else:
        keys = {k: getattr(s3, k) for k in ("s3_endpoint", "s3_access_key", "s3_secret_key")}
    settings = settings_with(
        **keys,
        object_lock_mode="GOVERNANCE",
        object_lock_days=1,
        data_dir=data_dir,
        database_url=url,
        jwt_secret="backup-test-secret-backup-test-secret",
        ocr_jobs=1,
        **extra,
    )
    engine = make_engine(url)
    return Runtime(settings=settings, engine=engine, sessions=session_factory(engine))


def _receive(rt: Runtime, folder: Path, seed: int) -> tuple[str, str, int]:
    dossier, secret = pipeline.create_dossier(
        rt,
        procedure_code="1.2",
        applicant_name="Võ Thị Dung",
        applicant_id_number=None,
        applicant_phone=None,
        actor="t",
    )
    document = pipeline.submit_document(
        rt,
        dossier.code,
        [pipeline.Upload(f"trang-{seed}.jpg", _scan(folder, seed), "image/jpeg")],
        kind=DocumentKind.SUBMITTED,
        type_name="Giấy khai sinh",
        summary=None,
        actor="t",
    )
    return dossier.code, secret, document.id


def _all_versions(rt: Runtime) -> dict[tuple[str, str], list[str]]:
    """Every object version's SHA-256 (bytes read and hashed), per bucket role and key."""
    found: dict[tuple[str, str], list[str]] = {}
    for role in BucketRole:
        for version in snapshot.list_versions(rt.objects, rt.bucket(role)):
            if version.is_delete_marker:
                continue
            response = rt.objects.client.get_object(
                version.bucket, version.key, version_id=version.version_id
            )
            try:
                digest = hashlib.sha256(response.read()).hexdigest()
            finally:
                response.close()
                response.release_conn()
            found.setdefault((role.value, version.key), []).append(digest)
    return found


@pytest.fixture
def seaweeds(tmp_path: Path) -> Iterator[Callable[[str], EmbeddedSeaweedFS]]:
    started: list[EmbeddedSeaweedFS] = []

    def start(name: str) -> EmbeddedSeaweedFS:
        server = EmbeddedSeaweedFS(
            tmp_path / name, access_key="drill", secret_key=secrets.token_hex(20)
        )
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop(grace=3.0)


@pytest.mark.slow
def test_restore_drill_postgresql_seaweedfs(
    tmp_path: Path, seaweeds: Callable[[str], EmbeddedSeaweedFS]
) -> None:
    source_url = _create_pg_database()
    target_url = _create_pg_database()
    first_s3 = seaweeds("s3-a")
    try:
        engine = make_engine(source_url)
        upgrade(engine)
        engine.dispose()
        rt = _runtime(source_url, first_s3, tmp_path / "data")
        code, secret, doc_id = _receive(rt, tmp_path, 3)
        assert pipeline.digitize(rt, doc_id) is True
        assert pipeline.sign(rt, doc_id, SignerRole.OFFICER, SignatureLevel.B_B) is True
        with rt.sessions() as session:
            document = session.get(Document, doc_id)
            assert document is not None and document.signed_sha256
            signed_sha = document.signed_sha256
            chain_length = audit.check_chain(session)
        before = _all_versions(rt)
        assert len(before) == 3  # original, digitized copy, signed result

        report = backup(rt, str(tmp_path / "backup"))
        assert report.database_format == "pg_dump-plain" and report.objects == 3
        # The manifest checks with coreutils alone, on any machine.
        sums = subprocess.run(
            ["sha256sum", "--check", "--quiet", "SHA256SUMS"],
            cwd=tmp_path / "backup",
            capture_output=True,
            check=False,
        )
        assert sums.returncode == 0, sums.stdout
        rt.close()

        # The disaster: the database and the whole S3 server's data are gone.
        _drop_pg_database(source_url)
        first_s3.stop(grace=3.0)
        shutil.rmtree(first_s3.data_dir)

        second_s3 = seaweeds("s3-b")
        restored = _runtime(target_url, second_s3, tmp_path / "data-b")
        result = restore(restored, str(tmp_path / "backup"))
        # The restored chain, plus the restore's own entry.
        assert result.objects == 3 and result.audit_entries == chain_length + 1

        assert _all_versions(restored) == before  # every object version, hash by hash
        with restored.sessions() as session:
            assert audit.check_chain(session) == chain_length + 1
        with TestClient(create_app(restored.settings, runtime=restored)) as client:
            listed = client.get(
                f"/api/v1/public/dossiers/{code}", headers={"X-Access-Secret": secret}
            )
            assert listed.status_code == 200, listed.text
            download = client.get(
                f"/api/v1/public/documents/{doc_id}/download", headers={"X-Access-Secret": secret}
            )
            assert download.status_code == 200, download.text
            assert hashlib.sha256(download.content).hexdigest() == signed_sha
            redirected = client.get(
                f"/api/v1/public/documents/{doc_id}/download?redirect=true",
                headers={"X-Access-Secret": secret},
                follow_redirects=False,
            )
            assert redirected.status_code in (200, 307), redirected.text
        # A second restore over the rebuilt installation is refused, never merged.
        with pytest.raises(Conflict):
            restore(restored, str(tmp_path / "backup"))
    finally:
        _drop_pg_database(source_url)
        _drop_pg_database(target_url)


def test_backup_to_second_s3_and_restore_on_sqlite(tmp_path: Path, s3_settings: Settings) -> None:
    tag = secrets.token_hex(3)
    buckets = {f"bucket_{r.value}": f"src-{tag}-{r.value}" for r in BucketRole}
    source = _runtime(
        f"sqlite+pysqlite:///{tmp_path / 'src.db'}",
        s3_settings,
        tmp_path / "d1",
        **buckets,
        backup_s3_access_key=s3_settings.s3_access_key,
        backup_s3_secret_key=s3_settings.s3_secret_key,
        backup_s3_secure=False,
    )
    upgrade(source.engine)
    code, _, _ = _receive(source, tmp_path, 5)
    _receive(source, tmp_path, 6)
    # A key with two versions and one deleted (a delete marker): history is replayed as it was.
    documents = source.bucket(BucketRole.DOCUMENTS)
    source.objects.put_bytes(documents, "probe/a.txt", b"first", content_type="text/plain")
    source.objects.put_bytes(
        documents, "probe/a.txt", b"second", content_type="text/plain", replace=True
    )
    source.objects.put_bytes(documents, "probe/gone.txt", b"gone", content_type="text/plain")
    snapshot.mark_deleted(source.objects, documents, "probe/gone.txt")
    before = _all_versions(source)
    location = f"s3://{s3_settings.s3_endpoint}/bak-{tag}/nightly"
    report = backup(source, location)
    assert report.database_format == "sqlite" and report.objects == 5
    assert report.delete_markers == 1

    target_buckets = {f"bucket_{r.value}": f"dst-{tag}-{r.value}" for r in BucketRole}
    target = _runtime(
        f"sqlite+pysqlite:///{tmp_path / 'dst.db'}",
        s3_settings,
        tmp_path / "d2",
        **target_buckets,
        backup_s3_access_key=s3_settings.s3_access_key,
        backup_s3_secret_key=s3_settings.s3_secret_key,
        backup_s3_secure=False,
    )
    restore(target, location)
    assert _all_versions(target) == before
    assert before[("documents", "probe/a.txt")] == [
        hashlib.sha256(b"first").hexdigest(),
        hashlib.sha256(b"second").hexdigest(),
    ]
    target_documents = target.bucket(BucketRole.DOCUMENTS)
    assert (
        target.objects.read_bytes(
            target_documents, "probe/a.txt", hashlib.sha256(b"second").hexdigest()
        )
        == b"second"
    )
    assert target.objects.stat(target_documents, "probe/gone.txt") is None  # still deleted
    with target.sessions() as session:
        assert audit.check_chain(session) > 0
        assert records.get_dossier(session, code).code == code


def test_restore_refuses_an_altered_backup(tmp_path: Path, s3_settings: Settings) -> None:
    tag = secrets.token_hex(3)
    buckets = {f"bucket_{r.value}": f"alt-{tag}-{r.value}" for r in BucketRole}
    source = _runtime(
        f"sqlite+pysqlite:///{tmp_path / 's.db'}", s3_settings, tmp_path / "d", **buckets
    )
    upgrade(source.engine)
    _receive(source, tmp_path, 7)
    backup(source, str(tmp_path / "b"))
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text(encoding="utf-8"))
    victim = tmp_path / "b" / manifest["objects"][0]["file"]
    victim.write_bytes(victim.read_bytes() + b"x")
    target = _runtime(
        f"sqlite+pysqlite:///{tmp_path / 't.db'}", s3_settings, tmp_path / "e", **buckets
    )
    with pytest.raises(IntegrityError):
        restore(target, str(tmp_path / "b"))
    assert snapshot.database_is_empty(target.engine)  # nothing written
