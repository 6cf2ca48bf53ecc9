"""Queues by kind of work, on a real Redis broker with real worker processes (``scale_service``).

Two worker "hosts": one started with ``--queues ocr,ocr-batch`` (one pool process), one with
``--queues sign,housekeeping``. A signature must complete while the OCR host is busy with a long
OCR; a desk upload must be digitized before hot-folder batch documents queued ahead of it.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.scale import (
    ROOT,
    ScaleService,
    WorkerHost,
    create_dossier,
    scan_jpeg,
    status,
    upload,
    wait_until,
)

pytestmark = pytest.mark.slow


def _signed_by(body: dict[str, object], role: str) -> bool:
    signatures = body["signatures"]
    assert isinstance(signatures, list)
    return any(s["role"] == role for s in signatures)


@pytest.fixture(scope="module")
def lanes(scale_service: ScaleService) -> Iterator[tuple[WorkerHost, WorkerHost]]:
    ocr = scale_service.start_worker("ocr-host", "ocr,ocr-batch")
    sign = scale_service.start_worker("sign-host", "sign,housekeeping")
    yield ocr, sign
    scale_service.stop_workers()


def test_a_signature_completes_while_a_long_ocr_occupies_the_ocr_worker(
    scale_service: ScaleService, lanes: tuple[WorkerHost, WorkerHost]
) -> None:
    ocr_host, sign_host = lanes
    reception = scale_service.client("scale-reception")
    signer = scale_service.client("scale-signer")
    code = create_dossier(reception)
    small = upload(reception, code, [1], lines=6)
    wait_until(reception, small, lambda b: _signed_by(b, "officer"), 180, "officer signature")

    long_ocr = upload(reception, code, [11, 12, 13, 14, 15, 16])
    wait_until(reception, long_ocr, lambda b: b["status"] == "processing", 60, "OCR started")
    requested = signer.post(f"/api/v1/documents/{small}/sign", json={"level": "B-T"})
    assert requested.status_code == 202, requested.text
    started = time.monotonic()
    wait_until(signer, small, lambda b: _signed_by(b, "agency"), 120, "agency signature")
    waited = time.monotonic() - started

    busy = status(reception, long_ocr)
    assert busy["digitized_sha256"] is None, (
        f"the signature ({waited:.1f}s) waited for the 6-page OCR to finish: {busy}"
    )
    assert ocr_host.received("sohoa.sign") == 0, "a signature was routed to the OCR host"
    assert sign_host.received("sohoa.digitize") == 0, "an OCR was routed to the signing host"
    wait_until(reception, long_ocr, lambda b: _signed_by(b, "officer"), 300, "long OCR done")
    assert scale_service.count_signatures(small) == 2


def test_a_desk_upload_is_digitized_before_hot_folder_batches_queued_earlier(
    scale_service: ScaleService, lanes: tuple[WorkerHost, WorkerHost], tmp_path: Path
) -> None:
    reception = scale_service.client("scale-reception")
    code = create_dossier(reception)
    # Occupy the one OCR pool process so that everything below waits in the queues.
    blocker = upload(reception, code, [21, 22, 23, 24, 25, 26, 27, 28])
    wait_until(reception, blocker, lambda b: b["status"] == "processing", 60, "OCR started")

    folder = tmp_path / "hot-folder"
    folder.mkdir()
    for seed in (31, 32, 33):
        (folder / f"lo-{seed}.jpg").write_bytes(scan_jpeg(seed, lines=4))
    subprocess.run(
        [sys.executable, "-m", "cli.main", "ingest", str(folder), "--dossier", code],
        env=scale_service.env, cwd=ROOT, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    batch_ids = [
        d["id"]
        for d in reception.get(f"/api/v1/dossiers/{code}").json()["documents"]
        if d["id"] != blocker
    ]
    assert len(batch_ids) == 3
    desk = upload(reception, code, [41], lines=4)
    # Only a precedence, not a race, decides below: all four wait until the blocker is done.
    assert status(reception, blocker)["digitized_sha256"] is None, "blocker ended too soon"

    digitized_at: dict[int, float] = {}
    deadline = time.monotonic() + 300
    watched = [desk, *batch_ids]
    while len(digitized_at) < len(watched) and time.monotonic() < deadline:
        for document_id in watched:
            if (
                document_id not in digitized_at
                and status(reception, document_id)["digitized_sha256"]
            ):
                digitized_at[document_id] = time.monotonic()
        time.sleep(0.2)
    assert len(digitized_at) == len(watched), f"not all digitized: {digitized_at}"
    first_batch = min(digitized_at[d] for d in batch_ids)
    assert digitized_at[desk] < first_batch, "the desk upload waited behind the batch"
