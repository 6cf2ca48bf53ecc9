"""Reuse instead of rescanning, the declared page count, and the 766 trend (SQLite, no S3)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from PIL import Image

import pipeline
from core.domain import DocumentKind, DocumentStatus, SignatureLevel, SignerRole
from core.errors import Conflict, NotFound, PageCountMismatch
from core.settings import settings_with
from pipeline import reuse
from pipeline.context import Runtime
from storage import records
from storage.db import make_engine, session_factory, upgrade
from storage.indicators import digitization_indicators, period_buckets, period_with_trend, trend
from storage.models import Document, Signature, utcnow
from web.i18n import today_vietnam

AGENCY = "000.44.55.H66"


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Runtime]:
    engine = make_engine(f"sqlite+pysqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)
    # No S3 endpoint: anything that tried to store an object would raise.
    settings = settings_with(data_dir=tmp_path / "data", agency_code=AGENCY, s3_endpoint="")
    runtime = Runtime(settings=settings, engine=engine, sessions=session_factory(engine))
    yield runtime
    runtime.close()


def _dossier(rt: Runtime, id_number: str | None) -> str:
    dossier, _ = pipeline.create_dossier(
        rt, procedure_code="1.2", applicant_name="Phạm Văn Bình",
        applicant_id_number=id_number, applicant_phone=None, actor="t",
        procedure_name="Chứng thực", appointment_on=date(2099, 1, 2),
    )  # fmt: skip
    return dossier.code


def _signed_document(rt: Runtime, code: str) -> int:
    with rt.session() as session:
        document = records.add_document(
            session, records.get_dossier(session, code), kind=DocumentKind.SUBMITTED,
            type_name="Giấy khai sinh", page_count=2,
        )  # fmt: skip
        document.status = DocumentStatus.SIGNED
        document.digitized_key, document.digitized_sha256 = "d/k.pdf", "1" * 64
        document.signed_key, document.signed_sha256 = "r/k.pdf", "2" * 64
        session.add(
            Signature(
                document_id=document.id, level=SignatureLevel.B_LTA, role=SignerRole.OFFICER,
                signer_subject="Cán bộ", signed_at=utcnow(), object_key="r/k.pdf",
                sha256="2" * 64,
            )
        )  # fmt: skip
        return document.id


def test_receipt_fields_are_kept_on_the_dossier(rt: Runtime) -> None:
    code = _dossier(rt, "012345678901")
    with rt.sessions() as session:
        dossier = records.get_dossier(session, code)
        assert dossier.procedure_name == "Chứng thực"
        assert dossier.appointment_on == date(2099, 1, 2)


def test_an_applicants_signed_document_is_attached_without_rescanning(rt: Runtime) -> None:
    earlier = _dossier(rt, "012345678901")
    source = _signed_document(rt, earlier)
    other_person = _signed_document(rt, _dossier(rt, "098765432109"))
    new = _dossier(rt, "012345678901")
    found = reuse.reusable_documents(rt, "012345678901", exclude_dossier=new)
    assert [d.id for d in found] == [source]
    attached = reuse.attach(rt, new, source, actor="rec")
    with rt.sessions() as session:
        copy = session.get(Document, attached.id)
        assert copy is not None
        assert copy.reused_from_id == source
        assert copy.status == DocumentStatus.SIGNED
        assert copy.signed_sha256 == "2" * 64 and copy.page_count == 2
        assert [s.role for s in copy.signatures] == [SignerRole.OFFICER]
        counts = digitization_indicators(
            session, agency_code=AGENCY, start=date(2000, 1, 1), end=date(2100, 1, 1)
        )
    assert counts.documents_reused == 1
    assert counts.reuse_rate == pytest.approx(1 / 3, abs=1e-4)  # 1 reused of 3 submitted
    with pytest.raises(Conflict):
        reuse.attach(rt, new, source, actor="rec")  # already attached
    with pytest.raises(NotFound):
        reuse.attach(rt, new, other_person, actor="rec")  # another citizen's document
    # Earlier reuses are not offered again as originals.
    assert [d.id for d in reuse.reusable_documents(rt, "012345678901")] == [source]


def test_unsigned_documents_cannot_be_reused(rt: Runtime) -> None:
    code = _dossier(rt, "012345678901")
    with rt.session() as session:
        pending = records.add_document(
            session, records.get_dossier(session, code), kind=DocumentKind.SUBMITTED,
            type_name="Tờ khai",
        )  # fmt: skip
    assert reuse.reusable_documents(rt, "012345678901") == []
    with pytest.raises(Conflict):
        reuse.attach(rt, _dossier(rt, "012345678901"), pending.id, actor="rec")


def _jpeg(folder: Path, name: str) -> pipeline.Upload:
    buffer = io.BytesIO()
    Image.new("L", (600, 800), 255).save(buffer, "JPEG", dpi=(300, 300))
    path = folder / name
    path.write_bytes(buffer.getvalue())
    return pipeline.Upload(name, path, "image/jpeg")


def test_a_declared_page_count_that_does_not_match_is_refused_before_storing(
    rt: Runtime, tmp_path: Path
) -> None:
    code = _dossier(rt, None)
    uploads = [_jpeg(tmp_path, "a.jpg"), _jpeg(tmp_path, "b.jpg")]
    with pytest.raises(PageCountMismatch) as refused:
        pipeline.submit_document(
            rt, code, uploads, kind=DocumentKind.SUBMITTED, type_name="Tờ khai", summary=None,
            actor="rec", declared_pages=3,
        )  # fmt: skip
    assert refused.value.status == 422
    assert refused.value.detail_vi and "khác số trang kê khai (3)" in refused.value.detail_vi
    with rt.sessions() as session:
        assert records.documents_of(session, records.get_dossier(session, code)) == []


def test_periods_split_by_iso_week_and_by_calendar_month() -> None:
    weeks = period_buckets(date(2026, 11, 25), date(2026, 12, 9), "week")
    assert weeks == [
        (date(2026, 11, 25), date(2026, 11, 29)),
        (date(2026, 11, 30), date(2026, 12, 6)),
        (date(2026, 12, 7), date(2026, 12, 9)),
    ]
    months = period_buckets(date(2026, 11, 15), date(2027, 1, 3), "month")
    assert months == [
        (date(2026, 11, 15), date(2026, 11, 30)),
        (date(2026, 12, 1), date(2026, 12, 31)),
        (date(2027, 1, 1), date(2027, 1, 3)),
    ]
    assert period_buckets(date(2026, 2, 1), date(2026, 1, 1), "week") == []


def test_the_trend_adds_up_to_the_period(rt: Runtime) -> None:
    for _ in range(3):
        _dossier(rt, None)
    today = today_vietnam()
    start, end = today - timedelta(days=200), today + timedelta(days=1)
    with rt.sessions() as session:
        points = trend(session, agency_code=AGENCY, start=start, end=end, by="month")
        total = digitization_indicators(session, agency_code=AGENCY, start=start, end=end)
    assert sum(p.indicators.dossiers_received for p in points) == total.dossiers_received == 3
    assert points[-1].label[:4].isdigit() and len(points) <= 120


def test_each_trend_bucket_equals_the_indicators_of_its_days(rt: Runtime) -> None:
    earlier = _dossier(rt, "012345678901")
    source = _signed_document(rt, earlier)
    reuse.attach(rt, _dossier(rt, "012345678901"), source, actor="rec")
    with rt.session() as session:
        result = records.add_document(
            session, records.get_dossier(session, earlier), kind=DocumentKind.RESULT,
            type_name="Quyết định",
        )  # fmt: skip
        result.status = DocumentStatus.SIGNED
    today = today_vietnam()
    with rt.sessions() as session:
        for by in ("week", "month"):
            points = trend(
                session, agency_code=AGENCY, start=today - timedelta(days=40),
                end=today + timedelta(days=3), by=by,
            )  # fmt: skip
            for point in points:
                alone = digitization_indicators(
                    session, agency_code=AGENCY, start=point.start, end=point.end
                )
                assert point.indicators == alone, (by, point.label)
            assert sum(p.indicators.documents_reused for p in points) == 1
            totals, again = period_with_trend(
                session, agency_code=AGENCY, start=today - timedelta(days=40),
                end=today + timedelta(days=3), by=by,
            )  # fmt: skip
            assert again == points
            assert totals == digitization_indicators(
                session, agency_code=AGENCY, start=today - timedelta(days=40),
                end=today + timedelta(days=3),
            )  # fmt: skip
            assert sum(p.indicators.results_digitized_signed for p in points) == 1
