"""The leaders' trend chart: its tick labels never overlap and none runs off the chart."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest

from storage.indicators import DigitizationIndicators, TrendPoint
from web.charts import CHAR_WIDTH, trend_chart


def _points(n: int) -> list[TrendPoint]:
    start = date(2026, 9, 7)
    points = []
    for i in range(n):
        first, last = start + timedelta(weeks=i), start + timedelta(weeks=i, days=6)
        figures = DigitizationIndicators("000.00.00.H00", first, last, i % 3, i % 2, 0, 0, 0)
        points.append(TrendPoint(label=f"2026-W{37 + i:02d}", start=first, end=last,
                                 indicators=figures))  # fmt: skip
    return points


@pytest.mark.parametrize("periods", [1, 5, 13, 26, 53])
def test_tick_labels_never_overlap_and_stay_inside(periods: int) -> None:
    chart = trend_chart(_points(periods))
    spans = [(t.x - len(t.label) * CHAR_WIDTH / 2, t.x + len(t.label) * CHAR_WIDTH / 2)
             for t in chart.ticks]  # fmt: skip
    for (_, left_end), (right_start, _) in pairwise(spans):
        assert right_start > left_end, "two tick labels overlap"
    assert chart.ticks, "at least the first period is labelled"
    last = chart.ticks[-1]
    assert last.x + len(last.label) * CHAR_WIDTH / 2 <= chart.width
