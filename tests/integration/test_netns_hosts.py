"""Hosts as network namespaces: the service spread over five "machines" on a private switch.

``data`` runs Redis, a private PostgreSQL (``initdb`` in a temporary directory, not the
machine's server) and a SeaweedFS cluster (master, three volume servers with replication
``001``, filer, S3 gateway); ``api`` runs the API; ``w1`` and ``w2`` each run ``sohoa worker``
(every queue) with their own local dev-PKI server; ``desk`` is the operator, from where this
test drops a hot-folder batch (``sohoa ingest``) and checks. Each reaches the others only over
the switch (tests/fixtures/netns.py). Midway through the batch ``w1`` dies (SIGKILL of its whole
process group); every document must still end signed exactly once. Then a volume server stops:
stored objects are re-hashed and a new upload is digitized and signed meanwhile.
"""

from __future__ import annotations

import io
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select, text

from samples.pages import render_page
from storage.db import make_engine
from storage.embedded_cluster import EmbeddedSeaweedCluster
from storage.keys import document_key
from storage.models import AuditEntry, Document, Dossier, Signature
from tests.fixtures.netns import Host, NetnsLab, netns_permitted

# Bounded: a stuck harness fails the test instead of holding the suite (teardown still runs).
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PASSWORD = "netns horse battery"
DOCS, PAGES = 4, 2


