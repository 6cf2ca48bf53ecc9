"""Load test (locust, headless, loopback, bounded): 200 concurrent citizens looking up their
dossier and downloading its signed PDF while two workers digitize.

Reports the p50/p99 of lookups and downloads, the error rate (must be 0) and the API's RSS
before and after. The service is the one ``bench/bench_service.py`` runs (PostgreSQL, Redis,
SeaweedFS, dev PKI, 2 uvicorn processes). ``python -m bench load``.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.bench_service import ROOT, WORK, Stack, _api_pids, _pages, _run_batch
from bench.results import write_section

LOCUST_VENV = ROOT / "bench" / ".locust-venv"
LOCUST_VERSION = "2.47.0"
USERS, SPAWN_RATE, SECONDS = 200, 50, 40
#: Documents submitted just before the load starts, so both workers digitize during it.
BACKGROUND_DOCS = 3


def _locust() -> Path:
    exe = LOCUST_VENV / "bin" / "locust"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(LOCUST_VENV)], check=True)
        subprocess.run(
            [str(LOCUST_VENV / "bin" / "pip"), "install", "-q", f"locust=={LOCUST_VERSION}"],
            check=True,
        )
    return exe


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def _stats(prefix: Path) -> dict[str, dict[str, str]]:
    with Path(f"{prefix}_stats.csv").open(encoding="utf-8") as fh:
        return {row["Name"]: row for row in csv.DictReader(fh)}


def _background(stack: Stack, docs: list[list[bytes]], done: list[float]) -> None:
    started = time.perf_counter()
    _run_batch(stack, docs)
    done.append(time.perf_counter() - started)


def main() -> None:
    locust = _locust()
    docs = _pages()
    stack = Stack()
    try:
        stack.start()
        stack.set_workers(2, ocr_jobs=1)
        _t_dig, _t_signed, ids, code, secret = _run_batch(stack, docs[:1])
        assert stack.api is not None
        pids = _api_pids(stack.api)
        rss_before = _rss_mb(pids)
        load_before = os.getloadavg()[0]
        background_docs = docs[1 : 1 + BACKGROUND_DOCS]  # distinct bytes (no duplicates)
        finished: list[float] = []
        worker = threading.Thread(target=_background, args=(stack, background_docs, finished))
        worker.start()
        time.sleep(2)  # the first pages are in OCR
        prefix = WORK / "locust"
        env = {
            **os.environ,
            "SOHOA_LOAD_CODE": code,
            "SOHOA_LOAD_SECRET": secret,
            "SOHOA_LOAD_DOCUMENT": str(ids[0]),
        }
        subprocess.run(
            [str(locust), "-f", str(ROOT / "bench" / "locust" / "citizens.py"), "--headless",
             "-u", str(USERS), "-r", str(SPAWN_RATE), "-t", f"{SECONDS}s", "--host", stack.base,
             "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"],
            env=env, cwd=ROOT, check=False, timeout=SECONDS + 120,
        )  # fmt: skip
        busy_during = worker.is_alive()
        rss_after = _rss_mb(pids)
        load_after = os.getloadavg()[0]
        worker.join(timeout=600)
        stats = _stats(prefix)
    finally:
        stack.stop()
    rows = [
        "| request | count | failures | p50 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in ("lookup", "download", "Aggregated"):
        row = stats[name]
        rows.append(
            f"| {name} | {row['Request Count']} | {row['Failure Count']} | {row['50%']} |"
            f" {row['99%']} | {float(row['Max Response Time']):.0f} |"
        )
    total = int(stats["Aggregated"]["Request Count"])
    failures = int(stats["Aggregated"]["Failure Count"])
    body = "\n".join(
        [
            "## Load: 200 citizens while two workers digitize (`python -m bench load`)",
            "",
            f"locust {LOCUST_VERSION} headless on loopback: {USERS} users (spawned {SPAWN_RATE}/s),"
            f" {SECONDS} s, each waiting 1–3 s between requests; 3 lookups"
            " (`GET /public/dossiers/{code}`) to 1 verified download"
            " (`GET /public/documents/{id}/download`, hashed before the first byte) of a"
            f" signed PDF. Meanwhile {BACKGROUND_DOCS} documents of 2 pages were digitized and"
            " signed by 2 workers (1 OCR job each); "
            + (
                "they were still busy when the load ended."
                if busy_during
                else "they finished before the load ended."
            )
            + " API: 2 uvicorn processes, PostgreSQL, Redis, SeaweedFS.",
            "",
            *rows,
            "",
            f"Error rate: {failures}/{total} = {failures / max(1, total):.2%}. API RSS"
            f" (supervisor + 2 processes): {rss_before:.0f} MB before, {rss_after:.0f} MB after."
            f" Load average {load_before:.1f} before, {load_after:.1f} after (locust itself, the"
            " workers, and whatever else runs on the machine share its cores).",
        ]
    )
    write_section("load", body)
    print(body)


if __name__ == "__main__":
    main()
