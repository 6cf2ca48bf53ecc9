"""Per-page progress of a running digitization is written to the database, page by page."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from core import pipeline
from core.domain import DocumentKind, DocumentStatus
from core.runtime import Runtime
from storage import records
from tests.synthetic import render_page

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_digitizing_writes_each_page_done_before_the_document_is_digitized(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = runtime
    uploads = []
    for seed in (11, 12):
        scan = tmp_path / f"trang-{seed}.jpg"
        buffer = io.BytesIO()
        render_page(seed, lines=4).image.save(buffer, "JPEG", quality=80, dpi=(300, 300))
        scan.write_bytes(buffer.getvalue())
        uploads.append(pipeline.Upload(scan.name, scan, "image/jpeg"))
    dossier, _ = pipeline.create_dossier(
        rt,
        procedure_code="1.3",
        applicant_name="Lê Thị Hồng",
        applicant_id_number=None,
        applicant_phone=None,
        actor="t",
    )
    document = pipeline.submit_document(
        rt,
        dossier.code,
        uploads,
        kind=DocumentKind.SUBMITTED,
        type_name="Giấy khai sinh",
        summary=None,
        actor="t",
    )

    seen: list[tuple[int, int | None, str]] = []
    real = records.record_progress

    def spy(session: Any, doc: Any, pages_done: int, *, page_count: int | None = None) -> None:
        real(session, doc, pages_done, page_count=page_count)
        seen.append((doc.pages_done, doc.page_count, str(doc.status)))

    # The writer throttles to ~2 writes/s; one page of OCR takes longer than that interval.
    monkeypatch.setattr(records, "record_progress", spy)
    assert pipeline.digitize(rt, document.id) is True

    done_values = [done for done, _, _ in seen]
    assert done_values == sorted(done_values), "progress never goes backwards"
    assert 1 in done_values, f"no intermediate progress written: {seen}"
    assert all(total == 2 for _, total, _ in seen)
    assert all(status != DocumentStatus.DIGITIZED for done, _, status in seen if done < 2)
    with rt.sessions() as session:
        stored = pipeline.get_document(session, document.id)
        assert (stored.pages_done, stored.page_count) == (2, 2)
        assert stored.status == DocumentStatus.DIGITIZED
