"""End-to-end service benchmark: pipeline throughput with 1 and 2 workers vs the raw engine,
and API latency (status reads, citizen downloads) under 50 concurrent clients while busy.

Runs the real stack on loopback: PostgreSQL (a scratch database), Redis (database 14), SeaweedFS,
the development PKI, the API (uvicorn) and Celery worker subprocesses. ``python -m bench service``.
"""

from __future__ import annotations

import asyncio
import io
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import redis
from sqlalchemy import make_url, text

from bench.results import write_section
from core.domain import Role
from core.net import free_port, wait_for
from core.settings import settings_with
from samples.pages import render_page
from storage.db import make_engine, session_factory, upgrade
from storage.embedded import EmbeddedSeaweedFS

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench" / ".work" / "service"
PG_ADMIN = os.environ.get(
    "SOHOA_BENCH_PG_URL", "postgresql+psycopg://postgres:postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = "redis://127.0.0.1:6379/14"
DOCS, PAGES_PER_DOC, LINES = 4, 2, 30
CLIENTS, LOAD_SECONDS = 50, 10.0
THINK_SECONDS = (1.0, 0.0)
#: API processes, as in docker-compose.yml (one per core).
API_PROCESSES = 2
PASSWORD = "bench-password-123"


def _pages() -> list[list[bytes]]:
    docs = []
    for d in range(DOCS):
        files = []
        for p in range(PAGES_PER_DOC):
            buffer = io.BytesIO()
            render_page(100 + d * 10 + p, lines=LINES).image.save(
                buffer, "JPEG", quality=80, dpi=(300, 300)
            )
            files.append(buffer.getvalue())
        docs.append(files)
    return docs


def _raw_engine(docs: list[list[bytes]], jobs: int) -> float:
    """Seconds for ocr.digitize alone on the same pages (one document each, same jobs)."""
    from ocr import digitize

    work = WORK / "raw"
    work.mkdir(parents=True, exist_ok=True)
    settings = settings_with(ocr_jobs=jobs, data_dir=WORK / "raw-data")
    start = time.perf_counter()
    for d, files in enumerate(docs):
        inputs = []
        for p, data in enumerate(files):
            path = work / f"{d}-{p}.jpg"
            path.write_bytes(data)
            inputs.append(path)
        digitize(inputs, work / f"{d}.pdf", settings=settings)
    return time.perf_counter() - start


class Stack:
    """The service on loopback, with a configurable number of worker processes."""

    def __init__(self) -> None:
        shutil.rmtree(WORK / "stack", ignore_errors=True)
        self.data = WORK / "stack"
        self.data.mkdir(parents=True)
        self.s3 = EmbeddedSeaweedFS(
            self.data / "s3", access_key="bench", secret_key=secrets.token_hex(16)
        )
        self.db_name = f"sohoa_bench_{secrets.token_hex(4)}"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workers: list[subprocess.Popen[bytes]] = []
        self.api: subprocess.Popen[bytes] | None = None
        self.env: dict[str, str] = {}
        self.pki: Any = None

    def start(self) -> None:
        from pipeline.accounts import hash_password
        from signing.devpki import dev_pki_for
        from storage import records

        self.s3.start()
        admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.db_name}"'))
        admin.dispose()
        url = make_url(PG_ADMIN).set(database=self.db_name).render_as_string(hide_password=False)
        engine = make_engine(url)
        upgrade(engine)
        with session_factory(engine)() as session:
            records.create_user(
                session, username="bench", password_hash=hash_password(PASSWORD), role=Role.ADMIN
            )
            session.commit()
        engine.dispose()
        redis.Redis.from_url(REDIS_URL).flushdb()
        self.env = {
            **os.environ,
            "OMP_THREAD_LIMIT": "1",
            "SOHOA_DATA_DIR": str(self.data),
            "SOHOA_DATABASE_URL": url,
            "SOHOA_BROKER_URL": REDIS_URL,
            "SOHOA_S3_ENDPOINT": self.s3.endpoint,
            "SOHOA_S3_ACCESS_KEY": "bench",
            "SOHOA_S3_SECRET_KEY": self.s3.secret_key,
            "SOHOA_OBJECT_LOCK_DAYS": "1",
            "SOHOA_JWT_SECRET": secrets.token_urlsafe(32),
            "SOHOA_PUBLIC_RATE_LIMIT_PER_MINUTE": "1000000",
            "SOHOA_LOG_LEVEL": "WARNING",
        }
        self.pki = dev_pki_for(self.data)
        self.pki.start()
        log = (self.data / "api.log").open("ab")
        self.api = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "api.app:app", "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", str(API_PROCESSES), "--log-level", "warning"],
            env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_for(lambda: httpx.get(f"{self.base}/healthz").status_code == 200, what="API")

    def set_workers(self, count: int, ocr_jobs: int) -> None:
        self.stop_workers()
        for n in range(count):
            log = (self.data / f"worker-{n}.log").open("ab")
            env = {**self.env, "SOHOA_OCR_JOBS": str(ocr_jobs), "SOHOA_LOG_LEVEL": "INFO"}
            self.workers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "cli.main",
                        "worker",
                        "--concurrency",
                        "1",
                        "--name",
                        f"bench{n}",
                    ],
                    env=env,
                    cwd=ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        for n in range(count):
            path = self.data / f"worker-{n}.log"
            wait_for(lambda p=path: b"ready" in p.read_bytes(), what="worker")  # type: ignore[misc]

    def stop_workers(self) -> None:
        for worker in self.workers:
            worker.terminate()
        for worker in self.workers:
            worker.wait(timeout=60)
        self.workers = []
        for n in range(4):
            log = self.data / f"worker-{n}.log"
            if log.exists():
                log.write_bytes(b"")

    def stop(self) -> None:
        self.stop_workers()
        if self.api is not None:
            self.api.terminate()
            self.api.wait(timeout=30)
        if self.pki is not None:
            self.pki.stop()
        self.s3.stop()
        admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)'))
        admin.dispose()
        redis.Redis.from_url(REDIS_URL).flushdb()

    def client(self) -> httpx.Client:
        token = httpx.post(
            f"{self.base}/api/v1/auth/token", data={"username": "bench", "password": PASSWORD}
        ).json()["access_token"]
        return httpx.Client(
            base_url=self.base, headers={"Authorization": f"Bearer {token}"}, timeout=120
        )


