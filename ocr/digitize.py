"""Digitize: scans (images, PDFs) → one searchable PDF/A-2b and a report (số hóa).

The facade the CLI, the API and the workers call. Inputs are checked first (cheap, all of them,
before any work), pages are processed in parallel (one Tesseract process per core), and the
output is written next to its destination and renamed into place only once it validated.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from core.errors import ConfigurationError, InputError, PDFAValidationFailed
from core.hashing import sha256_file
from core.settings import Settings, get_settings
from ocr.engine import PageTask, Prepared, finish_page, prepare_page, process_page
from ocr.inputs import ARCHIVE_MIN_DPI, InputInfo, apply_pixel_limit
from ocr.inputs import check_input as _check_file
from ocr.page import PageResult, PageSourceKind
from ocr.pdfa import write_pdfa
from ocr.quality import DEFAULT_MIN_ACCURACY
from ocr.quality import judge as quality_gate
from ocr.tesseract import OcrOptions, available_languages

Stage = Literal["checked", "page-done", "writing", "done"]

log = logging.getLogger(__name__)

_BCP47 = {"vie": "vi", "eng": "en", "fra": "fr", "deu": "de", "chi_sim": "zh", "jpn": "ja"}


@dataclass(frozen=True)
class PageProgress:
    """Progress of one digitization: pages finished out of the total, and the current stage."""

    page: int
    total: int
    stage: Stage


@dataclass(frozen=True)
class PageReport:
    """What happened to one page (``index`` from 0, ``skew`` in degrees CCW).

    ``archival_dpi`` is False when the source scan is below the 200 dpi that Vietnamese
    digitization rules ask for: the page is kept as scanned (upsampling adds no detail), and
    the clerk can be told to rescan.

    Quality gate (``ocr.quality``): ``estimated_accuracy`` is the character accuracy expected
    from the page's mean word confidence (calibrated; 1.0 for a page's own text layer);
    ``needs_rescan`` is True under ``SOHOA_OCR_MIN_ACCURACY`` and ``reason`` says why.
    ``text_layer_rejected`` names why a page's own text layer was not kept (``ocr.textcheck``);
    ``content`` is "raster" (a scan, or a rendered page) or "vector" (born-digital page kept as
    it is) and ``changes`` lists what PDF/A-2b conversion changed on a kept page.
    """

    index: int
    dpi: int
    rotation: int
    skew: float
    confidence: float
    text: str
    source: PageSourceKind
    width_pt: float
    height_pt: float
    timings: dict[str, float] = field(default_factory=dict)
    source_dpi: int = 0
    archival_dpi: bool = True
    estimated_accuracy: float = 1.0
    needs_rescan: bool = False
    reason: str = ""
    text_layer_rejected: str = ""
    content: str = "raster"
    changes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DigitizeReport:
    """The result of ``digitize``: per-page facts, the whole text, hashes, PDF/A level."""

    output: Path
    pages: list[PageReport]
    text: str
    input_sha256: list[str]
    output_sha256: str
    pdfa: str
    page_count: int
    language: str
    languages: str
    title: str | None
    timings: dict[str, float]
    min_accuracy: float = DEFAULT_MIN_ACCURACY

    @property
    def pages_to_rescan(self) -> int:
        """How many pages the quality gate flagged (``needs_rescan``)."""
        return sum(1 for p in self.pages if p.needs_rescan)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (paths as strings)."""
        data = asdict(self)
        data["output"] = str(self.output)
        data["pages_to_rescan"] = self.pages_to_rescan
        return data


def check_input(path: Path, settings: Settings) -> InputInfo:
    """Check one input cheaply (size, real format, encryption, signature, pages, pixels).

    Returns:
        What was learned: the format and one ``PagePlan`` per page (``len(info.pages)``).

    Raises:
        InputError: the matching subclass from ``core.errors``.
    """
    return _check_file(path, settings)


def _check_languages(languages: str, tessdata: Path | None) -> None:
    available = available_languages(tessdata)
    missing = [lang for lang in languages.split("+") if lang not in available]
    if missing:
        raise ConfigurationError(
            f"OCR language(s) {', '.join(missing)} not installed; available: "
            f"{', '.join(sorted(available - {'osd'}))}"
        )


