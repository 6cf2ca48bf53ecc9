"""Where the stamps and the QR code go: free space at or nearest their prescribed corner.

Pure: a page size, the page's occupied rectangles (word boxes and inked areas, found by
``ocr.layout`` and passed in by the pipeline) and the stamp sizes in; the chosen rectangles out.
:func:`signing.pades.sign_pdf` places its stamp with :func:`plan_stamps`, and a preview of page 1
calls the same function (``pipeline.adapters.stamp_plan``), so the two always agree.

The order of resort, for each stamp:

1. full size, as near its corner as free space allows (within the corner's quarter of the page);
2. the font (and with it the box) shrunk step by step down to :data:`MIN_READABLE_FONT`;
3. a narrow strip in the top or bottom page margin (two lines at the smallest readable size);
4. an appended signature-information page, where it stands at its prescribed corner.

When an appended page is not possible (a signed document may not gain pages) the stamp stays
at its prescribed corner and the plan says it overlaps content.

Coordinates are PDF points on the page *as displayed* (after /Rotate), origin bottom-left.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from signing.request import Corner

Rect = tuple[float, float, float, float]

#: The smallest stamp font size accepted when shrinking (points). No Vietnamese rule fixes the
#: size for a digitized copy's signature information (Decree 30/2020/NĐ-CP Appendix I asks size
#: 10-13 for an administrative document's own signature block); 6 pt is the common floor for
#: small print that stays legible on paper.
MIN_READABLE_FONT = 6.0
#: Free space kept between a stamp and any word or ink: a frame touching a glyph reads as
#: striking it through (the complaint of issue #13).
CLEARANCE = 4.0
#: A margin strip may come this close to the paper's edge: office printers leave ~3-5 mm
#: unprinted, so 10 pt (3.5 mm) is the least that survives printing.
STRIP_EDGE = 10.0
#: How far into the page a margin strip may reach from the top or bottom edge (1 inch).
STRIP_BAND = 72.0
#: Room kept around a stamp just placed: the clearance plus one grid cell. A later signature
#: sees that stamp as an obstacle padded by the clearance and rounded out to whole cells, and
#: must still find the room this plan kept for it.
PLACED_GAP_CELLS = 1
#: Search grid (points). Finer costs time; 3 pt is under a stroke's width at the 4 pt clearance.
CELL = 3.0


PLACED_GAP = CLEARANCE + PLACED_GAP_CELLS * CELL


class Where(StrEnum):
    """How a stamp was placed (reported in the plan)."""

    CORNER = "corner"
    SHRUNK = "shrunk"
    MARGIN_STRIP = "margin-strip"
    APPENDED_PAGE = "appended-page"
    #: No free space and no page could be appended: at its corner, over content.
    OVERLAPS = "overlaps-content"


@dataclass(frozen=True)
class StampSpec:
    """One thing to place: its name, prescribed corner and full size.

    Args:
        name: ``"agency"``, ``"officer"`` or ``"qr"`` (any name; it keys the plan).
        corner: Where the rule puts it (see :class:`signing.request.SigningPolicy`).
        width, height: Full size in points.
        min_scale: Smallest allowed scale (the font shrinks with the box); 1.0 = fixed size.
        strip: (width, height) of its margin-strip form, or ``None`` if it has none (a QR
            code cannot be squeezed into a strip and stay readable).
    """

    name: str
    corner: Corner
    width: float
    height: float
    min_scale: float = 1.0
    strip: tuple[float, float] | None = None


@dataclass(frozen=True)
class Placement:
    """Where one stamp goes: its rectangle, scale, how it was placed and on which page.

    ``page`` is 0 for page 1; ``None`` means the appended signature-information page.
    """

    name: str
    rect: Rect
    scale: float
    where: Where
    page: int | None = 0


@dataclass(frozen=True)
class StampPlan:
    """The placements, in planning order, and whether an appended page is needed."""

    placements: tuple[Placement, ...]
    page_box: Rect
    notes: tuple[str, ...] = field(default=())

    @property
    def appended_page(self) -> bool:
        return any(p.page is None for p in self.placements)

    def get(self, name: str) -> Placement | None:
        return next((p for p in self.placements if p.name == name), None)


def plan_stamps(
    page_box: Rect,
    occupied: Iterable[Rect],
    stamps: Sequence[StampSpec],
    *,
    margin: float = 18.0,
    can_append: bool = True,
    appendix_occupied: Iterable[Rect] = (),
) -> StampPlan:
    """Choose a rectangle for each of ``stamps`` that touches no occupied area.

    Args:
        page_box: Page 1 as displayed, ``(0, 0, width, height)`` in points.
        occupied: Word boxes and inked areas of page 1 (displayed coordinates, bottom-left).
        stamps: What to place, in priority order; each placed stamp is occupied for the next.
        margin: Distance from the page edges at a corner (``SOHOA_STAMP_MARGIN``).
        can_append: Whether an appended signature-information page is possible (not once
            the document is signed: a new page would break the earlier signatures).
        appendix_occupied: What is already on an existing appended page (a later signature).

    Returns:
        One :class:`Placement` per stamp; ``page=None`` for the appended page.
    """
    if not stamps:  # an invisible signature on a signed document: nothing to place
        return StampPlan((), page_box)
    grid = _Grid(page_box, occupied)
    appendix: _Grid | None = None
    placements: list[Placement] = []
    notes: list[str] = []
    for spec in stamps:
        found = _on_page(grid, spec, margin)
        if found is not None:
            grid.add(found.rect, PLACED_GAP)
            placements.append(found)
            if found.where is not Where.CORNER:
                notes.append(f"{spec.name}: {found.where.value} (scale {found.scale:.2f})")
            continue
        if can_append:
            appendix = appendix or _Grid(page_box, appendix_occupied)
            rect = _nearest(appendix, spec.corner, spec.width, spec.height, margin, quarter=False)
            rect = rect or corner_rect(page_box, spec.corner, spec.width, spec.height, margin)
            appendix.add(rect, PLACED_GAP)
            placements.append(Placement(spec.name, rect, 1.0, Where.APPENDED_PAGE, page=None))
            notes.append(f"{spec.name}: no free space on page 1, appended page")
        else:
            rect = corner_rect(page_box, spec.corner, spec.width, spec.height, margin)
            grid.add(rect, PLACED_GAP)
            placements.append(Placement(spec.name, rect, 1.0, Where.OVERLAPS))
            notes.append(f"{spec.name}: no free space and no page can be appended; overlaps")
    return StampPlan(tuple(placements), page_box, tuple(notes))


def _on_page(grid: _Grid, spec: StampSpec, margin: float) -> Placement | None:
    scale = 1.0
    while scale >= spec.min_scale - 1e-9:
        w, h = spec.width * scale, spec.height * scale
        rect = _nearest(grid, spec.corner, w, h, margin, quarter=True)
        if rect is not None:
            where = Where.CORNER if scale == 1.0 else Where.SHRUNK
            return Placement(spec.name, rect, round(scale, 3), where)
        scale -= 0.05
    if spec.strip is not None:
        rect = _strip(grid, spec.corner, *spec.strip)
        if rect is not None:
            return Placement(spec.name, rect, spec.strip[1] / spec.height, Where.MARGIN_STRIP)
    return None


def corner_rect(box: Rect, corner: Corner, w: float, h: float, margin: float) -> Rect:
    """The w×h rectangle exactly at ``corner`` of ``box``, ``margin`` from its edges."""
    x0, y0, x1, y1 = box
    left = corner in (Corner.TOP_LEFT, Corner.BOTTOM_LEFT)
    top = corner in (Corner.TOP_LEFT, Corner.TOP_RIGHT)
    x = x0 + margin if left else x1 - margin - w
    y = y1 - margin - h if top else y0 + margin
    return (x, y, x + w, y + h)


def _nearest(
    grid: _Grid, corner: Corner, w: float, h: float, margin: float, *, quarter: bool
) -> Rect | None:
    """The free w×h rectangle nearest ``corner`` (inside the margin; in its quarter if asked)."""
    x0, y0, x1, y1 = grid.box
    ideal = corner_rect(grid.box, corner, w, h, margin)
    lo_x, hi_x = x0 + margin, x1 - margin - w
    lo_y, hi_y = y0 + margin, y1 - margin - h
    if quarter:
        # The stamp's centre stays in the corner's half, horizontally and vertically.
        mid_x, mid_y = (x0 + x1) / 2, (y0 + y1) / 2
        if corner in (Corner.TOP_LEFT, Corner.BOTTOM_LEFT):
            hi_x = min(hi_x, mid_x - w / 2)
        else:
            lo_x = max(lo_x, mid_x - w / 2)
        if corner in (Corner.TOP_LEFT, Corner.TOP_RIGHT):
            lo_y = max(lo_y, mid_y - h / 2)
        else:
            hi_y = min(hi_y, mid_y - h / 2)
    return grid.nearest_free(ideal[0], ideal[1], w, h, (lo_x, lo_y, hi_x, hi_y))


def _strip(grid: _Grid, corner: Corner, w: float, h: float) -> Rect | None:
    """A w×h strip in the top or bottom margin band, the corner's edge first."""
    x0, y0, x1, y1 = grid.box
    top = corner in (Corner.TOP_LEFT, Corner.TOP_RIGHT)
    left = corner in (Corner.TOP_LEFT, Corner.BOTTOM_LEFT)
    ideal_x = x0 + STRIP_EDGE if left else x1 - STRIP_EDGE - w
    bands = [
        (y1 - STRIP_EDGE - h, (y1 - STRIP_BAND, y1 - STRIP_EDGE - h)),
        (y0 + STRIP_EDGE, (y0 + STRIP_EDGE, y0 + STRIP_BAND - h)),
    ]
    for ideal_y, (lo_y, hi_y) in bands if top else bands[::-1]:
        bounds = (x0 + STRIP_EDGE, lo_y, x1 - STRIP_EDGE - w, hi_y)
        rect = grid.nearest_free(ideal_x, ideal_y, w, h, bounds)
        if rect is not None:
            return rect
    return None