def _run_batch(stack: Stack, docs: list[list[bytes]]) -> tuple[float, float, list[int], str, str]:
    """Submit every document; returns (s to all digitized, s to all signed, ids, code, secret)."""
    client = stack.client()
    dossier = client.post(
        "/api/v1/dossiers", json={"procedure_code": "1.0", "applicant": {"name": "Bench"}}
    ).json()
    start = time.perf_counter()
    ids = []
    for d, files in enumerate(docs):
        upload = client.post(
            f"/api/v1/dossiers/{dossier['code']}/documents",
            files=[("files", (f"{d}-{p}.jpg", data, "image/jpeg")) for p, data in enumerate(files)],
        )
        upload.raise_for_status()
        ids.append(upload.json()["document_id"])
    digitized_at: dict[int, float] = {}
    signed_at: dict[int, float] = {}
    while len(signed_at) < len(ids):
        for doc_id in ids:
            if doc_id in signed_at:
                continue
            body = client.get(f"/api/v1/documents/{doc_id}").json()
            now = time.perf_counter() - start
            if body["status"] == "failed":
                raise RuntimeError(f"document {doc_id} failed: {body['error']}")
            if body["digitized_sha256"] and doc_id not in digitized_at:
                digitized_at[doc_id] = now
            if body["status"] == "signed":
                signed_at[doc_id] = now
        time.sleep(0.2)
    return (
        max(digitized_at.values()),
        max(signed_at.values()),
        ids,
        dossier["code"],
        dossier["access_secret"],
    )


async def _load(
    base: str, token: str, status_id: int, secret: str, download_id: int, think: float
) -> dict[str, list[float]]:
    """``CLIENTS`` clients, half reading a status, half downloading, each pausing ``think``
    seconds between requests (0: back to back, i.e. the server's saturation point).

    Each client has its own connection (httpx's shared async pool serialises badly at this
    concurrency and would measure the client, not the server).
    """
    latencies: dict[str, list[float]] = {"status": [], "download": []}
    # The clients are built before the clock starts: building one (its SSL context) takes
    # milliseconds of this process's event loop, and built lazily inside the loop that time
    # landed on the first requests already in flight (~250 ms at the head of every run).
    clients = [httpx.AsyncClient(base_url=base, timeout=30) for _ in range(CLIENTS)]
    deadline = time.perf_counter() + LOAD_SECONDS

    async def one(n: int, client: httpx.AsyncClient) -> None:
        kind = "status" if n % 2 == 0 else "download"
        if kind == "status":
            path, headers = f"/api/v1/documents/{status_id}", {"Authorization": f"Bearer {token}"}
        else:
            # The presigned redirect: the API authorizes, S3 serves the bytes (streaming them
            # through the API is also offered; it costs ~25 ms per 1.5 MB PDF here).
            path = f"/api/v1/public/documents/{download_id}/download?redirect=true"
            headers = {"X-Access-Secret": secret}
        async with client:
            await asyncio.sleep(think * n / CLIENTS)  # spread the clients' phases
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                response = await client.get(path, headers=headers)
                if response.status_code >= 400:
                    response.raise_for_status()
                latencies[kind].append(time.perf_counter() - t0)
                await asyncio.sleep(think)

    await asyncio.gather(*(one(n, client) for n, client in enumerate(clients)))
    return latencies


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _api_pids(api: subprocess.Popen[bytes]) -> list[int]:
    """The uvicorn supervisor and its worker processes."""
    children = Path(f"/proc/{api.pid}/task/{api.pid}/children").read_text().split()
    return [api.pid, *map(int, children)]


