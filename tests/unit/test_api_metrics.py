"""The API's ``/metrics`` shows pipeline stages recorded by workers in the shared database.

In-process app on SQLite, no S3: the stage results are written the way ``pipeline`` writes
them (its own ``fail``, ``retry_stage`` and the audit entries of ``digitize``/``sign``). The real
worker's entries are checked end to end in tests/e2e/test_service_flow.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

import pipeline
from api.app import create_app
from api.stage_metrics import BUCKETS, StageStats
from core.domain import DocumentKind
from core.errors import OCRFailed
from core.settings import settings_with
from pipeline.context import Runtime
from storage import audit, records
from storage.documents import add_document, mark_digitized


@pytest.fixture(scope="module")
def runtime(sqlite_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    from storage.db import session_factory

    settings = settings_with(
        data_dir=tmp_path_factory.mktemp("metrics"),
        jwt_secret="unit-test-secret-unit-test-secret",
    )
    return Runtime(settings=settings, engine=sqlite_engine, sessions=session_factory(sqlite_engine))


@pytest.fixture(scope="module")
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime.settings, runtime=runtime)) as test_client:
        yield test_client


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of ``name`` with exactly ``labels`` (any order) in an exposition; 0 if absent."""
    for match in re.finditer(rf"^{re.escape(name)}\{{(.*)\}} (\S+)$", text, re.M):
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
        if found == labels:
            return float(match.group(2))
    return 0.0


def _digitized_document(rt: Runtime) -> int:
    """A submitted document accepted and then digitized (audit entries as the pipeline's)."""
    with rt.session() as session:
        dossier, _secret = records.create_dossier(
            session, agency_code="000.00.00.H00", procedure_code="1.0", applicant_name="Lê Thị B"
        )
        document = add_document(session, dossier, kind=DocumentKind.SUBMITTED, type_name="Đơn")
        audit.append(
            session,
            actor="rec",
            action="document.submitted",
            subject=f"{dossier.code}#{document.ordinal}",
            idempotency_key=f"document.accepted:{document.id}",
        )
        mark_digitized(
            session, document, object_key="k", sha256="a" * 64, page_count=1, ocr_text=""
        )
        audit.append(
            session,
            actor="worker",
            action="document.digitized",
            subject="k",
            object_sha256="a" * 64,
            idempotency_key=f"document.digitized:{document.id}",
        )
        return document.id


def test_a_digitized_document_shows_up_in_the_stage_metrics(
    client: TestClient, runtime: Runtime
) -> None:
    before = client.get("/metrics").text
    _digitized_document(runtime)
    after = client.get("/metrics").text
    for name in (
        "sohoa_pipeline_stage_completed_total",
        "sohoa_pipeline_stage_latency_seconds_count",
    ):
        assert _sample(after, name, stage="digitize") == _sample(before, name, stage="digitize") + 1
    # Accepted and digitized within the same second: counted in the first bucket.
    bucket = "sohoa_pipeline_stage_latency_seconds_bucket"
    assert _sample(after, bucket, stage="digitize", le="1.0") == (
        _sample(before, bucket, stage="digitize", le="1.0") + 1
    )


def test_latency_runs_from_when_a_stage_became_due_to_when_it_was_done() -> None:
    stats = StageStats()
    t0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    steps = [
        ("document.submitted", 0, "document.accepted:7", None, None),
        ("document.digitized", 42, "document.digitized:7", None, None),
        ("document.signed.officer", 45, "document.signed:7:officer", None, None),
        ("document.sign-requested", 600, None, "7", None),
        ("document.failed.sign", 601, None, "7", "tsa-unavailable: TSA down"),
        ("document.retry.sign", 700, None, "7", None),
        ("document.signed.agency", 703, "document.signed:7:agency", None, None),
    ]
    for action, second, key, subject, detail in steps:
        stats._fold(action, t0 + timedelta(seconds=second), key, subject, detail)
    assert stats.sums == {"digitize": 42.0, "sign-officer": 3.0, "sign-agency": 3.0}
    # 42 s lands in the (30, 60] bucket, 3 s in (2, 5].
    assert stats.buckets["digitize"][BUCKETS.index(60.0)] == 1
    assert stats.buckets["sign-agency"][BUCKETS.index(5.0)] == 1
    assert stats.failures == {("sign", "tsa-unavailable"): 1}


def test_stage_failures_are_counted_by_stage_and_code(client: TestClient, runtime: Runtime) -> None:
    document_id = _digitized_document(runtime)
    before = client.get("/metrics").text
    pipeline.fail(runtime, document_id, pipeline.SIGN, OCRFailed("simulated"))
    after = client.get("/metrics").text
    name = "sohoa_pipeline_stage_failures_total"
    code = OCRFailed.code
    assert _sample(after, name, stage="sign", code=code) == (
        _sample(before, name, stage="sign", code=code) + 1
    )
