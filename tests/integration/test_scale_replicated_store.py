"""A replicated object store: documents survive a volume server going away, and nothing is lost.

A real SeaweedFS cluster (``storage.embedded_cluster``: master, three volume servers, replication
``001``, filer, S3 gateway) under the real pipeline (SQLite records): documents stored before a
volume server stops are read back (verified against their SHA-256) while it is down, new ones
are stored and digitized meanwhile, and once it is back ``sohoa audit verify --objects``
re-hashes every object the records name and finds all of them intact, also with a *different*
volume server down (so no object lives on one server only).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import pipeline
from core.domain import BucketRole
from core.settings import settings_with
from pipeline.context import Runtime
from storage.db import make_engine, session_factory, upgrade
from storage.embedded_cluster import EmbeddedSeaweedCluster
from storage.models import Document
from storage.objects import ObjectStore
from tests.fixtures.service import ROOT, submit_scans

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedSeaweedCluster]:
    data = tmp_path_factory.mktemp("seaweed-cluster")
    with EmbeddedSeaweedCluster(data, access_key="sohoa-cluster", secret_key=secrets.token_hex(20)):
        pass  # a start/stop round trip on its own: stop() is idempotent and clean
    running = EmbeddedSeaweedCluster(
        data / "run", access_key="sohoa-cluster", secret_key=secrets.token_hex(20)
    )
    running.start()
    try:
        yield running
    finally:
        running.stop(grace=3.0)


@pytest.fixture
def cluster_runtime(tmp_path: Path, cluster: EmbeddedSeaweedCluster) -> Iterator[Runtime]:
    database = tmp_path / "db.sqlite"
    engine = make_engine(f"sqlite+pysqlite:///{database}")
    upgrade(engine)
    settings = settings_with(
        s3_endpoint=cluster.endpoint,
        s3_access_key=cluster.access_key,
        s3_secret_key=cluster.secret_key,
        object_lock_mode="GOVERNANCE",
        object_lock_days=1,
        data_dir=tmp_path / "data",
        database_url=f"sqlite+pysqlite:///{database}",
        agency_code=f"{secrets.randbelow(900) + 100}.77.77.RPL",
        ocr_jobs=1,
    )
    ObjectStore.from_settings(settings).ensure_buckets()
    rt = Runtime(settings=settings, engine=engine, sessions=session_factory(engine))
    yield rt
    rt.close()


def _read_all(rt: Runtime, documents: list[Document]) -> int:
    """Read every original of ``documents`` back, verified against its recorded SHA-256."""
    count = 0
    with rt.sessions() as session:
        for document in documents:
            for original in session.get_one(Document, document.id).originals:
                rt.objects.read_bytes(
                    rt.bucket(BucketRole.ORIGINALS), original.object_key, original.sha256
                )
                count += 1
    return count


def _audit_verify_objects(rt: Runtime) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SOHOA_DATABASE_URL": str(rt.settings.database_url),
        "SOHOA_DATA_DIR": str(rt.settings.data_dir),
        "SOHOA_S3_ENDPOINT": rt.settings.s3_endpoint,
        "SOHOA_S3_ACCESS_KEY": rt.settings.s3_access_key,
        "SOHOA_S3_SECRET_KEY": rt.settings.s3_secret_key.get_secret_value(),
    }
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "audit", "verify", "--objects"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_documents_are_read_and_written_with_a_volume_server_down_and_none_is_lost(
    cluster: EmbeddedSeaweedCluster, cluster_runtime: Runtime, tmp_path: Path
) -> None:
    rt = cluster_runtime
    before = [
        submit_scans(rt, tmp_path, [100 + i, 200 + i], type_name="Giấy tờ", lines=3)
        for i in range(4)
    ]
    cluster.stop_volume(1)
    try:
        assert _read_all(rt, before) == 8
        during = [submit_scans(rt, tmp_path, [300 + i], type_name="Đơn", lines=3) for i in range(3)]
        assert pipeline.digitize(rt, during[0].id) is True  # OCR → PDF/A stored meanwhile
        assert _read_all(rt, during) == 3
    finally:
        cluster.start_volume(1)

    verified = _audit_verify_objects(rt)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "all match their records" in verified.stdout
    # Every object has a second copy: with another server down, all is still there.
    cluster.stop_volume(2, kill=True)
    try:
        assert _read_all(rt, before + during) == 11
        again = _audit_verify_objects(rt)
        assert again.returncode == 0, again.stdout + again.stderr
    finally:
        cluster.start_volume(2)
