"""ocr.layout's ink map: inked cells of a low-resolution render become rectangles in PDF
points (page as displayed, origin bottom-left), merged along each row."""

from __future__ import annotations

from ocr.layout import INK_THRESHOLD, PageLayout, ink_rects


def _image(width: int, height: int, dark: list[tuple[int, int]]) -> bytes:
    pixels = bytearray([255] * (width * height))
    for x, y in dark:
        pixels[y * width + x] = 0
    return bytes(pixels)


def test_a_blank_render_has_no_ink() -> None:
    assert ink_rects(_image(20, 20, []), 20, 20, (40.0, 40.0)) == ()


def test_ink_maps_to_points_with_the_origin_at_the_bottom_left() -> None:
    # one dark pixel in the top-left 2x2 cell of a 20x20 px image of a 40x40 pt page
    (rect,) = ink_rects(_image(20, 20, [(1, 0)]), 20, 20, (40.0, 40.0))
    assert rect == (0.0, 36.0, 4.0, 40.0)


def test_a_row_of_ink_is_one_run() -> None:
    dark = [(x, 10) for x in range(4, 16)]
    (rect,) = ink_rects(_image(20, 20, dark), 20, 20, (20.0, 20.0))
    assert rect == (4.0, 8.0, 16.0, 10.0)


def test_paper_grey_is_not_ink() -> None:
    pixels = bytes([INK_THRESHOLD + 10] * 100)
    assert ink_rects(pixels, 10, 10, (10.0, 10.0)) == ()


def test_occupied_is_words_and_ink() -> None:
    layout = PageLayout(10, 10, ((1, 1, 2, 2),), ((3, 3, 4, 4),))
    assert layout.occupied == ((1, 1, 2, 2), (3, 3, 4, 4))
