"""The whole flow over HTTP against the running service (uvicorn API + Celery worker)."""

from __future__ import annotations

import io
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from samples.pages import render_page
from tests.fixtures.service import ROOT, ServiceProcesses

pytestmark = pytest.mark.slow


def _scan_jpeg(seed: int, lines: int = 8) -> bytes:
    page = render_page(seed, lines=lines, skew_degrees=2.0)
    buffer = io.BytesIO()
    page.image.save(buffer, "JPEG", quality=80, dpi=(300, 300))
    return buffer.getvalue()


def _wait_status(
    client: httpx.Client, document_id: int, wanted: set[str], timeout: float
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/documents/{document_id}").json()
        if body["status"] in wanted:
            return body
        if body["status"] == "failed":
            pytest.fail(f"document {document_id} failed: {body['error']}")
        time.sleep(0.5)
    pytest.fail(f"document {document_id} stuck in {body.get('status')}: {body}")


def _create_dossier(reception: httpx.Client, name: str = "Đặng Văn Đức") -> tuple[str, str]:
    response = reception.post(
        "/api/v1/dossiers",
        json={"procedure_code": "1.001234", "applicant": {"name": name, "id_number": "0123"}},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return body["code"], body["access_secret"]


def test_reception_to_citizen_download_with_signatures_that_verify(
    service: ServiceProcesses, tmp_path: Path
) -> None:
    reception, signer = service.client("reception"), service.client("signer")
    code, secret = _create_dossier(reception)

    upload = reception.post(
        f"/api/v1/dossiers/{code}/documents",
        files=[("files", ("giấy khai sinh.jpg", _scan_jpeg(1), "image/jpeg"))],
        data={"type_name": "Giấy khai sinh"},
    )
    assert upload.status_code == 202, upload.text
    submitted = upload.json()["document_id"]
    body = _wait_status(reception, submitted, {"signed"}, timeout=120)
    assert body["pages_done"] == body["page_count"] == 1
    assert [s["role"] for s in body["signatures"]] == ["officer"]

    # The OCR text is searchable with and without accents.
    for q in ("khai sinh", "uy ban nhan dan"):
        found = reception.get("/api/v1/dossiers", params={"q": q}).json()["items"]
        assert code in [d["code"] for d in found], q

    result = signer.post(
        f"/api/v1/dossiers/{code}/results",
        files=[("files", ("ket-qua.jpg", _scan_jpeg(2), "image/jpeg"))],
        data={"type_name": "Quyết định"},
    )
    assert result.status_code == 202, result.text
    result_id = result.json()["document_id"]
    _wait_status(signer, result_id, {"digitized"}, timeout=120)
    sign = signer.post(f"/api/v1/documents/{result_id}/sign", json={"level": "B-LTA"})
    assert sign.status_code == 202, sign.text
    body = _wait_status(signer, result_id, {"signed"}, timeout=120)
    assert body["signatures"][0]["level"] == "B-LTA"
    assert body["signatures"][0]["role"] == "agency"

    citizen = service.client(headers={"X-Access-Secret": secret})
    public = citizen.get(f"/api/v1/public/dossiers/{code}")
    assert public.status_code == 200, public.text
    assert public.json()["status"] == "completed"  # its result is signed
    docs = {d["id"]: d for d in public.json()["documents"]}
    assert docs[result_id]["download_url"]
    pdf = citizen.get(docs[result_id]["download_url"])
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    downloaded = tmp_path / "result.pdf"
    downloaded.write_bytes(pdf.content)

    report = httpx.post(
        f"{service.base_url}/api/v1/verify",
        files={"file": ("result.pdf", pdf.content, "application/pdf")},
        timeout=60,
    ).json()
    assert report["verdict"] == "valid", report
    # The QR link names the document by an unguessable token, never by its id.
    reference = body["verification_ref"]
    assert reference and len(reference) >= 32 and str(result_id) != reference
    stored = httpx.get(f"{service.base_url}/api/v1/verify/{reference}").json()
    assert stored["sha256"] == report["sha256"]
    assert "dossier_code" not in stored and "id" not in stored
    assert httpx.get(f"{service.base_url}/api/v1/verify/{result_id}").status_code == 404

    if shutil.which("pdfsig") and shutil.which("certutil"):
        # Independent validator: poppler's pdfsig, with the development root in an NSS store.
        nss = tmp_path / "nss"
        nss.mkdir()
        root = service.data_dir / "pki" / "root.pem"
        subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True)
        subprocess.run(
            ["certutil", "-A", "-n", "sohoa-dev-root", "-t", "CT,C,C", "-i", str(root),
             "-d", f"sql:{nss}"],
            check=True,
        )  # fmt: skip
        out = subprocess.run(
            ["pdfsig", "-nssdir", f"sql:{nss}", str(downloaded)],
            capture_output=True, text=True, check=False, timeout=60,
        ).stdout  # fmt: skip
        assert out.count("Signature is Valid") == 1, out  # the agency's, on the result
        assert "Certificate is Trusted" in out, out

    # Wrong secret: 404, indistinguishable from a missing dossier.
    wrong = httpx.get(
        f"{service.base_url}/api/v1/public/dossiers/{code}", headers={"X-Access-Secret": "nope"}
    )
    assert wrong.status_code == 404
    assert wrong.headers["content-type"].startswith("application/problem+json")
    missing = httpx.get(
        f"{service.base_url}/api/v1/public/dossiers/XX-000000-0000",
        headers={"X-Access-Secret": "nope"},
    )
    assert missing.json()["type"] == wrong.json()["type"]
    assert citizen.get(f"/api/v1/public/documents/{result_id}/download",
                       headers={"X-Access-Secret": "nope"}).status_code == 404  # fmt: skip

    # Wrong role: reception may not sign; 403 problem.
    refused = reception.post(f"/api/v1/documents/{result_id}/sign", json={"level": "B-B"})
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("/forbidden")
    assert httpx.get(f"{service.base_url}/api/v1/dossiers").status_code == 401


def test_hot_folder_ingest_submits_each_scan_of_the_folder(
    service: ServiceProcesses, tmp_path: Path
) -> None:
    reception = service.client("reception")
    code, _secret = _create_dossier(reception, "Hoàng Văn E")
    folder = tmp_path / "scanner"
    folder.mkdir()
    (folder / "trang-1.jpg").write_bytes(_scan_jpeg(4, lines=4))
    (folder / "ghi-chu.txt").write_text("not a scan")
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "ingest", str(folder), "--dossier", code],
        env=service.env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (folder / ".done" / "trang-1.jpg").exists()
    assert (folder / ".failed" / "ghi-chu.txt.error").read_text().startswith("unsupported-format")
    documents = reception.get(f"/api/v1/dossiers/{code}").json()["documents"]
    assert len(documents) == 1
    _wait_status(reception, documents[0]["id"], {"signed"}, timeout=120)


