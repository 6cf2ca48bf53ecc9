"""The work done for one page: judge its text layer, or deskew, orient and recognise it.

Every page ends as a ``PageResult`` or a ``SohoaError``: whatever a damaged or odd input makes
Pillow, poppler or pikepdf raise is turned into ``OCRFailed`` naming the page, never a
traceback. Tesseract itself is behind ``ocr.tesseract``; orientation in ``ocr.orientation``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

import pikepdf
from PIL import Image

from core.errors import CorruptFile, OCRFailed, SohoaError
from ocr import images, orientation, pdftext, preprocess, tesseract, textcheck
from ocr.inputs import PagePlan
from ocr.page import PageResult, StoredImage, TextLine, Word
from ocr.pdfplan import unembedded_fonts
from ocr.raster import LoadedPage, load_page
from ocr.tesseract import OcrOptions

__all__ = [
    "OcrOptions",
    "PageTask",
    "Prepared",
    "finish_page",
    "prepare_page",
    "process_page",
    "store_image",
]

T = TypeVar("T")

#: Resolution of the copy Tesseract reads to check a text layer against the page image.
_CHECK_DPI = 150


@dataclass(frozen=True)
class PageTask:
    """One unit of work for a worker: the page plan, its place in the output, the options."""

    plan: PagePlan
    index: int
    options: OcrOptions
    #: Why a page that could be kept as vector content must be rasterized ("" if not).
    force_raster: str = ""
    #: Read as this many bands at once (``ocr.bands``): 2 for a page that would leave a core
    #: idle, the last of a document whose page count is not a multiple of the jobs.
    bands: int = 1


def _scaled(word: Word, sx: float, sy: float) -> Word:
    return Word(
        word.text, word.left * sx, word.top * sy, word.right * sx, word.bottom * sy, word.confidence
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
    """The page image as it goes into the PDF: the source's own stream when it can be kept."""
    if loaded.pdf_source is not None and loaded.source_pixels is not None:
        width, height = loaded.source_pixels
        return StoredImage(
            b"",
            "",
            width,
            height,
            "",
            0,
            pdf_source=loaded.pdf_source,
            drawn_size=loaded.page_size,
            placement=loaded.placement,
        )
    if loaded.encoded is not None and not (
        loaded.encoded.colour_space == "/Indexed" and images.bilevel_palette(loaded.image)
    ):
        return loaded.encoded  # a JPEG's or PNG's own data; a black-and-white palette: G4
    return images.store_image(loaded.image, quality)


@dataclass
class Prepared:
    """A page rasterized and preprocessed, waiting for Tesseract (or already finished).

    Splitting a page's work lets the next pages be prepared while Tesseract reads this one
    (``ocr.digitize`` runs the two halves in separate pools).
    """

    task: PageTask
    timings: dict[str, float]
    result: PageResult | None = None
    loaded: LoadedPage | None = None
    gray: Image.Image | None = None
    ocr_dpi: int = 0
    skew: float = 0.0
    applied: float = 0.0
    rejected: str = ""


def _guarded(index: int, work: Callable[[], T]) -> T:
    try:
        return work()
    except SohoaError:
        raise
    except Exception as exc:  # an odd input's failure in Pillow/poppler/pikepdf, not a bug to hide
        message = f"page {index + 1}: {type(exc).__name__}: {exc}"[:400]
        raise OCRFailed(message, detail_vi=f"Không xử lý được trang {index + 1}") from exc


def prepare_page(task: PageTask) -> Prepared:
    """Rasterize, judge the text layer, deskew and scale one page (everything before OCR).

    Raises:
        SohoaError: ``OCRFailed`` (or the input error found) naming the page; nothing else.
    """
    return _guarded(task.index, lambda: _process_page(task))


def finish_page(prepared: Prepared) -> PageResult:
    """Orient, recognise and encode a prepared page.

    Raises:
        SohoaError: ``OCRFailed`` naming the page; nothing else.
    """
    if prepared.result is not None:
        return prepared.result
    return _guarded(prepared.task.index, lambda: _finish_ocr(prepared))


def process_page(task: PageTask) -> PageResult:
    """Rasterize, judge the text layer, deskew, orient, recognise and encode one page.

    Raises:
        SohoaError: ``OCRFailed`` (or the input error found) naming the page; nothing else.
    """
    return finish_page(prepare_page(task))


def _process_page(task: PageTask) -> Prepared:
    plan, options = task.plan, task.options
    timings: dict[str, float] = {}
    rejected = ""
    if plan.text_layer:
        found, verdict = _judge_text_layer(plan, options, timings)
        if found is not None and verdict.usable:
            if not task.force_raster:
                missing = _unembedded_fonts(plan)
                if not missing:
                    return Prepared(task, timings, result=_vector_page(task, found, timings))
                changes = (
                    "rasterized: font(s) not embedded, which PDF/A-2b needs: "
                    + ", ".join(missing[:5]),
                )
            else:
                changes = (f"rasterized: {task.force_raster}",)
            start = time.perf_counter()
            loaded = load_page(plan)
            timings["raster"] = time.perf_counter() - start
            done = _text_layer_page(task, loaded, found, timings, changes)
            return Prepared(task, timings, result=done)
        rejected = verdict.reason
    start = time.perf_counter()
    loaded = load_page(plan)
    timings["raster"] = time.perf_counter() - start
    return _prepare_ocr(task, loaded, timings, rejected)


