"""``sohoa indicators --from --to [--by week|month] [--json]``: the 766 digitization indicators.

The same figures as the leaders' page and ``GET /api/v1/indicators``: dossiers received,
digitized at reception, results digitized and signed, reuse, the three rates, and the trend.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Annotated

import typer

from cli.options import parse_day
from core.errors import InputError
from core.settings import get_settings

_VIETNAM = timezone(timedelta(hours=7))


def indicators(
    from_: Annotated[
        str | None, typer.Option("--from", help="first day YYYY-MM-DD (default: 12 weeks ago)")
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="last day YYYY-MM-DD (default: today)")
    ] = None,
    by: Annotated[str, typer.Option("--by", help="trend by week or month")] = "week",
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """The 766 digitization indicators (Bộ chỉ số 766) of the agency for a period."""
    from pipeline.bootstrap import open_runtime
    from storage.indicators import period_with_trend

    end = parse_day(to, "--to") or datetime.now(_VIETNAM).date()
    start = parse_day(from_, "--from") or end - timedelta(days=83)
    if start > end:
        raise InputError("--from is after --to", detail_vi="--from sau --to")
    if by not in ("week", "month"):
        raise InputError("--by must be week or month", detail_vi="--by phải là week hoặc month")
    settings = get_settings()
    rt = open_runtime(settings, migrate=True)
    try:
        with rt.sessions() as session:
            totals, points = period_with_trend(
                session,
                agency_code=settings.agency_code,
                start=start,
                end=end,
                by="month" if by == "month" else "week",
            )
    finally:
        rt.close()
    if as_json:
        body = {
            **totals.as_dict(),
            "by": by,
            "trend": [{"label": p.label, **p.indicators.as_dict()} for p in points],
        }
        typer.echo(json.dumps(body, ensure_ascii=False))
        return
    typer.echo(f"{settings.agency_code}  {start.isoformat()} … {end.isoformat()}")
    rows = (
        ("Hồ sơ tiếp nhận / dossiers received", totals.dossiers_received, None),
        (
            "Số hóa khi tiếp nhận / digitized at reception",
            totals.dossiers_digitized_at_reception,
            totals.digitized_at_reception_rate,
        ),
        (
            "Kết quả số hóa, ký số / results digitized and signed",
            totals.results_digitized_signed,
            totals.results_digitized_rate,
        ),
        ("Giấy tờ tái sử dụng / documents reused", totals.documents_reused, totals.reuse_rate),
    )
    for label, value, rate in rows:
        typer.echo(f"  {label:<55} {value:>6}" + (f"  {rate:7.1%}" if rate is not None else ""))
    typer.echo(f"  trend by {by}:")
    for p in points:
        i = p.indicators
        typer.echo(
            f"    {p.label:<9} received {i.dossiers_received:>4}  digitized "
            f"{i.dossiers_digitized_at_reception:>4}  results signed "
            f"{i.results_digitized_signed:>4}/{i.results_issued:<4} reused {i.documents_reused:>4}"
        )


def register(app: typer.Typer) -> None:
    app.command("indicators")(indicators)
