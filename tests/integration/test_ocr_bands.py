"""A page read in two bands at once reads like the whole page (real Tesseract, ``ocr.bands``)."""

from __future__ import annotations

from ocr.bands import find_cut, read_in_bands
from ocr.tesseract import OcrOptions, page_text, read
from samples.pages import cer, render_page


def test_two_bands_read_what_the_whole_page_reads_in_page_coordinates() -> None:
    page = render_page(11, skew_degrees=0.0, lines=40)
    gray = page.image.convert("L")
    options = OcrOptions()
    cut = find_cut(gray, 300)
    assert cut is not None
    banded = read_in_bands(gray, 300, options)
    whole = read(gray, 300, options)
    assert cer(page.text, page_text(banded)) <= cer(page.text, page_text(whole)) + 0.002
    # Words come back in the page's own coordinates and reading order: the lower band's below
    # the cut, its blocks after the upper band's.
    tops = [words[0].top for _key, words in banded]
    assert tops == sorted(tops)
    assert any(top > cut for top in tops) and any(top < cut for top in tops)
    keys = [key for key, _words in banded]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)


def test_a_strip_of_a_page_is_read_whole() -> None:
    strip = render_page(12, skew_degrees=0.0, lines=3).image.convert("L").crop((0, 0, 2480, 500))
    words = read_in_bands(strip, 300, OcrOptions())  # 500 px: under two inches at 300 dpi
    assert words and words == read(strip, 300, OcrOptions())
