"""Storage benchmark: S3 transfer rates against SeaweedFS, record and audit rates on both SQLs.

Run with ``python -m bench.bench_storage`` (or ``python -m bench storage`` once listed there).
Starts its own SeaweedFS on loopback and a scratch PostgreSQL database (``SOHOA_TEST_PG_URL``
admin URL, default the local server), and writes the ``storage`` section of bench/RESULTS.md.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import Engine, make_url, text

from bench.results import write_section
from core.settings import MiB, settings_with
from storage import audit, records
from storage.db import make_engine, session_factory, upgrade
from storage.embedded import EmbeddedSeaweedFS
from storage.objects import ObjectStore

PG_ADMIN_URL = os.environ.get(
    "SOHOA_TEST_PG_URL", "postgresql+psycopg://postgres:postgres@127.0.0.1:5432/postgres"
)


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def bench_s3(workdir: Path) -> list[str]:
    rows = ["| object | put MB/s | get+verify MB/s |", "|---|---:|---:|"]
    with EmbeddedSeaweedFS(workdir / "s3", access_key="bench", secret_key="bench-secret") as s3:
        settings = settings_with(
            s3_endpoint=s3.endpoint,
            s3_access_key="bench",
            s3_secret_key="bench-secret",
            object_lock_days=1,
        )
        store = ObjectStore.from_settings(settings)
        store.ensure_buckets()
        # The first write allocates a volume; keep that out of the numbers.
        store.put_bytes(store.buckets.documents, "B000.00.00.H00-261123-0001/warm-up", b"x")
        for size_mb in (1, 16, 100):
            path = workdir / f"{size_mb}.bin"
            path.write_bytes(os.urandom(size_mb * MiB))
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            key = f"B{secrets.token_hex(3)}.00.00.H00-261123-0001/obj-{size_mb}.pdf"
            bucket = store.buckets.documents
            started = time.perf_counter()
            store.put_file(bucket, key, path, sha256=digest)
            put = time.perf_counter() - started
            started = time.perf_counter()
            for _chunk in store.iter_verified(bucket, key, digest):
                pass
            get = time.perf_counter() - started
            kind = "multipart" if size_mb * MiB > store.part_size else "single PUT"
            rows.append(f"| {size_mb} MB ({kind}) | {size_mb / put:.0f} | {size_mb / get:.0f} |")
            path.unlink()
    return rows


def _records_rate(engine: Engine) -> tuple[float, float, float, float]:
    sessions = session_factory(engine)
    agency = f"R{secrets.token_hex(3)}.00.00.H00"

    def create(n: int) -> None:
        for _ in range(n):
            with sessions.begin() as session:
                records.create_dossier(
                    session, agency_code=agency, procedure_code="1", applicant_name="Lê Thị Bình"
                )

    n = 200
    serial = _timed(lambda: create(n))
    with ThreadPoolExecutor(4) as pool:
        parallel = _timed(lambda: list(pool.map(create, [n // 4] * 4)))

    def append(n: int) -> None:
        for i in range(n):
            with sessions.begin() as session:
                audit.append(session, actor="bench", action="bench.append", subject=str(i))

    appends = _timed(lambda: append(n))
    with sessions() as session:
        verify = _timed(lambda: audit.check_chain(session))
    return n / serial, n / parallel, n / appends, verify


def bench_sql(workdir: Path) -> list[str]:
    rows = [
        "| database | dossiers/s (1 thread) | dossiers/s (4 threads) | audit appends/s"
        " | verify 200 entries (ms) |",
        "|---|---:|---:|---:|---:|",
    ]
    name = f"sohoa_bench_{secrets.token_hex(4)}"
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    pg = make_engine(make_url(PG_ADMIN_URL).set(database=name).render_as_string(False))
    sqlite = make_engine(f"sqlite+pysqlite:///{workdir / 'bench.db'}")
    try:
        for label, engine in (("PostgreSQL", pg), ("SQLite (WAL)", sqlite)):
            upgrade(engine)
            one, four, appends, verify = _records_rate(engine)
            rows.append(
                f"| {label} | {one:.0f} | {four:.0f} | {appends:.0f} | {verify * 1000:.1f} |"
            )
    finally:
        pg.dispose()
        sqlite.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="sohoa-bench-storage-") as tmp:
        workdir = Path(tmp)
        s3_rows = bench_s3(workdir)
        sql_rows = bench_sql(workdir)
    body = "\n".join(
        [
            "## storage",
            "",
            "S3 transfers against SeaweedFS `weed mini` on loopback (SHA-256 sent with every"
            " PUT/part, every GET re-hashed); 16 MiB parts.",
            "",
            *s3_rows,
            "",
            "Records: one transaction per dossier (race-free code counter) and per audit entry.",
            "",
            *sql_rows,
        ]
    )
    print(body)
    write_section("storage", body)


if __name__ == "__main__":
    main()
