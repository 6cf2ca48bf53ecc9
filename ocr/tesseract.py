"""Tesseract behind one small module: its options, its runs, and its output parsed.

The ``tesseract`` program is run directly (no wrapper library: pytesseract would import numpy,
~0.1 s of CPU before the first page, and write one more temporary file per call); a missing
program is a ``ConfigurationError``, a failed or stuck run ``OCRFailed``.

Pages run in parallel, one single-threaded Tesseract process per core (``OMP_THREAD_LIMIT=1``):
Tesseract's default OpenMP threading is about 2× slower per page than one process per core, and
catastrophically slower (10×, measured) when other work competes for the cores.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["tesseract", *args], capture_output=True, timeout=timeout)
    except FileNotFoundError as exc:
        raise ConfigurationError("tesseract is not installed (apt install tesseract-ocr)") from exc
    except subprocess.TimeoutExpired as exc:
        raise OCRFailed(f"tesseract took over {timeout:.0f} s on one page") from exc


def _tessdata_list(tessdata_dir: Path | None) -> list[str]:
    return tessdata_args(tessdata_dir).split()


def available_languages(tessdata_dir: Path | None) -> set[str]:
    """The languages Tesseract can load from ``tessdata_dir`` (or the system folder).

    Raises:
        ConfigurationError: Tesseract is not installed.
    """
    done = _run(["--list-langs", *_tessdata_list(tessdata_dir)], 60)
    lines = done.stdout.decode("utf-8", errors="replace").splitlines()
    # The first line names the folder ("List of available languages in ...").
    return {line.strip() for line in lines[1:] if line.strip()}


_TSV_INT = ("level", "page_num", "block_num", "par_num", "line_num", "word_num")
_TSV_BOX = ("left", "top", "width", "height")


def parse_tsv(tsv: str) -> dict[str, list[Any]]:
    """Tesseract's TSV output as columns (the shape pytesseract's DICT output had)."""
    rows = tsv.splitlines()
    if not rows:
        return {name: [] for name in (*_TSV_INT, *_TSV_BOX, "conf", "text")}
    header = rows[0].split("\t")
    data: dict[str, list[Any]] = {name: [] for name in header}
    for row in rows[1:]:
        cells = row.split("\t")
        if len(cells) < len(header) - 1:
            continue
        cells += [""] * (len(header) - len(cells))
        for name, cell in zip(header, cells, strict=True):
            if name in _TSV_INT or name in _TSV_BOX:
                data[name].append(int(cell or 0))
            elif name == "conf":
                data[name].append(float(cell or -1))
            else:
                data[name].append(cell)
    return data


def recognise(image: Image.Image, dpi: int, options: OcrOptions) -> dict[str, list[Any]]:
    """Run Tesseract once on ``image`` and return its TSV data as columns."""
    with tempfile.TemporaryDirectory(prefix="sohoa-ocr-") as folder:
        # PGM/PPM: Tesseract reads it as fast as anything and writing it costs nothing.
        path = Path(folder) / ("page.pgm" if image.mode in ("L", "1") else "page.ppm")
        image.save(path)
        done = _run(
            [
                str(path),
                "stdout",
                *("-l", options.languages, "--psm", "3", "--dpi", str(dpi)),
                *_tessdata_list(options.tessdata_dir),
                "tsv",
            ],
            TESSERACT_TIMEOUT,
        )
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise OCRFailed(f"tesseract failed: {message[-1] if message else done.returncode}")
    return parse_tsv(done.stdout.decode("utf-8", errors="replace"))


_ROTATE = re.compile(r"^Rotate:\s*(\d+)", re.M)
_ORIENTATION_CONF = re.compile(r"^Orientation confidence:\s*([0-9.]+)", re.M)


def orientation(image: Image.Image, dpi: int, options: OcrOptions) -> tuple[int, float]:
    """Tesseract OSD: (clockwise turn making the page upright, OSD's confidence).

    The page is reduced only as far as OSD stays reliable (``OSD_MIN_DPI``).
    """
    factor = max(1, dpi // OSD_MIN_DPI)
    small = image.reduce(factor) if factor > 1 else image
    with tempfile.TemporaryDirectory(prefix="sohoa-osd-") as folder:
        path = Path(folder) / ("page.pgm" if small.mode in ("L", "1") else "page.ppm")
        small.save(path)
        try:
            done = _run(
                [
                    str(path),
                    "stdout",
                    *("--psm", "0", "--dpi", str(dpi // factor)),
                    *_tessdata_list(options.tessdata_dir),
                ],
                TESSERACT_TIMEOUT,
            )
        except OCRFailed:
            return 0, 0.0  # stuck: leave the page as it is
    text = done.stdout.decode("utf-8", errors="replace")
    rotate, confidence = _ROTATE.search(text), _ORIENTATION_CONF.search(text)
    if done.returncode != 0 or rotate is None or confidence is None:
        return 0, 0.0  # too little text to tell: leave the page as it is
    return int(rotate.group(1)) % 360, float(confidence.group(1))


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
