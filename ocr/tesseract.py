"""Tesseract behind one small module: its options, its runs, and its output parsed.

Pages run in parallel, one single-threaded Tesseract process per core (``OMP_THREAD_LIMIT=1``):
Tesseract's default OpenMP threading is about 2× slower per page than one process per core, and
catastrophically slower (10×, measured) when other work competes for the cores.
"""

from __future__ import annotations

import os
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytesseract
from PIL import Image

from core.errors import ConfigurationError, OCRFailed
from ocr.page import Word

# Set before any Tesseract process starts (they inherit the environment); an explicit setting
# by the operator wins.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

#: Seconds one Tesseract run may take before the page is declared failed (a stuck process
#: must not hold a worker forever).
TESSERACT_TIMEOUT = 600
#: OSD is unreliable below this resolution (measured on rendered Vietnamese pages: at 100 dpi it
#: named the wrong turn for 8 of 16 pages, at 150 dpi and above it named all 16 right).
OSD_MIN_DPI = 150

Keyed = list[tuple[tuple[int, int, int], list[Word]]]


@dataclass(frozen=True)
class OcrOptions:
    """How to recognise pages (picklable, derived from ``Settings``)."""

    languages: str = "vie+eng"
    min_dpi: int = 300
    tessdata_dir: Path | None = None
    jpeg_quality: int = 80
    check_text_layers: bool = True


def tessdata_args(tessdata_dir: Path | None) -> str:
    """The command-line part naming the model folder (empty for the system's own)."""
    return f" --tessdata-dir {tessdata_dir}" if tessdata_dir is not None else ""


def available_languages(tessdata_dir: Path | None) -> set[str]:
    """The languages Tesseract can load from ``tessdata_dir`` (or the system folder).

    Raises:
        ConfigurationError: Tesseract is not installed.
    """
    try:
        return set(pytesseract.get_languages(config=tessdata_args(tessdata_dir).strip()))
    except pytesseract.TesseractNotFoundError as exc:
        raise ConfigurationError("tesseract is not installed (apt install tesseract-ocr)") from exc


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
                config=f"--psm 3 --dpi {dpi}" + tessdata_args(options.tessdata_dir),
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


def orientation(image: Image.Image, dpi: int, options: OcrOptions) -> tuple[int, float]:
    """Tesseract OSD: (clockwise turn making the page upright, OSD's confidence).

    The page is reduced only as far as OSD stays reliable (``OSD_MIN_DPI``).
    """
    factor = max(1, dpi // OSD_MIN_DPI)
    small = image.reduce(factor) if factor > 1 else image
    config = f"--psm 0 --dpi {dpi // factor}" + tessdata_args(options.tessdata_dir)
    try:
        osd = pytesseract.image_to_osd(
            small, config=config, output_type=pytesseract.Output.DICT, timeout=TESSERACT_TIMEOUT
        )
    except (pytesseract.TesseractError, RuntimeError):
        return 0, 0.0  # too little text to tell (or stuck): leave the page as it is
    return int(osd["rotate"]) % 360, float(osd["orientation_conf"])


def lines_from_tsv(data: dict[str, list[Any]]) -> Keyed:
    """Words grouped by (block, paragraph, line), in Tesseract's reading order."""
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


def page_text(keyed: Keyed) -> str:
    """The page's text: words joined by spaces, lines by newlines, a blank line per paragraph."""
    parts: list[str] = []
    previous: tuple[int, int] | None = None
    for (block, par, _line), words in keyed:
        if previous is not None and (block, par) != previous:
            parts.append("")  # blank line between paragraphs
        parts.append(" ".join(w.text for w in words))
        previous = (block, par)
    return "\n".join(parts)


def mean_confidence(keyed: Keyed) -> float:
    """Mean word confidence 0–100 of a reading (0 when nothing was read)."""
    confidences = [w.confidence for _, words in keyed for w in words if w.confidence >= 0]
    return sum(confidences) / len(confidences) if confidences else 0.0


def read(image: Image.Image, dpi: int, options: OcrOptions) -> Keyed:
    """Recognise ``image`` and return its words by line."""
    return lines_from_tsv(recognise(image, dpi, options))
