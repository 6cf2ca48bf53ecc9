"""Tesseract, and the work done for one page: the only place sohoa calls Tesseract.

Pages run in parallel, one single-threaded Tesseract process per core (``OMP_THREAD_LIMIT=1``):
Tesseract's default OpenMP threading is about 2× slower per page than one process per core, and
catastrophically slower (10×, measured) when other work competes for the cores.
Orientation: the skew analysis tells sideways pages from upright ones for free; a page that then
reads poorly (upside down, or sideways the other way) gets a Tesseract OSD pass.
"""

from __future__ import annotations

import io
import os
import tempfile
import time
import unicodedata
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytesseract
from PIL import Image

from core.errors import ConfigurationError, OCRFailed
from ocr import pdftext, preprocess
from ocr.inputs import PagePlan
from ocr.page import PageResult, StoredImage, TextLine, Word
from ocr.raster import LoadedPage, load_page

# Set before any Tesseract process starts (they inherit the environment); an explicit setting
# by the operator wins.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")


@dataclass(frozen=True)
class OcrOptions:
    """How to recognise pages (picklable, derived from ``Settings``)."""

    languages: str = "vie+eng"
    min_dpi: int = 300
    tessdata_dir: Path | None = None
    jpeg_quality: int = 80


@dataclass(frozen=True)
class PageTask:
    """One unit of work for a worker: the page plan, its place in the output, the options."""

    plan: PagePlan
    index: int
    options: OcrOptions


def tesseract_version() -> str:
    """The installed Tesseract version (raises ``ConfigurationError`` if it is missing)."""
    try:
        return str(pytesseract.get_tesseract_version())
    except pytesseract.TesseractNotFoundError as exc:
        raise ConfigurationError("tesseract is not installed (apt install tesseract-ocr)") from exc


#: Seconds one Tesseract run may take before the page is declared failed (a stuck process
#: must not hold a worker forever).
TESSERACT_TIMEOUT = 600
#: Mean word confidence below which a page may be turned: worth an orientation check.
SUSPICIOUS_CONFIDENCE = 75.0
#: OSD's own confidence needed before a second reading is even tried.
MIN_OSD_CONFIDENCE = 1.5


def _config(dpi: int, options: OcrOptions) -> str:
    config = f"--psm 3 --dpi {dpi}"
    if options.tessdata_dir is not None:
        config += f" --tessdata-dir {options.tessdata_dir}"
    return config


def recognise(image: Image.Image, dpi: int, options: OcrOptions) -> dict[str, list[Any]]:
    """Run Tesseract once on ``image`` and return its TSV data (pytesseract DICT form)."""
    with tempfile.TemporaryDirectory(prefix="sohoa-ocr-") as folder:
        # PGM/PPM: Tesseract reads it as fast as anything and writing it costs nothing.
        path = Path(folder) / ("page.pgm" if image.mode in ("L", "1") else "page.ppm")
        image.save(path)
        try:
            data: dict[str, list[Any]] = pytesseract.image_to_data(
                str(path),
                lang=options.languages,
                config=_config(dpi, options),
                output_type=pytesseract.Output.DICT,
                timeout=TESSERACT_TIMEOUT,
            )
        except pytesseract.TesseractNotFoundError as exc:
            raise ConfigurationError("tesseract is not installed") from exc
        except pytesseract.TesseractError as exc:
            raise OCRFailed(f"tesseract failed: {exc.message}") from exc
        except RuntimeError as exc:  # pytesseract's timeout
            raise OCRFailed(f"tesseract took over {TESSERACT_TIMEOUT} s on one page") from exc
    return data


def _lines_from_tsv(data: dict[str, list[Any]]) -> list[tuple[tuple[int, int, int], list[Word]]]:
    lines: dict[tuple[int, int, int], list[Word]] = {}
    for i, level in enumerate(data["level"]):
        text = unicodedata.normalize("NFC", str(data["text"][i]).strip())
        if int(level) != 5 or not text:
            continue
        left, top = float(data["left"][i]), float(data["top"][i])
        right, bottom = left + float(data["width"][i]), top + float(data["height"][i])
        key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        lines.setdefault(key, []).append(
            Word(text, left, top, right, bottom, float(data["conf"][i]))
        )
    return list(lines.items())


