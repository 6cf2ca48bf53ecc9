"""Digitization indicators of the 766 Index (Bộ chỉ số 766, Quyết định 766/QĐ-TTg).

Public API::

    counts = digitization_indicators(session, agency_code="000.00.00.H00",
                                     start=date(2026, 11, 1), end=date(2026, 11, 30))
    counts.dossiers_received, counts.digitized_at_reception_rate, ...

The period is inclusive and counts dossiers by their reception date (Vietnam local time).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from core.domain import DocumentKind, DocumentStatus
from storage.models import Document, Dossier

_DIGITIZED = (DocumentStatus.DIGITIZED, DocumentStatus.SIGNED)


@dataclass(frozen=True)
class DigitizationIndicators:
    """Counters for one agency and period.

    Attributes:
        dossiers_received: Dossiers received (hồ sơ tiếp nhận).
        dossiers_digitized_at_reception: Dossiers with every submitted document digitized
            (số hóa hồ sơ khi tiếp nhận); a dossier without submitted documents does not count.
        results_issued: Result documents (kết quả giải quyết) recorded.
        results_digitized_signed: Result documents digitized and signed (số hóa kết quả).
        documents_reused: Documents that reused an already digitized copy (tái sử dụng).
    """

    agency_code: str
    start: date
    end: date
    dossiers_received: int
    dossiers_digitized_at_reception: int
    results_issued: int
    results_digitized_signed: int
    documents_reused: int
    #: Submitted documents received in the period (the base of the reuse rate).
    documents_submitted: int = 0
    #: Pages the OCR quality gate marked needs_rescan (trang cần quét lại), in documents of
    #: dossiers received in the period.
    pages_to_rescan: int = 0

    @property
    def digitized_at_reception_rate(self) -> float:
        return _rate(self.dossiers_digitized_at_reception, self.dossiers_received)

    @property
    def results_digitized_rate(self) -> float:
        return _rate(self.results_digitized_signed, self.results_issued)

    @property
    def reuse_rate(self) -> float:
        """Reused documents among the submitted documents received (tỷ lệ tái sử dụng)."""
        return _rate(self.documents_reused, self.documents_submitted)

    def as_dict(self) -> dict[str, object]:
        """Plain values (dates as ISO strings) plus the rates, for JSON."""
        data: dict[str, object] = asdict(self)
        data["start"] = self.start.isoformat()
        data["end"] = self.end.isoformat()
        data["digitized_at_reception_rate"] = self.digitized_at_reception_rate
        data["results_digitized_rate"] = self.results_digitized_rate
        data["reuse_rate"] = self.reuse_rate
        return data


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def digitization_indicators(
    session: Session, *, agency_code: str, start: date, end: date
) -> DigitizationIndicators:
    """Compute the 766 counters for dossiers received by ``agency_code`` in [start, end]."""
    in_period = (
        Dossier.agency_code == agency_code,
        Dossier.received_on >= start,
        Dossier.received_on <= end,
    )

    def count(stmt: Select[Any]) -> int:
        return int(session.scalar(stmt) or 0)

    submitted = Document.kind == DocumentKind.SUBMITTED
    has_submitted = select(Document.dossier_id).where(submitted)
    has_undigitized = select(Document.dossier_id).where(
        submitted, Document.status.not_in(_DIGITIZED)
    )
    results = (
        select(func.count(Document.id))
        .join(Dossier)
        .where(*in_period, Document.kind == DocumentKind.RESULT)
    )
    return DigitizationIndicators(
        agency_code=agency_code,
        start=start,
        end=end,
        dossiers_received=count(select(func.count(Dossier.id)).where(*in_period)),
        dossiers_digitized_at_reception=count(
            select(func.count(Dossier.id)).where(
                *in_period, Dossier.id.in_(has_submitted), Dossier.id.not_in(has_undigitized)
            )
        ),
        results_issued=count(results),
        results_digitized_signed=count(results.where(Document.status == DocumentStatus.SIGNED)),
        documents_reused=count(
            select(func.count(Document.id))
            .join(Dossier)
            .where(*in_period, Document.reused_from_id.is_not(None))
        ),
        documents_submitted=count(
            select(func.count(Document.id)).join(Dossier).where(*in_period, submitted)
        ),
        pages_to_rescan=count(
            select(func.coalesce(func.sum(Document.pages_to_rescan), 0))
            .join(Dossier)
            .where(*in_period)
        ),
    )


Granularity = Literal["week", "month"]


@dataclass(frozen=True)
class TrendPoint:
    """The indicators of one week (Monday to Sunday) or calendar month, cut to the period."""

    label: str
    start: date
    end: date
    indicators: DigitizationIndicators


def period_buckets(start: date, end: date, by: Granularity) -> list[tuple[date, date]]:
    """Consecutive [first, last] days covering ``start``..``end`` by week or by month."""
    if end < start:
        return []
    buckets: list[tuple[date, date]] = []
    cursor = start
    while cursor <= end:
        if by == "week":
            last = cursor + timedelta(days=6 - cursor.weekday())
        else:
            following = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
            last = following - timedelta(days=1)
        last = min(last, end)
        buckets.append((cursor, last))
        cursor = last + timedelta(days=1)
    return buckets


#: More buckets than this is not a trend a person reads (about two years of weeks).
MAX_BUCKETS = 120


def trend(
    session: Session, *, agency_code: str, start: date, end: date, by: Granularity = "week"
) -> list[TrendPoint]:
    """The 766 indicators week by week (ISO weeks) or month by month over [start, end]."""
    points: list[TrendPoint] = []
    for first, last in period_buckets(start, end, by)[-MAX_BUCKETS:]:
        label = (
            f"{first.isocalendar().year}-W{first.isocalendar().week:02d}"
            if by == "week"
            else f"{first.year}-{first.month:02d}"
        )
        points.append(
            TrendPoint(
                label=label,
                start=first,
                end=last,
                indicators=digitization_indicators(
                    session, agency_code=agency_code, start=first, end=last
                ),
            )
        )
    return points


__all__ = [
    "MAX_BUCKETS",
    "DigitizationIndicators",
    "Granularity",
    "TrendPoint",
    "digitization_indicators",
    "period_buckets",
    "trend",
]
