"""Where a page is cut to be read in two bands at once, and which pages are (``ocr.bands``)."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from ocr.bands import find_cut
from ocr.digitize import bands_of


def _ruled(height: int, rows: list[tuple[int, int]]) -> Image.Image:
    """A 300 dpi grey page with black bars (``top``, ``bottom``) standing in for text lines."""
    page = Image.new("L", (2480, height), 255)
    draw = ImageDraw.Draw(page)
    for top, bottom in rows:
        draw.rectangle((200, top, 2280, bottom), fill=0)
    return page


def test_the_cut_runs_through_the_blank_band_nearest_the_middle() -> None:
    lines = [(y, y + 40) for y in range(300, 3300, 60)]  # 20 px (1.7 mm) between lines
    lines = [line for line in lines if not 1500 <= line[0] <= 1700]  # a wider gap near 1600
    page = _ruled(3508, lines)
    cut = find_cut(page, 300)
    assert cut is not None
    assert 0.3 * 3508 <= cut <= 0.7 * 3508
    band = page.crop((0, cut - 2, page.width, cut + 2))
    assert band.getextrema() == (255, 255), "the cut crosses ink"


def test_a_page_without_a_blank_band_in_its_middle_is_read_whole() -> None:
    solid = _ruled(3508, [(900, 2600)])  # a photo or a table's filled body across the middle
    assert find_cut(solid, 300) is None
    tight = _ruled(3508, [(y, y + 58) for y in range(0, 3508, 60)])  # 2 px (0.2 mm) gaps
    assert find_cut(tight, 300) is None


def test_a_blank_page_is_cut_anywhere_in_its_middle() -> None:
    cut = find_cut(Image.new("L", (2480, 3508), 255), 300)
    assert cut is not None and 0.3 * 3508 <= cut <= 0.7 * 3508


@pytest.mark.parametrize(
    ("count", "jobs", "banded"),
    [
        (1, 1, []),  # one job: never
        (1, 2, [0]),  # a 1-page desk upload uses both cores
        (2, 2, []),
        (3, 2, [2]),  # the last page would run alone
        (4, 2, []),
        (5, 4, [4]),
        (6, 4, [4, 5]),
        (7, 4, []),  # 3 pages in the last round of 4 jobs: one core idle, too few to split
    ],
)
def test_only_pages_of_a_last_round_that_leaves_cores_idle_are_banded(
    count: int, jobs: int, banded: list[int]
) -> None:
    assert [i for i in range(count) if bands_of(i, count, jobs) == 2] == banded