def _page_text(keyed: list[tuple[tuple[int, int, int], list[Word]]]) -> str:
    parts: list[str] = []
    previous: tuple[int, int] | None = None
    for (block, par, _line), words in keyed:
        if previous is not None and (block, par) != previous:
            parts.append("")  # blank line between paragraphs
        parts.append(" ".join(w.text for w in words))
        previous = (block, par)
    return "\n".join(parts)


def _scaled(word: Word, scale: float) -> Word:
    return Word(
        word.text,
        word.left * scale,
        word.top * scale,
        word.right * scale,
        word.bottom * scale,
        word.confidence,
    )


def _line(words: tuple[Word, ...]) -> TextLine:
    return TextLine(
        words,
        min(w.left for w in words),
        min(w.top for w in words),
        max(w.right for w in words),
        max(w.bottom for w in words),
    )


def store_image(loaded: LoadedPage, quality: int) -> StoredImage:
    """Encode the page image for the PDF: JPEG for grey/colour, Flate 1-bit for bilevel.

    A source JPEG is kept as it is (no second lossy compression, no resampling).
    """
    image = loaded.image
    if image.mode == "1":
        # Pillow's mode "1" rows are packed MSB-first with 1 = white, exactly PDF's DeviceGray.
        return StoredImage(
            zlib.compress(image.tobytes(), 6),
            "/FlateDecode",
            image.width,
            image.height,
            "/DeviceGray",
            1,
        )
    space = "/DeviceGray" if image.mode == "L" else "/DeviceRGB"
    if loaded.pdf_source is not None:
        return StoredImage(
            b"", "/DCTDecode", image.width, image.height, space, 8, pdf_source=loaded.pdf_source
        )
    if loaded.original_jpeg is not None:
        return StoredImage(loaded.original_jpeg, "/DCTDecode", image.width, image.height, space, 8)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, optimize=False)
    return StoredImage(buffer.getvalue(), "/DCTDecode", image.width, image.height, space, 8)


def detect_orientation(image: Image.Image, dpi: int, options: OcrOptions) -> tuple[int, float]:
    """Tesseract OSD on a half-size copy: (clockwise turn making it upright, confidence)."""
    small = image.reduce(2) if dpi >= 2 * 150 else image
    small_dpi = dpi // 2 if small is not image else dpi
    config = f"--psm 0 --dpi {small_dpi}"
    if options.tessdata_dir is not None:
        config += f" --tessdata-dir {options.tessdata_dir}"
    try:
        osd = pytesseract.image_to_osd(small, config=config, output_type=pytesseract.Output.DICT)
    except pytesseract.TesseractError:
        return 0, 0.0  # too little text to tell: leave the page as it is
    return int(osd["rotate"]) % 360, float(osd["orientation_conf"])


Keyed = list[tuple[tuple[int, int, int], list[Word]]]


def _mean_confidence(keyed: Keyed) -> float:
    confidences = [w.confidence for _, words in keyed for w in words if w.confidence >= 0]
    return sum(confidences) / len(confidences) if confidences else 0.0


def _recognise_upright(
    gray: Image.Image, turn: int, dpi: int, options: OcrOptions, timings: dict[str, float]
) -> tuple[Image.Image, int, Keyed]:
    """Recognise, and if the result looks like a page read upside down or sideways, ask OSD.

    Running Tesseract with ``--psm 1`` (orientation built in) costs ~35% more on every page.
    Instead pages are read with ``--psm 3``; only a page with a poor mean confidence (upright
    text reads at 90+; upside-down text at ~60) pays for an OSD pass and, if OSD proposes a
    turn, a second reading, kept only if it reads better.
    """
    mark = time.perf_counter()
    keyed = _lines_from_tsv(recognise(gray, dpi, options))
    confidence = _mean_confidence(keyed)
    timings["ocr"] = time.perf_counter() - mark
    if confidence >= SUSPICIOUS_CONFIDENCE:
        return gray, turn, keyed
    mark = time.perf_counter()
    extra, osd_confidence = detect_orientation(gray, dpi, options)
    if extra and osd_confidence >= MIN_OSD_CONFIDENCE:
        candidate = preprocess.turn_upright(gray, extra)
        second = _lines_from_tsv(recognise(candidate, dpi, options))
        if _mean_confidence(second) > confidence:
            gray, turn, keyed = candidate, (turn + extra) % 360, second
    timings["orientation"] = time.perf_counter() - mark
    return gray, turn, keyed


