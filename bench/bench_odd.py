"""Odd real-world inputs: KB per page and wall time per page, sohoa vs OCRmyPDF 17, in one run.

Inputs: the real files of ``../shared/corpus/`` (scanner output, CCITT and JBIG2 scans, born-
digital and mixed PDFs, photos; OCRmyPDF's own test resources) and cases built on the spot
(a 2-colour palette PNG, a 66 dpi scan, a tagged born-digital PDF with an embedded font, a
swapped-UTF-16 text layer, an upright landscape chart). Each tool runs once per input, one after
the other, two jobs each: ``sohoa digitize`` and ``ocrmypdf --output-type pdfa-2
--pdfa-backend internal --deskew -l vie+eng`` (with ``--skip-text`` for inputs that have text).
A refusal or failure is shown as such, with its exit code.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pikepdf

from bench.bench_ocr import OCRMYPDF_VERSION, SOHOA, ensure_ocrmypdf, load_average
from bench.results import write_section
from samples.charts import render_landscape_chart
from samples.odd_inputs import born_digital_tagged, scan_pdf_at, swapped_utf16_layer
from samples.pages import render_page

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
#: Corpus files (the rest are duplicates in kind, or not inputs: linn.txt, invalid.pdf is refused
#: by both and shown once).
CORPUS_FILES = (
    "ccitt.pdf",
    "jbig2.pdf",
    "linn.pdf",
    "cardinal.pdf",
    "kcs.pdf",
    "skew.pdf",
    "rotated_skew.pdf",
    "multipage.pdf",
    "francais.pdf",
    "missing_docinfo.pdf",
    "trivial.pdf",
    "typewriter.png",
    "baiona_color.jpg",
    "baiona_alpha.png",
    "invalid.pdf",
)
JOBS = "2"
TIMEOUT = 600


@dataclass(frozen=True)
class Outcome:
    """One tool on one input."""

    exit_code: int
    seconds: float
    size: int


@dataclass(frozen=True)
class Case:
    """One input: its path, page count and whether it carries text (born-digital)."""

    name: str
    path: Path
    pages: int
    has_text: bool


def _pages_and_text(path: Path) -> tuple[int, bool]:
    if path.suffix.lower() != ".pdf":
        return 1, False
    try:
        with pikepdf.open(path) as pdf:
            pages = len(pdf.pages)
    except pikepdf.PdfError:
        return 1, False
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=False).stdout
    return pages, len(text.strip()) > 20


def build_cases(folder: Path) -> list[Case]:
    """The corpus files (copied) and the cases rendered here."""
    paths: list[Path] = []
    for name in CORPUS_FILES:
        if (CORPUS / name).is_file():
            target = folder / name
            shutil.copy2(CORPUS / name, target)
            paths.append(target)
    page = render_page(70, skew_degrees=0.0, lines=12, noise=0, blur=0, jpeg_quality=0)
    palette = folder / "own-two-colour.png"
    page.image.point(lambda v: 255 if v > 128 else 0).convert("RGB").quantize(2).save(
        palette, dpi=(300, 300)
    )
    chart = folder / "own-landscape-chart.png"
    render_landscape_chart(1, captions=1).image.save(chart, dpi=(200, 200))
    paths += [
        palette,
        scan_pdf_at(folder / "own-66dpi.pdf", 66, lines=12),
        born_digital_tagged(folder / "own-born-digital.pdf"),
        swapped_utf16_layer(folder / "own-swapped-utf16.pdf"),
        chart,
    ]
    cases = []
    for path in paths:
        pages, has_text = _pages_and_text(path)
        cases.append(Case(path.name, path, pages, has_text))
    return cases


def _run(command: list[str]) -> tuple[int, float]:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, env=env, timeout=TIMEOUT, check=False)
        code = done.returncode
    except subprocess.TimeoutExpired:
        code = -1
    return code, time.perf_counter() - start


def run_sohoa(case: Case, folder: Path) -> Outcome:
    """``sohoa digitize`` as a user runs it."""
    output = folder / f"sohoa-{case.name}.pdf"
    code, seconds = _run([str(SOHOA), "digitize", str(case.path), "-o", str(output), "-j", JOBS])
    return Outcome(code, seconds, output.stat().st_size if code == 0 and output.exists() else 0)


def run_ocrmypdf(exe: Path, case: Case, folder: Path) -> Outcome:
    """OCRmyPDF with the issue's options; images need a resolution when they lack one."""
    output = folder / f"ocrmypdf-{case.name}.pdf"
    command = [str(exe), "--output-type", "pdfa-2", "--pdfa-backend", "internal", "--deskew"]
    command += ["-l", "vie+eng", "--jobs", JOBS]
    if case.has_text:
        command.append("--skip-text")
    if case.path.suffix.lower() != ".pdf":
        command += ["--image-dpi", "300"]
    code, seconds = _run([*command, str(case.path), str(output)])
    return Outcome(code, seconds, output.stat().st_size if code == 0 and output.exists() else 0)


def _cell(outcome: Outcome, pages: int) -> tuple[str, str]:
    if outcome.exit_code != 0:
        return f"refused/failed (exit {outcome.exit_code})", f"{outcome.seconds / pages:.2f}"
    return f"{outcome.size / 1024 / pages:.0f}", f"{outcome.seconds / pages:.2f}"


def main() -> None:
    """Run every input through both tools and write the ``odd-inputs`` section."""
    exe = ensure_ocrmypdf()
    rows = [
        "| input | pages | text layer | input KB/page | sohoa KB/page | OCRmyPDF KB/page "
        "| sohoa s/page | OCRmyPDF s/page |",
        "|---|---:|:---:|---:|---:|---:|---:|---:|",
    ]
    totals = {"sohoa": 0.0, "ocrmypdf": 0.0}
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="sohoa-bench-odd-") as tmp:
        folder = Path(tmp)
        cases = build_cases(folder)
        for case in cases:
            sohoa = run_sohoa(case, folder)
            ocrmypdf = run_ocrmypdf(exe, case, folder)
            totals["sohoa"] += sohoa.seconds
            totals["ocrmypdf"] += ocrmypdf.seconds
            s_size, s_time = _cell(sohoa, case.pages)
            o_size, o_time = _cell(ocrmypdf, case.pages)
            rows.append(
                f"| {case.name} | {case.pages} | {'yes' if case.has_text else 'no'} "
                f"| {case.path.stat().st_size / 1024 / case.pages:.0f} | {s_size} | {o_size} "
                f"| {s_time} | {o_time} |"
            )
            print(rows[-1], flush=True)
    body = (
        f"## Odd inputs: sohoa vs OCRmyPDF {OCRMYPDF_VERSION}, KB and seconds per page\n\n"
        f"{len(cases)} inputs ({len(CORPUS_FILES)} from `../shared/corpus/`, the rest rendered "
        "here); each tool once per input, two jobs; OCRmyPDF with `--output-type pdfa-2 "
        "--pdfa-backend internal --deskew -l vie+eng` (+ `--skip-text` where the input has "
        "text, `--image-dpi 300` for images). Times include process start-up.\n\n"
        + "\n".join(rows)
        + f"\n\nTotal wall time: sohoa {totals['sohoa']:.1f} s, OCRmyPDF "
        f"{totals['ocrmypdf']:.1f} s. Load average before: {load_before}, after: "
        f"{load_average()}."
    )
    print(body)
    write_section("odd-inputs", body)
