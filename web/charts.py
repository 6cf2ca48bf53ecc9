"""A server-rendered SVG bar chart of the 766 trend (no charting library, no script)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from storage.indicators import TrendPoint

WIDTH = 640
HEIGHT = 240
LEFT = 36
RIGHT = 28  # room for the last label, centred on its bars
BOTTOM = 40
TOP = 12
#: Width of one character of a tick label at the chart's 12 px font, with a gap between labels.
CHAR_WIDTH = 7.0
LABEL_GAP = 10.0


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    series: str  # "a": dossiers received, "b": digitized at reception


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    max_value: int
    axis_y: float
    left: int


def trend_chart(points: list[TrendPoint]) -> Chart:
    """Two bars per period: dossiers received and dossiers digitized at reception."""
    top = max([p.indicators.dossiers_received for p in points] + [1])
    plot_h = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(points))
    bar_w = max(2.0, slot * 0.38)
    bars: list[Bar] = []
    ticks: list[Tick] = []
    # Label every n-th period, n chosen from the labels' width, so that labels never overlap.
    widest = max([len(p.label) for p in points] + [1]) * CHAR_WIDTH + LABEL_GAP
    every = max(1, math.ceil(widest / slot))
    for index, point in enumerate(points):
        x0 = LEFT + index * slot + slot * 0.1
        for offset, series, value in (
            (0.0, "a", point.indicators.dossiers_received),
            (bar_w, "b", point.indicators.dossiers_digitized_at_reception),
        ):
            h = plot_h * value / top
            bars.append(Bar(round(x0 + offset, 1), round(TOP + plot_h - h, 1), round(bar_w, 1),
                            round(h, 1), value, series))  # fmt: skip
        if index % every == 0:
            ticks.append(Tick(round(x0 + bar_w, 1), point.label))
    return Chart(WIDTH, HEIGHT, bars, ticks, top, TOP + plot_h, LEFT)


__all__ = ["Bar", "Chart", "Tick", "trend_chart"]