def process_page(task: PageTask) -> PageResult:
    """Rasterize, deskew, orient, recognise and encode one page (runs in a worker)."""
    plan, options = task.plan, task.options
    timings: dict[str, float] = {}
    start = time.perf_counter()
    loaded = load_page(plan)
    image = loaded.image
    timings["raster"] = time.perf_counter() - start
    if plan.text_layer:
        found = pdftext.page_text(plan.path, plan.index)
        if pdftext.has_text(found):
            return _text_layer_page(task, loaded, found, timings)
    mark = time.perf_counter()
    skew = preprocess.estimate_skew(image, plan.dpi)
    applied = skew.degrees if abs(skew.degrees) >= preprocess.MIN_CORRECTION else 0.0
    gray = image.convert("L")
    # Nearest-neighbour is 10× faster than bicubic here and reads just as well: the OCR copy is
    # thrown away; the stored image is never resampled (the PDF matrix turns it).
    if applied:
        gray = gray.rotate(-applied, resample=Image.Resampling.NEAREST, fillcolor=255)
    # Lines running vertically: turn clockwise first (the usual way a page is fed sideways);
    # the confidence check below catches the other way round.
    turn = 90 if skew.vertical else 0
    gray = preprocess.turn_upright(gray, turn)
    ocr_dpi = plan.dpi
    if plan.dpi < options.min_dpi:
        factor = options.min_dpi / plan.dpi
        gray = gray.resize(
            (round(gray.width * factor), round(gray.height * factor)), Image.Resampling.BICUBIC
        )
        ocr_dpi = options.min_dpi
    timings["preprocess"] = time.perf_counter() - mark
    gray, turn, keyed = _recognise_upright(gray, turn, ocr_dpi, options, timings)
    mark = time.perf_counter()
    scale = 72.0 / ocr_dpi
    lines = tuple(_line(tuple(_scaled(w, scale) for w in words)) for _, words in keyed)
    stored = store_image(loaded, options.jpeg_quality)
    timings["encode"] = time.perf_counter() - mark
    return PageResult(
        index=task.index,
        width=gray.width * scale,
        height=gray.height * scale,
        image=stored,
        angle=-applied - turn,
        dpi=plan.dpi,
        lines=lines,
        text=_page_text(keyed),
        confidence=round(_mean_confidence(keyed), 2),
        rotation=turn,
        skew=skew.degrees,
        source="ocr",
        timings=timings,
        source_dpi=plan.source_dpi,
    )


def _text_layer_page(
    task: PageTask, loaded: LoadedPage, found: pdftext.PageText, timings: dict[str, float]
) -> PageResult:
    mark = time.perf_counter()
    image = loaded.image
    plan = task.plan
    width, height = image.width * 72.0 / plan.dpi, image.height * 72.0 / plan.dpi
    sx = width / found.width if found.width else 1.0
    sy = height / found.height if found.height else 1.0
    lines = tuple(
        _line(
            tuple(
                Word(w.text, w.left * sx, w.top * sy, w.right * sx, w.bottom * sy, 100.0)
                for w in line.words
            )
        )
        for line in found.lines
    )
    stored = store_image(loaded, task.options.jpeg_quality)
    timings["encode"] = time.perf_counter() - mark
    return PageResult(
        index=task.index,
        width=width,
        height=height,
        image=stored,
        angle=0.0,
        dpi=plan.dpi,
        lines=lines,
        text=found.text,
        confidence=100.0,
        rotation=0,
        skew=0.0,
        source="text-layer",
        timings=timings,
        source_dpi=plan.source_dpi,
    )
