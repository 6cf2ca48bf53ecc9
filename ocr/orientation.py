"""Upright orientation (90° steps), only when two independent readings agree.

A page is turned only when Tesseract OSD proposes the turn with a confidence it reaches on real
turned pages *and* Tesseract's own reading of the page agrees:

- a quarter turn (90°/270°) needs the words of the page as it is to run vertically almost all of
  them (an upright landscape chart or table keeps horizontal titles and captions, so only part
  of its words are vertical labels), and the turned page must read as well;
- a half turn (180°) needs the turned page to read better than the page as it is.

Calibration (rendered Vietnamese pages, 200 and 300 dpi, 3 to 14 lines, and upright landscape
bar charts with vertical category labels; numbers in bench/RESULTS.md): on truly turned pages the
share of letters in vertical runs of text was 0.99–1.00 and OSD (at ≥ 150 dpi) named the right
turn with confidence 3.5–21.7; on the charts OSD confidently (up to 8.7) proposed turning them
by 90°, which is why OSD alone is never enough. Counting every vertical word, a chart with a
one-line title reached 0.97 once Tesseract missed the title; counting only vertical lines of at
least three words (labels come in ones and twos) it stays at 0.07–0.38.
"""

from __future__ import annotations

import time

from PIL import Image

from ocr import bands as ocr_bands
from ocr import preprocess, tesseract
from ocr.tesseract import Keyed, OcrOptions

#: Mean word confidence below which an upright-looking page may be upside down.
SUSPICIOUS_CONFIDENCE = 75.0
#: OSD's own confidence needed before its proposal is considered (right turns measured ≥ 3.5).
MIN_OSD_CONFIDENCE = 2.0
#: Share of the letters in vertical runs of text above which the lines run vertically (turned
#: pages measured 0.99–1.00, upright charts 0.07–0.38).
VERTICAL_SHARE = 0.9
#: Words a vertical line needs to count as running text, not a label.
MIN_LINE_WORDS = 3
#: A quarter-turned reading may be this much less confident than the sideways one and still be
#: kept: Tesseract reads a cleanly sideways page almost as well, but its text layer would not be
#: upright.
QUARTER_TURN_SLACK = 3.0


def vertical_share(keyed: Keyed) -> float:
    """Share of the letters and digits read that lie in vertical *runs of text*.

    A letter counts as vertical when its word is taller than it is wide and its line has at
    least ``MIN_LINE_WORDS`` words: the labels of a chart or table run vertically too, but in
    ones and twos, while a page fed sideways has whole lines of text running vertically.
    """
    vertical = total = 0
    for _key, words in keyed:
        for word in words:
            letters = sum(c.isalnum() for c in word.text)
            if letters < 2:
                continue  # a single character's box says nothing about direction
            total += letters
            tall = word.bottom - word.top > word.right - word.left
            if tall and len(words) >= MIN_LINE_WORDS:
                vertical += letters
    return vertical / total if total else 0.0


def recognise_upright(
    gray: Image.Image,
    dpi: int,
    options: OcrOptions,
    timings: dict[str, float],
    *,
    bands: int = 1,
) -> tuple[Image.Image, int, Keyed]:
    """Read ``gray``; turn it (and read again) only when OSD and the reading agree.

    ``bands`` > 1 reads the page as it is in two bands at once (``ocr.bands``); a turned page
    is read whole.

    Returns:
        The upright image, the clockwise turn applied (0, 90, 180, 270), and its words.
    """
    mark = time.perf_counter()
    if bands > 1:
        keyed = ocr_bands.read_in_bands(gray, dpi, options)
    else:
        keyed = tesseract.read(gray, dpi, options)
    confidence = tesseract.mean_confidence(keyed)
    timings["ocr"] = time.perf_counter() - mark
    share = vertical_share(keyed)
    sideways = share >= VERTICAL_SHARE
    if not sideways and confidence >= SUSPICIOUS_CONFIDENCE:
        return gray, 0, keyed
    mark = time.perf_counter()
    turn, osd_confidence = tesseract.orientation(gray, dpi, options)
    agreed = osd_confidence >= MIN_OSD_CONFIDENCE and (
        (turn in (90, 270) and sideways) or (turn == 180 and not sideways)
    )
    if agreed:
        candidate = preprocess.turn_upright(gray, turn)
        second = tesseract.read(candidate, dpi, options)
        slack = QUARTER_TURN_SLACK if turn in (90, 270) else 0.0
        second_confidence = tesseract.mean_confidence(second)
        better = second_confidence > confidence - slack if slack else second_confidence > confidence
        if better:
            gray, keyed = candidate, second
        else:
            turn = 0
    else:
        turn = 0
    timings["orientation"] = time.perf_counter() - mark
    return gray, turn, keyed