def _unembedded_fonts(plan: PagePlan) -> list[str]:
    with pikepdf.open(plan.path) as pdf:
        return unembedded_fonts(pdf.pages[plan.index])


def _judge_text_layer(
    plan: PagePlan, options: OcrOptions, timings: dict[str, float]
) -> tuple[pdftext.PageText | None, textcheck.Verdict]:
    """The page's own text and the verdict on it (``ocr.textcheck``).

    The check against Tesseract reads a copy rendered at ``_CHECK_DPI`` only: enough to read
    words, and a fraction of the cost of the full page.
    """
    mark = time.perf_counter()
    try:
        found = pdftext.page_text(plan.path, plan.index)
    except CorruptFile:
        return None, textcheck.Verdict(False, "unreadable")
    verdict = textcheck.judge(found.text, options.languages)
    if verdict.usable and options.check_text_layers:
        small = load_page(replace(plan, dpi=_CHECK_DPI, embedded="", colour="gray")).image
        reading = tesseract.read(small.convert("L"), _CHECK_DPI, options)
        layer_words = [w.text for line in found.lines for w in line.words]
        ocr_words = [(w.text, w.confidence) for _key, words in reading for w in words]
        if textcheck.contradicted(layer_words, ocr_words):
            verdict = textcheck.Verdict(False, "contradicted-by-ocr")
    timings["text-check"] = time.perf_counter() - mark
    return found, verdict


def _vector_page(task: PageTask, found: pdftext.PageText, timings: dict[str, float]) -> PageResult:
    """A born-digital page kept as it is: its own content, fonts, text and links."""
    plan = task.plan
    empty = StoredImage(b"", "", 0, 0, "", 0)
    return PageResult(
        index=task.index,
        width=found.width,
        height=found.height,
        image=empty,
        angle=0.0,
        dpi=plan.dpi,
        lines=(),
        text=found.text,
        confidence=100.0,
        rotation=0,
        skew=0.0,
        source="text-layer",
        timings=timings,
        source_dpi=plan.source_dpi,
        vector_source=(plan.path, plan.index),
        changes=("kept as vector content",),
    )


def _prepare_ocr(
    task: PageTask, loaded: LoadedPage, timings: dict[str, float], rejected: str
) -> Prepared:
    plan, options = task.plan, task.options
    image = loaded.image
    mark = time.perf_counter()
    skew = preprocess.estimate_skew(image, plan.dpi)
    applied = skew.degrees if abs(skew.degrees) >= preprocess.MIN_CORRECTION else 0.0
    gray = preprocess.deskew(image.convert("L"), applied)
    ocr_dpi = plan.dpi
    if plan.dpi < options.min_dpi:
        # OCR's own copy is upsampled; the stored image keeps the scan's resolution.
        factor = options.min_dpi / plan.dpi
        gray = gray.resize(
            (round(gray.width * factor), round(gray.height * factor)), Image.Resampling.BICUBIC
        )
        ocr_dpi = options.min_dpi
    timings["preprocess"] = time.perf_counter() - mark
    return Prepared(
        task,
        timings,
        loaded=loaded,
        gray=gray,
        ocr_dpi=ocr_dpi,
        skew=skew.degrees,
        applied=applied,
        rejected=rejected,
    )


def _finish_ocr(prepared: Prepared) -> PageResult:
    task, timings, loaded = prepared.task, prepared.timings, prepared.loaded
    if loaded is None or prepared.gray is None:
        raise OCRFailed(f"page {task.index + 1} was not prepared")
    plan, options, ocr_dpi = task.plan, task.options, prepared.ocr_dpi
    gray, turn, keyed = orientation.recognise_upright(
        prepared.gray, ocr_dpi, options, timings, bands=task.bands
    )
    mark = time.perf_counter()
    if loaded.page_size is not None:
        width, height = loaded.page_size
        if turn in (90, 270):
            width, height = height, width
    else:
        width, height = gray.width * 72.0 / ocr_dpi, gray.height * 72.0 / ocr_dpi
    sx, sy = width / gray.width, height / gray.height
    lines = tuple(_line(tuple(_scaled(w, sx, sy) for w in words)) for _, words in keyed)
    stored = store_image(loaded, options.jpeg_quality)
    timings["encode"] = time.perf_counter() - mark
    return PageResult(
        index=task.index,
        width=width,
        height=height,
        image=stored,
        angle=-prepared.applied - turn,
        dpi=plan.dpi,
        lines=lines,
        text=tesseract.page_text(keyed),
        confidence=round(tesseract.mean_confidence(keyed), 2),
        rotation=turn,
        skew=prepared.skew,
        source="ocr",
        timings=timings,
        source_dpi=plan.source_dpi,
        text_layer_rejected=prepared.rejected,
    )


def _text_layer_page(
    task: PageTask,
    loaded: LoadedPage,
    found: pdftext.PageText,
    timings: dict[str, float],
    changes: tuple[str, ...] = (),
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
        changes=changes,
    )