def ocr_options(settings: Settings) -> OcrOptions:
    """Recognition options from settings (the "best" models need their own tessdata folder)."""
    tessdata = None
    if settings.ocr_model == "best":
        tessdata = settings.tessdata_best_dir
        if tessdata is None or not (tessdata / "osd.traineddata").is_file():
            raise ConfigurationError(
                "ocr_model=best needs SOHOA_TESSDATA_BEST_DIR with the best models, "
                "osd.traineddata and configs/"
            )
    _check_languages(settings.ocr_languages, tessdata)
    return OcrOptions(
        languages=settings.ocr_languages,
        min_dpi=settings.ocr_min_dpi,
        tessdata_dir=tessdata,
        jpeg_quality=settings.ocr_jpeg_quality,
        check_text_layers=settings.ocr_check_text_layers,
    )


def bands_of(index: int, count: int, jobs: int) -> int:
    """How many bands page ``index`` of ``count`` is read in with ``jobs`` OCR jobs
    (``ocr.bands``): 2 for a page of a last round that has at most half as many pages as jobs,
    which would otherwise leave cores idle; 1 for every other page."""
    tail = count % jobs if jobs > 1 else 0
    return 2 if tail and index >= count - tail and jobs >= 2 * tail else 1


def _run_pages(
    tasks: list[PageTask], jobs: int, on_done: Callable[[PageResult], None]
) -> list[PageResult]:
    results: dict[int, PageResult] = {}
    if jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            results[task.index] = process_page(task)
            on_done(results[task.index])
        return [results[i] for i in sorted(results)]
    # Each OCR thread drives its own single-threaded Tesseract *process*, so N threads keep N
    # cores busy. A page's Pillow work (decode, skew, deskew: ~0.4 s, releasing the GIL) is done
    # by separate threads ahead of Tesseract, so a core that finishes a page starts the next at
    # once instead of preparing it first. At most ``jobs + 1`` prepared pages wait in memory.
    # Threads start instantly and, unlike a process pool, are safe inside the threaded API and
    # Celery workers (no fork, no re-import of __main__).
    window = threading.BoundedSemaphore(jobs + 1)
    aborted = threading.Event()

    def prepare(task: PageTask) -> Prepared:
        # Wait for room, but give up once another page failed (its slot may never come back).
        while not window.acquire(timeout=0.2):
            if aborted.is_set():
                raise CancelledError
        try:
            if aborted.is_set():
                raise CancelledError
            return prepare_page(task)
        except BaseException:
            window.release()
            raise

    def finish(prepared: Prepared) -> PageResult:
        try:
            return finish_page(prepared)
        finally:
            window.release()

    workers = min(jobs, len(tasks))
    with (
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ocr-prep") as preparing,
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ocr") as reading,
    ):
        prepared = [preparing.submit(prepare, task) for task in tasks]
        pending: set[Future[PageResult]] = set()

        def collect(block: bool) -> None:
            done_now = (
                [f for f in pending if f.done()] if not block else list(as_completed(pending))
            )
            for future in done_now:
                pending.discard(future)
                result = future.result()
                results[result.index] = result
                on_done(result)

        try:
            for future in prepared:
                pending.add(reading.submit(finish, future.result()))
                collect(block=False)
            collect(block=True)
        except BaseException:
            aborted.set()
            for queued in prepared:
                queued.cancel()
            for reading_future in pending:
                reading_future.cancel()
            raise
    return [results[i] for i in sorted(results)]


def _write(
    results: list[PageResult],
    tasks: list[PageTask],
    output: Path,
    *,
    title: str,
    language: str,
) -> tuple[list[PageResult], dict[int, list[str]]]:
    """Write the PDF/A; if pages kept as vector content keep it from validating, rasterize
    those pages (the last resort, said in their report) and write again."""
    try:
        return results, write_pdfa(results, output, title=title, language=language)
    except PDFAValidationFailed as exc:
        kept = [r.index for r in results if r.vector_source is not None]
        if not kept:
            raise
        why = f"PDF/A-2b validation failed with the page as vector content ({exc.message[:160]})"
        log.info("rasterizing %d born-digital page(s): %s", len(kept), why)
    redone = {i: process_page(replace(tasks[i], force_raster=why)) for i in kept}
    results = [redone.get(r.index, r) for r in results]
    return results, write_pdfa(results, output, title=title, language=language)


