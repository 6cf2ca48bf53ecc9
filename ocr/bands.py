"""A page read as two bands at once, so a core left idle at the end of a document helps.

Pages are read one Tesseract process per core. A document whose page count is not a multiple
of the jobs ends with a round of fewer pages than cores: a 3-page document on 2 cores reads
pages 1 and 2 together, then page 3 alone while a core idles, and a 1-page desk upload leaves
the second core idle throughout. Tesseract's own threads do not help (on one page 2 OpenMP
threads were no faster than 1, measured), so such a page is cut in two across a blank band
between text lines near its middle, and both halves are read at once, each by its own
single-threaded process: about half the wall time for that page, the same CPU.

The cut only ever runs through rows with no ink, at least ``MIN_GAP_MM`` high, so no line of
text (or column of a table) is split; a page without such a band is read whole. The halves'
words are put back into page coordinates, the lower half's blocks numbered after the upper's,
so the reading order and paragraphs come out as from one reading.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from PIL import Image

from ocr import preprocess, tesseract
from ocr.page import Word
from ocr.tesseract import Keyed, OcrOptions

#: A cut runs through a blank band at least this high (millimetres; the gap between two lines
#: of 12 pt text at single spacing is about 1.5 mm).
MIN_GAP_MM = 1.0
#: The cut is looked for in this middle share of the page's height.
SEARCH = (0.3, 0.7)
#: A row counts as blank when its mean ink (0–255 over the analysis copy) is at most this:
#: a speck or two of scanner dust in a row does not make it text.
_BLANK = 1


def find_cut(gray: Image.Image, dpi: int) -> int | None:
    """The row (in ``gray``'s pixels) to cut the page at, or None if no blank band is found."""
    mask = preprocess.ink_mask(gray, dpi)
    factor = gray.height / mask.height
    profile = mask.resize((1, mask.height), Image.Resampling.BOX).tobytes()
    analysis_dpi = dpi / factor
    min_rows = max(2, round(MIN_GAP_MM / 25.4 * analysis_dpi))
    low, high = (round(share * mask.height) for share in SEARCH)
    middle = mask.height / 2
    best: tuple[float, int] | None = None
    start: int | None = None
    for row in range(low, high + 1):
        blank = row < high and profile[row] <= _BLANK
        if blank and start is None:
            start = row
        elif not blank and start is not None:
            if row - start >= min_rows:
                centre = (start + row) / 2
                if best is None or abs(centre - middle) < best[0]:
                    best = (abs(centre - middle), round(centre * factor))
            start = None
    return None if best is None else best[1]


def _shifted(keyed: Keyed, dy: float, block_offset: int) -> Keyed:
    return [
        (
            (block + block_offset, par, line),
            [Word(w.text, w.left, w.top + dy, w.right, w.bottom + dy, w.confidence) for w in words],
        )
        for (block, par, line), words in keyed
    ]


def read_in_bands(gray: Image.Image, dpi: int, options: OcrOptions) -> Keyed:
    """Read ``gray`` as two bands at once (or whole, when it has no blank band to cut at)."""
    # A page under two inches high is not worth two Tesseract start-ups.
    cut = find_cut(gray, dpi) if gray.height >= 2 * dpi else None
    if cut is None or not 0 < cut < gray.height:
        return tesseract.read(gray, dpi, options)
    upper = gray.crop((0, 0, gray.width, cut))
    lower = gray.crop((0, cut, gray.width, gray.height))
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="ocr-band") as pool:
        top, bottom = pool.map(lambda band: tesseract.read(band, dpi, options), (upper, lower))
    offset = max((block for (block, _p, _l), _w in top), default=0)
    return top + _shifted(bottom, float(cut), offset)


__all__ = ["MIN_GAP_MM", "find_cut", "read_in_bands"]
