"""Per-page progress of a running digitization is written to the database, page by page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import pipeline
from core.domain import DocumentStatus
from pipeline.context import Runtime
from storage import records
from tests.fixtures.service import submit_scans

pytestmark = pytest.mark.slow


def test_digitizing_writes_each_page_done_before_the_document_is_digitized(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = runtime
    document = submit_scans(rt, tmp_path, [11, 12], type_name="Giấy khai sinh", lines=4)

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