def _page_report(
    result: PageResult, min_accuracy: float, changes: list[str] | None = None
) -> PageReport:
    source_dpi = result.source_dpi or result.dpi
    gate = quality_gate(result, min_accuracy)
    return PageReport(
        result.index,
        result.dpi,
        result.rotation,
        result.skew,
        result.confidence,
        result.text,
        result.source,
        round(result.width, 2),
        round(result.height, 2),
        {k: round(v, 3) for k, v in result.timings.items()},
        source_dpi=source_dpi,
        archival_dpi=source_dpi >= ARCHIVE_MIN_DPI,
        estimated_accuracy=gate.estimated_accuracy,
        needs_rescan=gate.needs_rescan,
        reason=gate.reason,
        text_layer_rejected=result.text_layer_rejected,
        content="vector" if result.vector_source is not None else "raster",
        changes=changes if changes is not None else list(result.changes),
    )


def digitize(
    inputs: Sequence[Path],
    output: Path,
    *,
    settings: Settings | None = None,
    title: str | None = None,
    progress: Callable[[PageProgress], None] | None = None,
) -> DigitizeReport:
    """Turn scans into one searchable PDF/A-2b at ``output``, pages in the given order.

    Args:
        inputs: Image files (JPEG, PNG, TIFF, BMP) and PDFs; together they form one document.
        output: Where the PDF/A-2b goes; written only if everything succeeded.
        settings: Defaults to the process settings.
        title: Document title for the metadata (defaults to the output's stem).
        progress: Called after the checks, after each page, and when writing.

    Raises:
        InputError: A bad input (its subclass names the problem); nothing is written.
        OCRFailed, PDFAValidationFailed: Processing failed; nothing is written.
    """
    settings = settings or get_settings()
    started = time.perf_counter()
    if not inputs:
        raise InputError("no input files given", detail_vi="Chưa chọn tệp đầu vào")
    apply_pixel_limit(settings)
    infos: list[InputInfo] = [_check_file(Path(p), settings) for p in inputs]
    options = ocr_options(settings)
    plans = [plan for info in infos for plan in info.pages]
    jobs = settings.resolved_ocr_jobs()
    tasks = [
        PageTask(plan, i, options, bands=bands_of(i, len(plans), jobs))
        for i, plan in enumerate(plans)
    ]
    if len(tasks) > settings.max_pages:
        raise InputError(f"{len(tasks)} pages in all, over the limit of {settings.max_pages}")
    total = len(tasks)
    notify = progress or (lambda _p: None)
    notify(PageProgress(0, total, "checked"))
    checked = time.perf_counter()
    done = 0

    def on_done(_result: PageResult) -> None:
        nonlocal done
        done += 1
        notify(PageProgress(done, total, "page-done"))

    # Import the PDF/A validator in the background: it is needed only at the end, and the
    # import (~0.5 s) then overlaps with recognition instead of delaying the first page.
    warm = threading.Thread(target=importlib.import_module, args=("pikepdf.pdfa",), daemon=True)
    warm.start()
    results = _run_pages(tasks, jobs, on_done)
    warm.join()
    pages_done = time.perf_counter()
    notify(PageProgress(total, total, "writing"))
    language = _BCP47.get(settings.ocr_languages.split("+")[0], "und")
    title = title if title is not None else output.stem
    output.parent.mkdir(parents=True, exist_ok=True)
    results, changes = _write(results, tasks, output, title=title, language=language)
    written = time.perf_counter()
    report = DigitizeReport(
        output=output,
        pages=[_page_report(r, settings.ocr_min_accuracy, changes.get(r.index)) for r in results],
        text="\n\f".join(r.text for r in results),
        input_sha256=[sha256_file(Path(p)) for p in inputs],
        output_sha256=sha256_file(output),
        pdfa="2b",
        page_count=total,
        language=language,
        languages=settings.ocr_languages,
        title=title,
        timings={
            "check": round(checked - started, 3),
            "pages": round(pages_done - checked, 3),
            "write": round(written - pages_done, 3),
            "total": round(time.perf_counter() - started, 3),
        },
        min_accuracy=settings.ocr_min_accuracy,
    )
    # Debug level: the CLI prints its own summary and INFO lines would cut into its progress bar.
    log.debug(
        "digitized %d page(s) into %s in %.1f s",
        total,
        output.name,
        report.timings["total"],
        extra={"pages": total, "output_sha256": report.output_sha256},
    )
    notify(PageProgress(total, total, "done"))
    return report
