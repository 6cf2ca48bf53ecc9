"""Tesseract, and the work done for one page: the only place sohoa calls Tesseract.

Each page runs in its own worker with a single-threaded Tesseract (``OMP_THREAD_LIMIT=1``):
Tesseract's default OpenMP threading is about 2× slower per page than one process per core.
Recognition uses ``--psm 1`` (layout analysis with orientation detection), which reads a page
turned by 90°/180°/270° correctly at a fraction of the cost of a separate OSD pass; the turn is
then read back from the word boxes (``preprocess.rotation_from_flow``).
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
from ocr.preprocess import Box
from ocr.raster import LoadedPage, load_page

# Set before any Tesseract process starts; worker processes inherit it.
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


def _config(dpi: int, options: OcrOptions) -> str:
    config = f"--psm 1 --dpi {dpi}"
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
            )
        except pytesseract.TesseractNotFoundError as exc:
            raise ConfigurationError("tesseract is not installed") from exc
        except pytesseract.TesseractError as exc:
            raise OCRFailed(f"tesseract failed: {exc.message}") from exc
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


def _place(word: Word, rotation: int, size: tuple[int, int], scale: float) -> Word:
    box = preprocess.rotate_box(Box(word.left, word.top, word.right, word.bottom), rotation, *size)
    return Word(
        word.text,
        box.left * scale,
        box.top * scale,
        box.right * scale,
        box.bottom * scale,
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


def store_image(image: Image.Image, original_jpeg: bytes | None, quality: int) -> StoredImage:
    """Encode the page image for the PDF: JPEG for grey/colour, Flate 1-bit for bilevel."""
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
    if original_jpeg is not None:
        return StoredImage(original_jpeg, "/DCTDecode", image.width, image.height, space, 8)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, optimize=False)
    return StoredImage(buffer.getvalue(), "/DCTDecode", image.width, image.height, space, 8)


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
    ocr_dpi = plan.dpi
    if plan.dpi < options.min_dpi:
        factor = options.min_dpi / plan.dpi
        gray = gray.resize(
            (round(gray.width * factor), round(gray.height * factor)), Image.Resampling.BICUBIC
        )
        ocr_dpi = options.min_dpi
    timings["preprocess"] = time.perf_counter() - mark
    mark = time.perf_counter()
    keyed = _lines_from_tsv(recognise(gray, ocr_dpi, options))
    timings["ocr"] = time.perf_counter() - mark
    mark = time.perf_counter()
    rotation = preprocess.rotation_from_flow(
        [[Box(w.left, w.top, w.right, w.bottom) for w in words] for _, words in keyed]
    )
    scale = 72.0 / ocr_dpi
    lines = tuple(
        _line(tuple(_place(w, rotation, gray.size, scale) for w in words)) for _, words in keyed
    )
    confidences = [w.confidence for _, words in keyed for w in words if w.confidence >= 0]
    stored = store_image(image, loaded.original_jpeg, options.jpeg_quality)
    width, height = image.width * 72.0 / plan.dpi, image.height * 72.0 / plan.dpi
    if rotation in (90, 270):
        width, height = height, width
    timings["encode"] = time.perf_counter() - mark
    return PageResult(
        index=task.index,
        width=width,
        height=height,
        image=stored,
        angle=-applied - rotation,
        dpi=plan.dpi,
        lines=lines,
        text=_page_text(keyed),
        confidence=round(sum(confidences) / len(confidences), 2) if confidences else 0.0,
        rotation=rotation,
        skew=skew.degrees,
        source="ocr",
        timings=timings,
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
    stored = store_image(image, loaded.original_jpeg, task.options.jpeg_quality)
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
    )