class _Grid:
    """The page as a grid of CELL-point cells, occupied or free, with a summed-area table."""

    def __init__(self, box: Rect, occupied: Iterable[Rect]) -> None:
        self.box = box
        self.cols = max(1, int((box[2] - box[0]) / CELL) + 1)
        self.rows = max(1, int((box[3] - box[1]) / CELL) + 1)
        self.cells = [bytearray(self.cols) for _ in range(self.rows)]
        for rect in occupied:
            self.add(rect, CLEARANCE)

    def add(self, rect: Rect, pad: float = CLEARANCE) -> None:
        c0, r0, c1, r1 = self._span((rect[0] - pad, rect[1] - pad, rect[2] + pad, rect[3] + pad))
        for r in range(r0, r1):
            row = self.cells[r]
            row[c0:c1] = b"\x01" * (c1 - c0)
        self._sat: list[list[int]] | None = None

    def _span(self, rect: Rect) -> tuple[int, int, int, int]:
        """Cells touched by ``rect`` (half-open), clipped to the grid."""
        bx, by = self.box[0], self.box[1]
        c0 = max(0, int((rect[0] - bx) // CELL))
        r0 = max(0, int((rect[1] - by) // CELL))
        c1 = min(self.cols, int(-(-(rect[2] - bx) // CELL)))
        r1 = min(self.rows, int(-(-(rect[3] - by) // CELL)))
        return c0, r0, max(c0, c1), max(r0, r1)

    def _table(self) -> list[list[int]]:
        sat = getattr(self, "_sat", None)
        if sat is None:
            # rows of running sums (itertools.accumulate runs in C), each added to the last
            previous = [0] * (self.cols + 1)
            sat = [previous]
            for row in self.cells:
                running = [0, *itertools.accumulate(row)]
                previous = [a + b for a, b in zip(running, previous, strict=True)]
                sat.append(previous)
            self._sat = sat
        return sat

    def is_free(self, rect: Rect) -> bool:
        c0, r0, c1, r1 = self._span(rect)
        sat = self._table()
        return sat[r1][c1] - sat[r0][c1] - sat[r1][c0] + sat[r0][c0] == 0

    def nearest_free(
        self, ideal_x: float, ideal_y: float, w: float, h: float, bounds: Rect
    ) -> Rect | None:
        """The free w×h rectangle with its origin in ``bounds`` nearest (ideal_x, ideal_y).

        The ideal spot is tried exactly (a stamp on an empty page sits exactly at its
        corner); otherwise origins on cell boundaries are searched, rows nearest first, each
        row's free windows found in one pass over the summed-area table.
        """
        lo_x, lo_y, hi_x, hi_y = bounds
        if lo_x > hi_x + 1e-6 or lo_y > hi_y + 1e-6:
            return None
        ix, iy = min(max(ideal_x, lo_x), hi_x), min(max(ideal_y, lo_y), hi_y)
        if self.is_free((ix, iy, ix + w, iy + h)):
            return (ix, iy, ix + w, iy + h)
        bx, by = self.box[0], self.box[1]
        wc, hc = math.ceil(w / CELL - 1e-9), math.ceil(h / CELL - 1e-9)
        c_lo = max(0, math.ceil((lo_x - bx) / CELL - 1e-9))
        c_hi = min(self.cols - wc, math.floor((hi_x - bx) / CELL + 1e-9))
        r_lo = max(0, math.ceil((lo_y - by) / CELL - 1e-9))
        r_hi = min(self.rows - hc, math.floor((hi_y - by) / CELL + 1e-9))
        if c_lo > c_hi or r_lo > r_hi:
            return None
        sat = self._table()
        best: tuple[float, Rect] | None = None
        for r in sorted(range(r_lo, r_hi + 1), key=lambda r: abs(by + r * CELL - iy)):
            y = by + r * CELL
            dy2 = (y - iy) ** 2
            if best is not None and dy2 >= best[0]:
                break  # rows come nearest first: nothing farther can be nearer
            top, bottom = sat[r + hc], sat[r]
            band = [t - b for t, b in zip(top, bottom, strict=True)]
            free = [c for c in range(c_lo, c_hi + 1) if band[c + wc] == band[c]]
            if not free:
                continue
            c = min(free, key=lambda c: abs(bx + c * CELL - ix))
            x = bx + c * CELL
            d = dy2 + (x - ix) ** 2
            if best is None or d < best[0]:
                best = (d, (x, y, x + w, y + h))
        return best[1] if best else None


def intersects(a: Rect, b: Rect) -> bool:
    """Whether two rectangles overlap (touching edges do not count)."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


__all__ = [
    "CLEARANCE",
    "MIN_READABLE_FONT",
    "Placement",
    "Rect",
    "StampPlan",
    "StampSpec",
    "Where",
    "corner_rect",
    "intersects",
    "plan_stamps",
]
