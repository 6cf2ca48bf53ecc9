"""Per-page OCR reports: stored with the document (migration 0005), counted in the "pages to
rescan" indicator, and shown by ``GET /api/v1/documents/{id}`` (real SQLite and PostgreSQL)."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime

from sqlalchemy import Engine

from api.reads import document_status
from core.domain import DocumentKind
from core.settings import settings_with
from pipeline.context import Runtime
from storage import records
from storage.db import session_factory
from storage.indicators import digitization_indicators
from storage.pages import PageRecord, record_pages

RECEIVED = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def test_page_reports_reach_the_indicator_and_the_document_body(db_engine: Engine) -> None:
    agency = f"Q{secrets.token_hex(3)}.00.00.H00"
    sessions = session_factory(db_engine)
    with sessions() as session:
        dossier, _secret = records.create_dossier(
            session,
            agency_code=agency,
            procedure_code="1.000001",
            applicant_name="Phạm Thị Hoa",
            received_at=RECEIVED,
        )
        document = records.add_document(
            session, dossier, kind=DocumentKind.SUBMITTED, type_name="Giấy khai sinh"
        )
        record_pages(
            session,
            document,
            [
                PageRecord(1, "text-layer", "vector", 100.0, 1.0, False),
                PageRecord(
                    2,
                    "ocr",
                    "raster",
                    71.5,
                    0.84,
                    True,
                    reason="estimated OCR accuracy 84.0% is under 98%",
                    text_layer_rejected="wrong-script",
                ),
            ],
        )
        document_id = document.id
        session.commit()
    runtime = Runtime(settings=settings_with(), engine=db_engine, sessions=sessions)
    body = document_status(runtime, document_id)
    assert body.pages_to_rescan == 1
    assert [(p.number, p.source, p.needs_rescan) for p in body.pages] == [
        (1, "text-layer", False),
        (2, "ocr", True),
    ]
    assert body.pages[1].estimated_accuracy == 0.84
    assert body.pages[1].text_layer_rejected == "wrong-script"
    assert "98%" in body.pages[1].reason
    with sessions() as session:
        counts = digitization_indicators(
            session, agency_code=agency, start=date(2026, 11, 1), end=date(2026, 11, 30)
        )
    assert counts.pages_to_rescan == 1
    assert counts.as_dict()["pages_to_rescan"] == 1


def test_a_document_without_page_reports_shows_an_empty_list(db_engine: Engine) -> None:
    sessions = session_factory(db_engine)
    with sessions() as session:
        dossier, _secret = records.create_dossier(
            session,
            agency_code=f"R{secrets.token_hex(3)}.00.00.H00",
            procedure_code="1.000001",
            applicant_name="Lý Văn Minh",
            received_at=RECEIVED,
        )
        document = records.add_document(
            session, dossier, kind=DocumentKind.SUBMITTED, type_name="Đơn đề nghị"
        )
        document_id = document.id
        session.commit()
    runtime = Runtime(settings=settings_with(), engine=db_engine, sessions=sessions)
    body = document_status(runtime, document_id)
    assert body.pages == [] and body.pages_to_rescan == 0