def _measured_load(
    stack: Stack, token: str, status_id: int, secret: str, download_id: int, think: float
) -> tuple[dict[str, list[float]], float, float]:
    """One load run; also returns the API's and this client process's CPU seconds during it."""
    assert stack.api is not None
    pids = _api_pids(stack.api)
    api_before = sum(_cpu_seconds(pid) for pid in pids)
    client_before = time.process_time()
    latencies = asyncio.run(_load(stack.base, token, status_id, secret, download_id, think))
    api_cpu = sum(_cpu_seconds(pid) for pid in pids) - api_before
    return latencies, api_cpu, time.process_time() - client_before


def _stage_metrics(base: str) -> list[str]:
    """The API's pipeline stage metrics (derived from the database) after the runs."""
    text = httpx.get(f"{base}/metrics").text
    wanted = (
        "sohoa_pipeline_stage_latency_seconds_count",
        "sohoa_pipeline_stage_latency_seconds_sum",
    )
    return [line for line in text.splitlines() if line.startswith(wanted)]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    jobs = max(1, os.cpu_count() or 1)
    docs = _pages()
    pages = DOCS * PAGES_PER_DOC
    raw = _raw_engine(docs, jobs)
    stack = Stack()
    try:
        stack.start()
        rows = []
        stack.set_workers(1, jobs)
        _run_batch(stack, docs[:1])  # warm-up: PKI, fonts, connections
        one_dig, one_sig, first_ids, _code, secret = _run_batch(stack, docs)
        rows.append(("1 worker × OCR jobs " + str(jobs), one_dig, one_sig))
        stack.set_workers(2, 1)
        two_dig, two_sig, ids, _c, _s = _run_batch(stack, docs)
        rows.append(("2 workers × OCR jobs 1", two_dig, two_sig))
        # Latency: a batch keeps the workers busy while 50 clients read status and download.
        client = stack.client()
        token = client.headers["Authorization"].split()[1]
        result_holder: dict[str, Any] = {}
        batch = threading.Thread(target=lambda: result_holder.update(r=_run_batch(stack, docs)))
        batch.start()
        time.sleep(2)
        loads = {
            think: _measured_load(stack, token, ids[0], secret, first_ids[0], think)
            for think in THINK_SECONDS
        }
        batch.join()
        stage_lines = _stage_metrics(stack.base)
    finally:
        stack.stop()
    raw_ppm = pages / raw * 60
    lines = [
        f"{pages} synthetic 300 dpi Vietnamese pages ({LINES} lines, 2° skew) in {DOCS} documents;"
        f" {jobs} cores; PostgreSQL, Redis, SeaweedFS, dev PKI (officer signature at B-LTA).",
        "",
        "| run | pages/min digitized | vs raw engine | documents/min signed |",
        "| --- | ---: | ---: | ---: |",
        f"| raw engine (`ocr.digitize`, jobs {jobs}) | {raw_ppm:.1f} | 100% | – |",
    ]
    for name, dig, sig in rows:
        ppm = pages / dig * 60
        lines.append(f"| {name} | {ppm:.1f} | {ppm / raw_ppm:.0%} | {DOCS / sig * 60:.1f} |")
    lines += [
        "",
        f"API latency ({API_PROCESSES} uvicorn processes) with {CLIENTS} concurrent clients"
        " (half status reads, half citizen downloads via presigned redirect),"
        f" {LOAD_SECONDS:.0f} s each, while 2 workers process a batch. A pause of 0 is a"
        " closed loop at saturation (latency = clients / throughput); 1 s is clients polling"
        " once a second.",
        "",
        "| pause between requests | request | requests/s | p50 ms | p99 ms |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    cpu_lines = []
    for think, (latencies, api_cpu, client_cpu) in loads.items():
        for kind, values in latencies.items():
            lines.append(
                f"| {think:g} s | {kind} | {len(values) / LOAD_SECONDS:.0f} |"
                f" {statistics.median(values) * 1000:.1f} | {_pct(values, 0.99):.1f} |"
            )
        served = sum(len(v) for v in latencies.values())
        cpu_lines.append(
            f"| {think:g} s | {1000 * api_cpu / max(1, served):.1f} |"
            f" {api_cpu / LOAD_SECONDS:.0%} | {client_cpu / LOAD_SECONDS:.0%} |"
        )
    lines += [
        "",
        "CPU during each load run (of 2 cores = 200%): the API's processes, and the benchmark's"
        " own client process (50 httpx clients on the same machine; in a deployment the clients"
        " are elsewhere, here they compete with the API and the workers for the 2 cores).",
        "",
        "| pause between requests | API CPU ms per request | API CPU | client CPU |",
        "| --- | ---: | ---: | ---: |",
        *cpu_lines,
        "",
        "Pipeline stage metrics at the API's `/metrics` after the runs (derived from the"
        " database's audit log; latency = queue wait + run time):",
        "",
        "```",
        *stage_lines,
        "```",
    ]
    body = "\n".join(lines)
    print(body)
    write_section("service", "## Service (bench_service)\n\n" + body)


if __name__ == "__main__":
    main()
