"""Stamp placement: free space at or nearest the prescribed corner, never over content."""

from __future__ import annotations

import time

from signing.placement import (
    CLEARANCE,
    MIN_READABLE_FONT,
    Rect,
    StampSpec,
    Where,
    intersects,
    plan_stamps,
)
from signing.request import Corner
from signing.stamps import stamp_box

A4: Rect = (0.0, 0.0, 595.0, 842.0)
SHRINK = MIN_READABLE_FONT / 8.0
AGENCY = StampSpec("agency", Corner.TOP_RIGHT, 200, 64, min_scale=SHRINK, strip=(250, 21.4))
OFFICER = StampSpec("officer", Corner.TOP_LEFT, 200, 64, min_scale=SHRINK, strip=(250, 21.4))
QR = StampSpec("qr", Corner.BOTTOM_RIGHT, 72, 72)


def _text_lines(top: float, bottom: float, left: float = 72, right: float = 523) -> list[Rect]:
    """Lines of text 12 pt apart between ``top`` and ``bottom`` (PDF y, bottom-left origin)."""
    lines, y = [], top
    while y - 9 >= bottom:
        lines.append((left, y - 9, right, y))
        y -= 12
    return lines


def _clear_of(rect: Rect, occupied: list[Rect]) -> bool:
    return not any(intersects(rect, o) for o in occupied)


def test_an_empty_page_puts_each_stamp_exactly_at_its_corner() -> None:
    plan = plan_stamps(A4, [], [AGENCY, OFFICER, QR])
    for spec in (AGENCY, OFFICER, QR):
        placed = plan.get(spec.name)
        assert placed is not None and placed.where is Where.CORNER and placed.page == 0
        assert placed.rect == stamp_box(spec.corner, A4, spec.width, spec.height, 18)
    assert not plan.appended_page and not plan.notes


def test_text_in_all_four_corners_is_never_covered() -> None:
    # corner headers and footers, body text from 1 inch below the top to the middle
    occupied = [
        (20, 810, 200, 825),
        (395, 810, 575, 825),
        (20, 15, 160, 28),
        (450, 15, 575, 28),
        *_text_lines(770, 430, 20, 575),
    ]
    plan = plan_stamps(A4, occupied, [AGENCY, OFFICER, QR])
    assert not plan.appended_page
    rects = [p.rect for p in plan.placements]
    for placed in plan.placements:
        assert _clear_of(placed.rect, occupied), placed
        assert placed.rect[0] >= 0 and placed.rect[2] <= 595
    for i, a in enumerate(rects):
        assert all(not intersects(a, b) for b in rects[i + 1 :]), "stamps overlap each other"
    qr = plan.get("qr")
    assert qr is not None and qr.rect[1] > 28 and qr.rect[0] > 297, "QR just above the footer"


def test_text_one_inch_from_the_top_shrinks_the_stamp_into_the_top_margin() -> None:
    """The issue's scan: text from 1 inch down; a full stamp (64 pt, 18 pt margin) covers it."""
    occupied = _text_lines(842 - 72, 72)
    full = stamp_box(Corner.TOP_RIGHT, A4, 200, 64, 18)
    assert not _clear_of(full, occupied), "the old fixed box strikes through the first lines"
    plan = plan_stamps(A4, occupied, [AGENCY])
    placed = plan.get("agency")
    assert placed is not None and placed.where is Where.SHRUNK
    assert SHRINK <= placed.scale < 1 and placed.rect[3] == 842 - 18
    assert placed.rect[1] >= 842 - 72 + CLEARANCE, "clear of the first line, with clearance"
    assert _clear_of(placed.rect, occupied)


def test_no_room_in_the_corner_quarter_takes_a_margin_strip() -> None:
    occupied = _text_lines(842 - 40, 30, 20, 575)
    plan = plan_stamps(A4, occupied, [AGENCY])
    placed = plan.get("agency")
    assert placed is not None and placed.where is Where.MARGIN_STRIP
    assert placed.rect[3] - placed.rect[1] < 25 and placed.rect[3] <= 842 - 10
    assert _clear_of(placed.rect, occupied)
    assert plan.notes and "margin-strip" in plan.notes[0]


def test_a_full_page_gets_a_signature_information_page() -> None:
    occupied = [(0.0, 0.0, 595.0, 842.0)]
    plan = plan_stamps(A4, occupied, [AGENCY, OFFICER, QR])
    assert plan.appended_page
    assert all(p.page is None and p.where is Where.APPENDED_PAGE for p in plan.placements)
    # on the (empty) appended page each stands at its prescribed corner
    assert plan.get("qr") is not None
    assert plan.get("agency").rect == stamp_box(Corner.TOP_RIGHT, A4, 200, 64, 18)  # type: ignore[union-attr]
    assert len(plan.notes) == 3


def test_without_an_appended_page_the_overlap_is_reported() -> None:
    plan = plan_stamps(A4, [(0.0, 0.0, 595.0, 842.0)], [AGENCY], can_append=False)
    placed = plan.get("agency")
    assert placed is not None and placed.where is Where.OVERLAPS and placed.page == 0
    assert "overlaps" in plan.notes[0]


def test_the_agency_finds_the_room_kept_for_it_by_the_first_signature() -> None:
    """Planned with the officer's signature, then alone once the officer's stamp and QR exist."""
    occupied = [(20, 810, 575, 825), *_text_lines(760, 300, 20, 575)]
    first = plan_stamps(A4, occupied, [AGENCY, OFFICER, QR])
    officer, qr, agency = first.get("officer"), first.get("qr"), first.get("agency")
    assert officer and qr and agency
    later = plan_stamps(A4, [*occupied, officer.rect, qr.rect], [AGENCY], can_append=False)
    assert later.get("agency") == agency


def test_planning_is_fast_on_a_dense_page() -> None:
    occupied = [(x, y, x + 4, y + 4) for x in range(20, 575, 6) for y in range(20, 820, 6)]
    started = time.perf_counter()
    plan = plan_stamps(A4, occupied, [AGENCY, OFFICER, QR])
    assert plan.appended_page
    assert time.perf_counter() - started < 2.0