def test_hot_folder_watch_mode_picks_up_scans_as_they_arrive(
    service: ServiceProcesses, tmp_path: Path
) -> None:
    reception = service.client("reception")
    code, _secret = _create_dossier(reception, "Mai Văn K")
    folder = tmp_path / "drop"
    folder.mkdir()
    watcher = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "ingest", str(folder), "--dossier", code, "--watch"],
        env=service.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        time.sleep(2)
        # Written in two steps, like a scanner: only the settled file is taken.
        scan = _scan_jpeg(5, lines=3)
        target = folder / "quet-1.jpg"
        target.write_bytes(scan[: len(scan) // 2])
        time.sleep(0.3)
        target.write_bytes(scan)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (folder / ".done" / "quet-1.jpg").exists():
            time.sleep(0.3)
        assert (folder / ".done" / "quet-1.jpg").read_bytes() == scan
        assert watcher.poll() is None  # still watching
    finally:
        watcher.send_signal(signal.SIGINT)
        _, errors = watcher.communicate(timeout=30)  # also closes the stderr pipe
    # Ctrl-C is how watching ends: the conventional 130, a one-line message, no traceback.
    assert watcher.returncode == 130, errors.decode(errors="replace")
    assert b"Traceback" not in errors
    documents = reception.get(f"/api/v1/dossiers/{code}").json()["documents"]
    assert len(documents) == 1


def test_killed_worker_mid_ocr_document_finishes_after_restart(
    service: ServiceProcesses,
) -> None:
    reception = service.client("reception")
    code, _secret = _create_dossier(reception, "Trần Thị Thủy")
    upload = reception.post(
        f"/api/v1/dossiers/{code}/documents",
        files=[("files", ("scan.jpg", _scan_jpeg(3, lines=30), "image/jpeg"))],
    )
    document_id = upload.json()["document_id"]
    _wait_status(reception, document_id, {"processing"}, timeout=60)
    service.kill_worker()
    assert reception.get(f"/api/v1/documents/{document_id}").json()["status"] == "processing"
    service.start_worker()
    body = _wait_status(reception, document_id, {"signed"}, timeout=150)
    assert body["page_count"] == 1
    assert len(body["signatures"]) == 1


def test_health_readiness_and_metrics_report_the_running_service(
    service: ServiceProcesses,
) -> None:
    assert httpx.get(f"{service.base_url}/healthz").json()["status"] == "ok"
    ready = httpx.get(f"{service.base_url}/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok", "s3": "ok", "worker": "ok"}
    metrics = httpx.get(f"{service.base_url}/metrics").text
    for name in (
        "sohoa_http_requests_total",
        "sohoa_queue_depth",
        'sohoa_documents{status="failed"}',
    ):
        assert name in metrics, name
    openapi = httpx.get(f"{service.base_url}/openapi.json").json()
    assert "/api/v1/public/documents/{document_id}/download" in openapi["paths"]


def test_api_metrics_count_a_stage_the_worker_completed(service: ServiceProcesses) -> None:
    reception = service.client("reception")
    before = _stage_completed(httpx.get(f"{service.base_url}/metrics").text, "digitize")
    code, _ = _create_dossier(reception, name="Hà Văn Mạnh")
    upload = reception.post(
        f"/api/v1/dossiers/{code}/documents",
        files=[("files", ("don.jpg", _scan_jpeg(5, lines=3), "image/jpeg"))],
        data={"type_name": "Đơn đề nghị"},
    )
    assert upload.status_code == 202, upload.text
    _wait_status(reception, upload.json()["document_id"], {"signed"}, timeout=120)
    # The worker is another process: the API learns of the stage from the shared database.
    after = _stage_completed(httpx.get(f"{service.base_url}/metrics").text, "digitize")
    assert after >= before + 1


def _stage_completed(metrics: str, stage: str) -> float:
    prefix = f'sohoa_pipeline_stage_completed_total{{stage="{stage}"}} '
    values = [
        float(line[len(prefix) :]) for line in metrics.splitlines() if line.startswith(prefix)
    ]
    return values[0] if values else 0.0
