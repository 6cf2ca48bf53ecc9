"""Is a page's text layer real text? Judged, not counted (lớp chữ có thật hay không).

A born-digital page is kept with its own text only if that text is what the page shows. Layers
that fail are treated as no text (the page is OCR'd) and the reason goes into the page report:

- ``unreadable``: poppler could not read the layer at all;
- ``no-text``: fewer than a few visible characters;
- ``unmapped-glyphs``: mostly codes without a Unicode mapping (a Type3 or symbolic font without
  ToUnicode: what ``pdftotext`` returns are control characters, U+FFFD or private-use points);
- ``wrong-script``: mostly CJK/Hangul/Yi code points on a page in a Latin-script language: the
  signature of UTF-16 text read with its bytes swapped (``Mul`` → ``䴀甀氀``);
- ``contradicted-by-ocr``: Tesseract reads the page and finds words the layer does not have.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

#: A page with fewer visible characters than this counts as having no text layer.
MIN_TEXT_CHARS = 8
#: Share of unmapped characters above which a layer is not text.
MAX_UNMAPPED_SHARE = 0.10
#: Share of CJK-like characters above which a Latin-script page's layer is not text.
MAX_FOREIGN_SHARE = 0.20
#: Tesseract must read at least this many words before its reading can contradict a layer.
MIN_OCR_WORDS = 12
#: Share of Tesseract's confident words found in the layer below which the layer is contradicted
#: (a real layer shares most of them; a wrong encoding shares almost none).
MIN_SHARED_WORDS = 0.25
#: Only Tesseract's confident words are compared (low-confidence ones may be noise).
_CONFIDENT = 70.0

#: Tesseract languages written in a Latin script (the CJK check applies to them).
LATIN_SCRIPT = frozenset(
    (
        "vie",
        "eng",
        "fra",
        "deu",
        "spa",
        "ita",
        "por",
        "nld",
        "pol",
        "ces",
        "slk",
        "hun",
        "ron",
        "tur",
        "ind",
        "msa",
        "tgl",
        "swe",
        "dan",
        "nor",
        "fin",
        "lat",
        "cat",
        "est",
    )
)
#: Blocks that swapped UTF-16 Latin text lands in (and no Latin-script page uses).
_FOREIGN_BLOCKS = (
    (0x2E80, 0x9FFF),  # CJK radicals, kana, CJK ideographs (ext. A and unified)
    (0xA000, 0xA4CF),  # Yi
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x20000, 0x3FFFF),  # supplementary ideographs
)


@dataclass(frozen=True)
class Verdict:
    """Whether a text layer is usable, and why not (``reason`` is "" when it is)."""

    usable: bool
    reason: str = ""


def _unmapped(char: str) -> bool:
    if char == "\ufffd":
        return True
    category = unicodedata.category(char)
    return category in ("Cc", "Co", "Cn", "Cs")


def _foreign(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _FOREIGN_BLOCKS)


def judge(text: str, languages: str) -> Verdict:
    """Judge a layer from its characters alone (cheap: no rendering, no OCR)."""
    visible = [c for c in text if not c.isspace()]
    if len(visible) < MIN_TEXT_CHARS:
        return Verdict(False, "no-text")
    if sum(_unmapped(c) for c in visible) / len(visible) > MAX_UNMAPPED_SHARE:
        return Verdict(False, "unmapped-glyphs")
    latin = all(lang in LATIN_SCRIPT for lang in languages.split("+"))
    if latin and sum(_foreign(c) for c in visible) / len(visible) > MAX_FOREIGN_SHARE:
        return Verdict(False, "wrong-script")
    return Verdict(True)


def _fold(word: str) -> str:
    """Compare words without case, tone marks or punctuation (OCR slips on those)."""
    decomposed = unicodedata.normalize("NFKD", word.casefold().replace("đ", "d"))
    return "".join(c for c in decomposed if c.isalnum())


def contradicted(layer_words: Iterable[str], ocr_words: Iterable[tuple[str, float]]) -> bool:
    """True if Tesseract's confident reading of the page shares almost no word with the layer."""
    layer = {folded for w in layer_words if len(folded := _fold(w)) >= 3}
    confident = [
        folded for w, conf in ocr_words if conf >= _CONFIDENT and len(folded := _fold(w)) >= 3
    ]
    if len(confident) < MIN_OCR_WORDS:
        return False
    shared = sum(1 for w in confident if w in layer)
    return shared / len(confident) < MIN_SHARED_WORDS
