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


def _daily(
    session: Session, *, agency_code: str, start: date, end: date
) -> dict[date, dict[str, int]]:
    """The 766 counters per reception day, in four grouped queries (not four per bucket)."""
    day = Dossier.received_on
    in_period = (Dossier.agency_code == agency_code, day >= start, day <= end)
    submitted = Document.kind == DocumentKind.SUBMITTED
    has_submitted = select(Document.dossier_id).where(submitted)
    has_undigitized = select(Document.dossier_id).where(
        submitted, Document.status.not_in(_DIGITIZED)
    )
    days: dict[date, dict[str, int]] = {}

    def add(rows: Any, *names: str) -> None:
        for row in rows:
            counters = days.setdefault(row[0], {})
            for name, value in zip(names, row[1:], strict=True):
                counters[name] = int(value or 0)

    add(
        session.execute(select(day, func.count(Dossier.id)).where(*in_period).group_by(day)).all(),
        "dossiers_received",
    )
    add(
        session.execute(
            select(day, func.count(Dossier.id))
            .where(*in_period, Dossier.id.in_(has_submitted), Dossier.id.not_in(has_undigitized))
            .group_by(day)
        ).all(),
        "dossiers_digitized_at_reception",
    )
    result = Document.kind == DocumentKind.RESULT
    signed = Document.status == DocumentStatus.SIGNED
    add(
        session.execute(
            select(
                day,
                func.count(Document.id).filter(result),
                func.count(Document.id).filter(result, signed),
                func.count(Document.reused_from_id),
                func.count(Document.id).filter(submitted),
                func.coalesce(func.sum(Document.pages_to_rescan), 0),
            )
            .join(Dossier, Dossier.id == Document.dossier_id)
            .where(*in_period)
            .group_by(day)
        ).all(),
        "results_issued",
        "results_digitized_signed",
        "documents_reused",
        "documents_submitted",
        "pages_to_rescan",
    )
    return days


_COUNTERS = (
    "dossiers_received",
    "dossiers_digitized_at_reception",
    "results_issued",
    "results_digitized_signed",
    "documents_reused",
    "documents_submitted",
    "pages_to_rescan",
)


def trend(
    session: Session, *, agency_code: str, start: date, end: date, by: Granularity = "week"
) -> list[TrendPoint]:
    """The 766 indicators week by week (ISO weeks) or month by month over [start, end].

    Each bucket's figures equal :func:`digitization_indicators` over that bucket's days.
    """
    buckets = period_buckets(start, end, by)[-MAX_BUCKETS:]
    if not buckets:
        return []
    days = _daily(session, agency_code=agency_code, start=buckets[0][0], end=buckets[-1][1])
    points: list[TrendPoint] = []
    for first, last in buckets:
        sums = dict.fromkeys(_COUNTERS, 0)
        for when, counters in days.items():
            if first <= when <= last:
                for name, value in counters.items():
                    sums[name] += value
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
                indicators=DigitizationIndicators(
                    agency_code=agency_code, start=first, end=last, **sums
                ),
            )
        )
    return points


def period_with_trend(
    session: Session, *, agency_code: str, start: date, end: date, by: Granularity = "week"
) -> tuple[DigitizationIndicators, list[TrendPoint]]:
    """The period's indicators and its trend from the same four grouped queries.

    The buckets cover the period exactly (up to :data:`MAX_BUCKETS`), so the period's figures
    are their sums; a longer period falls back to :func:`digitization_indicators`.
    """
    points = trend(session, agency_code=agency_code, start=start, end=end, by=by)
    if len(period_buckets(start, end, by)) > MAX_BUCKETS:
        return digitization_indicators(
            session, agency_code=agency_code, start=start, end=end
        ), points
    sums = {name: sum(getattr(p.indicators, name) for p in points) for name in _COUNTERS}
    return DigitizationIndicators(agency_code=agency_code, start=start, end=end, **sums), points


__all__ = [
    "MAX_BUCKETS",
    "DigitizationIndicators",
    "Granularity",
    "TrendPoint",
    "digitization_indicators",
    "period_buckets",
    "period_with_trend",
    "trend",
]
