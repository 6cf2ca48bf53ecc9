"""Leaders (lãnh đạo): the 766 digitization indicators for a period, a trend chart, CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from core.domain import Role
from pipeline.tokens import CurrentUser
from storage.indicators import Granularity, period_with_trend
from web.charts import trend_chart
from web.i18n import today_vietnam
from web.render import gettext_for, render
from web.session import require, runtime_of

router = APIRouter(prefix="/leader")

LeaderUser = Annotated[CurrentUser, require(Role.LEADER)]
#: The longest period one page computes (the trend is one query set per week or month).
MAX_DAYS = 3 * 366


def _period(start: str, end: str, by: str) -> tuple[date, date, Granularity]:
    today = today_vietnam()
    try:
        last = date.fromisoformat(end) if end else today
    except ValueError:
        last = today
    try:
        first = date.fromisoformat(start) if start else last - timedelta(days=83)
    except ValueError:
        first = last - timedelta(days=83)
    if first > last:
        first, last = last, first
    first = max(first, last - timedelta(days=MAX_DAYS))
    granularity: Granularity = "month" if by == "month" else "week"
    return first, last, granularity


DateQuery = Annotated[str, Query(max_length=10)]


@router.get("")
def indicators_page(
    request: Request,
    user: LeaderUser,
    from_: Annotated[str, Query(alias="from", max_length=10)] = "",
    to: DateQuery = "",
    by: Annotated[str, Query(max_length=5)] = "week",
) -> Response:
    rt = runtime_of(request)
    first, last, granularity = _period(from_, to, by)
    with rt.sessions() as session:
        totals, points = period_with_trend(
            session, agency_code=rt.settings.agency_code, start=first, end=last, by=granularity
        )
    return render(
        request,
        "leader.html",
        {
            "totals": totals,
            "points": points,
            "chart": trend_chart(points),
            "start": first.isoformat(),
            "end": last.isoformat(),
            "by": granularity,
        },
        user=user,
    )


@router.get("/indicators.csv")
def indicators_csv(
    request: Request,
    _user: LeaderUser,
    from_: Annotated[str, Query(alias="from", max_length=10)] = "",
    to: DateQuery = "",
    by: Annotated[str, Query(max_length=5)] = "week",
) -> Response:
    """The trend as CSV (UTF-8 with BOM, so spreadsheet programs read the Vietnamese)."""
    rt = runtime_of(request)
    _ = gettext_for(request)
    first, last, granularity = _period(from_, to, by)
    with rt.sessions() as session:
        totals, points = period_with_trend(
            session, agency_code=rt.settings.agency_code, start=first, end=last, by=granularity
        )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Period"), _("From"), _("To"), _("Dossiers received"),
            _("Digitized at reception"), _("Results issued"), _("Results digitized and signed"),
            _("Documents reused"), _("Rate digitized at reception"),
            _("Rate of results digitized"), _("Reuse rate"),
        ]
    )  # fmt: skip
    for label, i in [(p.label, p.indicators) for p in points] + [(_("Total"), totals)]:
        writer.writerow(
            [
                label, i.start.isoformat(), i.end.isoformat(), i.dossiers_received,
                i.dossiers_digitized_at_reception, i.results_issued, i.results_digitized_signed,
                i.documents_reused, i.digitized_at_reception_rate, i.results_digitized_rate,
                i.reuse_rate,
            ]
        )  # fmt: skip
    name = f"chi-so-766-{first.isoformat()}-{last.isoformat()}.csv"
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
