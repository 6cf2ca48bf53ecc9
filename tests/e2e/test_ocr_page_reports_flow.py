"""The per-page OCR report over HTTP: digitized by the running worker, shown by the API."""

from __future__ import annotations

import io
import time
from typing import Any

import httpx
import pytest

from samples.pages import render_page
from tests.fixtures.service import ServiceProcesses

pytestmark = pytest.mark.slow


def _scan(seed: int, **damage: Any) -> bytes:
    page = render_page(seed, lines=6, skew_degrees=1.0, **damage)
    buffer = io.BytesIO()
    page.image.save(buffer, "JPEG", quality=80, dpi=(page.dpi, page.dpi))
    return buffer.getvalue()


def _digitized(client: httpx.Client, document_id: int) -> dict[str, Any]:
    started = time.monotonic()
    body: dict[str, Any] = {}
    while time.monotonic() - started < 300:
        body = client.get(f"/api/v1/documents/{document_id}").json()
        if body["status"] in ("digitized", "signed"):
            return body
        if body["status"] == "failed":
            pytest.fail(f"document {document_id} failed: {body['error']}")
        time.sleep(0.5)
    pytest.fail(f"document {document_id} stuck {time.monotonic() - started:.0f} s: {body}")


def test_document_body_lists_each_page_and_the_pages_to_rescan(service: ServiceProcesses) -> None:
    reception = service.client("reception")
    created = reception.post(
        "/api/v1/dossiers",
        json={"procedure_code": "1.001234", "applicant": {"name": "Võ Thị Sáu", "id_number": "1"}},
    )
    assert created.status_code == 201, created.text
    code = created.json()["code"]
    upload = reception.post(
        f"/api/v1/dossiers/{code}/documents",
        files=[
            ("files", ("trang-1.jpg", _scan(80), "image/jpeg")),
            (
                "files",
                (
                    "trang-2.jpg",
                    _scan(81, dpi=80, noise=30, blur=0.4, jpeg_quality=20),
                    "image/jpeg",
                ),
            ),
        ],
        data={"type_name": "Tờ khai"},
    )
    assert upload.status_code == 202, upload.text
    body = _digitized(reception, upload.json()["document_id"])
    pages = body["pages"]
    assert [p["number"] for p in pages] == [1, 2]
    assert all(p["source"] == "ocr" and p["content"] == "raster" for p in pages)
    assert not pages[0]["needs_rescan"] and pages[0]["estimated_accuracy"] >= 0.98
    assert pages[1]["needs_rescan"] and pages[1]["estimated_accuracy"] < 0.98
    assert body["pages_to_rescan"] == 1
