"""The 766 digitization indicators (Bộ chỉ số 766) for a period, for leaders and admins."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from api.deps import CurrentUser, RuntimeDep, require_roles
from core.domain import Role
from core.errors import InputError
from storage.indicators import period_with_trend

router = APIRouter(prefix="/indicators", tags=["indicators"])

LeaderUser = Annotated[CurrentUser, Depends(require_roles(Role.LEADER))]
_VIETNAM = timezone(timedelta(hours=7))
#: The longest period one request computes.
MAX_DAYS = 3 * 366


@router.get("")
def indicators(
    rt: RuntimeDep,
    _user: LeaderUser,
    from_: Annotated[date | None, Query(alias="from", description="first day (inclusive)")] = None,
    to: Annotated[date | None, Query(description="last day (inclusive), Vietnam time")] = None,
    by: Annotated[Literal["week", "month"], Query(description="trend granularity")] = "week",
) -> dict[str, Any]:
    """Dossiers received, digitized at reception, results digitized and signed, reuse, the
    three rates, and the same figures week by week or month by month."""
    end = to or datetime.now(_VIETNAM).date()
    start = from_ or end - timedelta(days=83)
    if start > end or (end - start).days > MAX_DAYS:
        raise InputError(
            f"the period must run forwards and last at most {MAX_DAYS} days",
            detail_vi=f"Khoảng thời gian không hợp lệ (tối đa {MAX_DAYS} ngày)",
        )
    with rt.sessions() as session:
        totals, points = period_with_trend(
            session, agency_code=rt.settings.agency_code, start=start, end=end, by=by
        )
    return {
        **totals.as_dict(),
        "by": by,
        "trend": [{"label": p.label, **p.indicators.as_dict()} for p in points],
    }
