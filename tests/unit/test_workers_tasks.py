"""Worker tasks: retries with backoff on transient faults, failure recorded otherwise."""

from __future__ import annotations

from typing import Any

import pytest

import pipeline
from core.domain import DocumentKind, SignerRole
from core.errors import SigningError, TimestampUnavailable
from core.settings import settings_with
from storage.models import Document, Signature
from workers import tasks


class _FakeRuntime:
    def __init__(self, max_retries: int) -> None:
        self.settings = settings_with(task_max_retries=max_retries)


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    record: dict[str, Any] = {"calls": 0, "failed": None}
    monkeypatch.setattr(tasks, "runtime", lambda: _FakeRuntime(max_retries=3))

    def fail(rt: Any, document_id: int, stage: str, exc: BaseException) -> None:
        record["failed"] = (document_id, stage, exc)

    monkeypatch.setattr(pipeline, "fail", fail)
    return record


def test_transient_faults_are_retried_until_the_stage_succeeds(
    recorded: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def flaky_sign(rt: Any, document_id: int, role: SignerRole, level: Any) -> bool:
        recorded["calls"] += 1
        if recorded["calls"] < 3:
            raise TimestampUnavailable("TSA down")
        return True

    monkeypatch.setattr(pipeline, "sign", flaky_sign)
    result = tasks.sign_task.apply(args=(7, "agency", "B-T"))
    assert result.get() is True
    assert recorded["calls"] == 3
    assert recorded["failed"] is None


def test_a_fault_that_outlasts_the_retries_leaves_the_document_failed(
    recorded: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(rt: Any, document_id: int, role: SignerRole, level: Any) -> bool:
        recorded["calls"] += 1
        raise TimestampUnavailable("TSA down")

    monkeypatch.setattr(pipeline, "sign", down)
    assert tasks.sign_task.apply(args=(7, "agency", "B-T")).get() is False
    assert recorded["calls"] == 4  # the first try and three retries
    document_id, stage, exc = recorded["failed"]
    assert (document_id, stage, exc.code) == (7, "sign", "tsa-unavailable")


def test_permanent_errors_fail_at_once(
    recorded: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(rt: Any, document_id: int, role: SignerRole, level: Any) -> bool:
        recorded["calls"] += 1
        raise SigningError("certificate expired")

    monkeypatch.setattr(pipeline, "sign", broken)
    assert tasks.sign_task.apply(args=(7, "officer", "B-B")).get() is False
    assert recorded["calls"] == 1
    assert recorded["failed"][2].code == "signing-error"


def test_time_limits_grow_with_pages_and_backoff_grows_but_is_capped() -> None:
    settings = settings_with(task_base_seconds=100, task_seconds_per_page=10)
    assert tasks.time_limits(settings, 1) == (110, 140)
    assert tasks.time_limits(settings, 50) == (600, 630)
    delays = [tasks._backoff(n) for n in range(12)]
    assert delays == sorted(delays) and delays[0] == 2 and delays[-1] == 300


def test_next_stage_follows_the_document_lifecycle() -> None:
    doc = Document(kind=DocumentKind.SUBMITTED, digitized_key=None)
    doc.signatures = []
    assert pipeline.next_stage(doc) == ("digitize", None)
    doc.digitized_key = "x/x.01.pdf"
    assert pipeline.next_stage(doc) == ("sign", SignerRole.OFFICER)
    doc.signatures = [Signature(role=SignerRole.OFFICER)]
    assert pipeline.next_stage(doc) == ("sign", SignerRole.AGENCY)
    result = Document(kind=DocumentKind.RESULT, digitized_key="y/y.02.pdf")
    result.signatures = []
    assert pipeline.next_stage(result) == ("sign", SignerRole.AGENCY)