@dataclass
class Deployment:
    lab: NetnsLab
    hosts: dict[str, Host]
    env: dict[str, str]
    cluster: EmbeddedSeaweedCluster
    engine: Engine
    data_dir: Path
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def desk(self) -> Host:
        return self.hosts["desk"]

    @property
    def api_url(self) -> str:
        return f"http://{self.hosts['api'].address}:8000"

    def sohoa(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        """Run a ``sohoa`` command on the desk host."""
        return subprocess.run(
            [*self.desk.exec_prefix, sys.executable, "-m", "cli.main", *args],
            env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip

    def start_worker(self, name: str) -> None:
        log = self.data_dir / f"{name}.log"
        pki = f"{sys.executable} -m tests.fixtures.netns pki {self.data_dir}"
        work = f"exec {sys.executable} -m cli.main worker --name {name}"
        self.workers[name] = self.lab.spawn(
            self.hosts[name], ["sh", "-c", f"{pki} & {work}"], log=log, env=self.env, cwd=ROOT
        )
        _wait(lambda: log.read_text(errors="replace").count(" ready.") >= 2, 90, f"{name} ready")

    def worker_log(self, name: str) -> str:
        return (self.data_dir / f"{name}.log").read_text(errors="replace")

    def query(self, statement: Any) -> list[Any]:
        def run() -> list[Any]:
            with self.engine.connect() as conn:
                return list(conn.execute(statement))

        return self.desk.call(run)


def _wait(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, httpx.HTTPError):
            pass
        time.sleep(0.3)
    pytest.fail(f"{what}: not reached in {timeout:.0f}s")


def _start_postgres(lab: NetnsLab, host: Host, base: Path, logs: Path) -> str:
    # initdb refuses to run as root: the cluster and its socket belong to the postgres user.
    shutil.chown(base, "postgres", "postgres")
    data = base / "data"
    data.mkdir()
    shutil.chown(data, "postgres", "postgres")
    subprocess.run(
        ["runuser", "-u", "postgres", "--", str(PG_BIN / "initdb"), "-D", str(data),
         "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    with (data / "pg_hba.conf").open("a", encoding="utf-8") as hba:
        hba.write(f"host all all {host.address.rsplit('.', 1)[0]}.0/24 trust\n")
    lab.spawn(
        host,
        ["runuser", "-u", "postgres", "--", str(PG_BIN / "postgres"), "-D", str(data),
         "-c", f"listen_addresses={host.address}", "-c", "port=5432",
         "-c", f"unix_socket_directories={base}", "-c", "fsync=off"],
        log=logs / "postgres.log",
    )  # fmt: skip
    ready = [*host.exec_prefix, "pg_isready", "-h", host.address, "-p", "5432", "-q"]
    _wait(lambda: subprocess.run(ready, check=False).returncode == 0, 60, "PostgreSQL")
    return f"postgresql+psycopg://postgres@{host.address}:5432/postgres"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    reason = netns_permitted()
    if reason:
        pytest.skip(reason)
    from signing.devpki import dev_pki_for

    data_dir = tmp_path_factory.mktemp("netns")
    lab = NetnsLab().start()
    pg_base = Path(tempfile.mkdtemp(prefix="sohoa-netns-pg-"))
    cluster: EmbeddedSeaweedCluster | None = None
    try:
        hosts = {name: lab.add_host(name) for name in ("data", "api", "w1", "w2", "desk")}
        data = hosts["data"]
        lab.spawn(
            data,
            ["redis-server", "--bind", data.address, "--port", "6379", "--save", "",
             "--appendonly", "no", "--protected-mode", "no", "--dir", str(data_dir)],
            log=data_dir / "redis.log",
        )  # fmt: skip
        pg_url = _start_postgres(lab, data, pg_base, data_dir)
        cluster = EmbeddedSeaweedCluster(
            data_dir / "s3", access_key="sohoa-netns", secret_key=secrets.token_hex(20),
            host=data.address, wrap=data.exec_prefix,
        )  # fmt: skip
        cluster.start()
        dev_pki_for(data_dir)  # the files, once; each worker host serves them on its loopback
        env = {
            **os.environ,
            "OMP_THREAD_LIMIT": "1",
            "SOHOA_DATA_DIR": str(data_dir),
            "SOHOA_DATABASE_URL": pg_url,
            "SOHOA_BROKER_URL": f"redis://{data.address}:6379/0",
            "SOHOA_S3_ENDPOINT": cluster.endpoint,
            "SOHOA_S3_ACCESS_KEY": cluster.access_key,
            "SOHOA_S3_SECRET_KEY": cluster.secret_key,
            "SOHOA_OBJECT_LOCK_MODE": "GOVERNANCE",
            "SOHOA_OBJECT_LOCK_DAYS": "1",
            "SOHOA_JWT_SECRET": secrets.token_urlsafe(32),
            "SOHOA_PUBLIC_BASE_URL": f"http://{hosts['api'].address}:8000",
            "SOHOA_BROKER_VISIBILITY_TIMEOUT": "8",
            "SOHOA_TASK_MAX_RETRIES": "2",
            "SOHOA_OCR_JOBS": "1",
            "SOHOA_SIGNATURE_LEVEL": "B-T",
            "SOHOA_AGENCY_CODE": "000.00.31.H99",
        }
        engine = make_engine(pg_url)
        deployment = Deployment(lab, hosts, env, cluster, engine, data_dir)
        for command in (["db", "upgrade"],):
            done = deployment.sohoa(*command)
            assert done.returncode == 0, done.stderr
        for user, role in (("desk", "reception"), ("boss", "signer")):
            created = subprocess.run(
                [*deployment.desk.exec_prefix, sys.executable, "-m", "cli.main", "users",
                 "create", user, "--role", role, "--password-stdin"],
                input=f"{PASSWORD}\n", env=env, cwd=ROOT, capture_output=True, text=True,
                timeout=120, check=False,
            )  # fmt: skip
            assert created.returncode == 0, created.stderr
        lab.spawn(
            hosts["api"],
            [sys.executable, "-m", "uvicorn", "--factory", "api.app:app",
             "--host", hosts["api"].address, "--port", "8000", "--log-level", "warning"],
            log=data_dir / "api.log", env=env, cwd=ROOT,
        )  # fmt: skip
        healthz = f"{deployment.api_url}/healthz"
        _wait(
            lambda: deployment.desk.call(lambda: httpx.get(healthz).status_code) == 200, 60, "API"
        )
        deployment.start_worker("w1")
        deployment.start_worker("w2")
        yield deployment
        engine.dispose()
    finally:
        lab.close()
        if cluster is not None:
            cluster.stop(grace=3.0)
        shutil.rmtree(pg_base, ignore_errors=True)
        shutil.rmtree(data_dir / "work", ignore_errors=True)


def _scan(seed: int) -> bytes:
    buffer = io.BytesIO()
    render_page(seed, lines=8).image.save(buffer, "JPEG", quality=80, dpi=(300, 300))
    return buffer.getvalue()


def _api(deployment: Deployment, method: str, path: str, **kwargs: Any) -> httpx.Response:
    def call() -> httpx.Response:
        token = httpx.post(
            f"{deployment.api_url}/api/v1/auth/token",
            data={"username": "desk", "password": PASSWORD},
        ).json()["access_token"]
        return httpx.request(
            method, f"{deployment.api_url}/api/v1{path}",
            headers={"Authorization": f"Bearer {token}"}, timeout=60, **kwargs,
        )  # fmt: skip

    return deployment.desk.call(call)


def _officer_signed_counts(deployment: Deployment, code: str) -> dict[int, int]:
    rows = deployment.query(
        select(Document.id, func.count(Signature.id))
        .join(Dossier, Document.dossier_id == Dossier.id)
        .outerjoin(Signature, Signature.document_id == Document.id)
        .where(Dossier.code == code)
        .group_by(Document.id)
    )
    return {int(r[0]): int(r[1]) for r in rows}


def _in_progress(log: str, task: str) -> bool:
    lines = log.splitlines()
    received = sum(1 for line in lines if task in line and " received" in line)
    finished = sum(1 for line in lines if task in line and " succeeded in " in line)
    return received > finished


def test_a_batch_survives_a_worker_host_dying_and_the_store_a_volume_server(
    deployment: Deployment,
) -> None:
    applicant = {"name": "Trần Văn Nam", "id_number": "9"}
    created = _api(
        deployment, "POST", "/dossiers", json={"procedure_code": "1.001234", "applicant": applicant}
    )
    assert created.status_code == 201, created.text
    code = created.json()["code"]
    folder = deployment.data_dir / "hot-folder"
    folder.mkdir()
    for d in range(DOCS):
        # One file per document: a 2-page TIFF would do; two JPEG pages → a PDF is simpler.
        pages = [render_page(500 + d * 10 + p, lines=8).image.convert("L") for p in range(PAGES)]
        pages[0].save(
            folder / f"lo-{d}.pdf", save_all=True, append_images=pages[1:], resolution=300
        )
    ingest = deployment.sohoa("ingest", str(folder), "--dossier", code)
    assert ingest.returncode == 0, ingest.stderr

    _wait(lambda: _in_progress(deployment.worker_log("w1"), "sohoa.digitize"), 120, "w1 busy")
    deployment.lab.kill(deployment.workers["w1"])  # the whole host, at once

    def all_signed() -> bool:
        counts = _officer_signed_counts(deployment, code)
        return len(counts) == DOCS and all(n >= 1 for n in counts.values())

    _wait(all_signed, 420, "every document of the batch signed")
    counts = _officer_signed_counts(deployment, code)
    assert set(counts.values()) == {1}, f"signatures per document: {counts}"
    ordinals = [r[0] for r in deployment.query(
        select(Document.ordinal).join(Dossier).where(Dossier.code == code)
    )]  # fmt: skip
    for ordinal in ordinals:
        key = document_key(code, ordinal)
        audit = deployment.query(
            select(AuditEntry.action, func.count())
            .where(AuditEntry.subject == key)
            .group_by(AuditEntry.action)
        )
        assert dict((a, int(n)) for a, n in audit) == {
            "document.digitized": 1,
            "document.signed.officer": 1,
        }, key
    assert "sohoa.digitize" in deployment.worker_log("w2")

    # A volume server stops: everything stored is still read and re-hashed, new work is stored.
    deployment.cluster.stop_volume(1)
    try:
        verified = deployment.sohoa("audit", "verify", "--objects")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        upload = _api(
            deployment, "POST", f"/dossiers/{code}/documents",
            files=[("files", ("don.jpg", _scan(900), "image/jpeg"))], data={"type_name": "Đơn"},
        )  # fmt: skip
        assert upload.status_code == 202, upload.text
        new_id = upload.json()["document_id"]
        _wait(lambda: _officer_signed_counts(deployment, code).get(new_id) == 1, 180, "new doc")
    finally:
        deployment.cluster.start_volume(1)
    verified = deployment.sohoa("audit", "verify", "--objects")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "all match their records" in verified.stdout
    # The database the workers wrote is the private one on the data host, not the machine's.
    assert str(deployment.query(text("select inet_server_addr()"))[0][0]).startswith("10.231.")
