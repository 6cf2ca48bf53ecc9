"""Quality-gate calibration: Tesseract's mean word confidence against measured accuracy.

Vietnamese pages are rendered with increasing damage (blur, noise, JPEG, low resolution),
digitized by sohoa (fast models, ``vie+eng``), and each page's mean word confidence is set against
its character accuracy (1 − CER against the rendered truth). The table in ``ocr/quality.py`` is
the lower envelope of these points; this writes the curve and the gate's hits and misses at
98% into bench/RESULTS.md (section ``quality``).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.results import write_section
from core.settings import Settings
from ocr import digitize
from ocr.quality import CALIBRATION, estimated_accuracy
from samples.pages import cer, render_page, save_pdf

#: (label, dpi, blur px, noise amplitude, JPEG quality) from clean to ruined.
DAMAGE: tuple[tuple[str, int, float, int, int], ...] = (
    ("clean 300 dpi", 300, 0.0, 0, 0),
    ("office scan", 300, 0.6, 18, 70),
    ("200 dpi, JPEG q20", 200, 0.8, 8, 20),
    ("150 dpi, blurred", 150, 1.2, 8, 20),
    ("130 dpi", 130, 0.8, 8, 20),
    ("120 dpi, noisy", 120, 0.8, 25, 40),
    ("100 dpi, noisy", 100, 0.7, 20, 40),
    ("90 dpi, noisy", 90, 0.7, 20, 40),
    ("80 dpi", 80, 0.8, 8, 70),
    ("130 dpi, very blurred", 130, 1.6, 20, 20),
    ("80 dpi, noisy", 80, 0.4, 30, 20),
    ("110 dpi, very noisy", 110, 0.8, 40, 20),
)
SEEDS = (31, 32)
LINES = 8


@dataclass(frozen=True)
class Point:
    """One measured page."""

    label: str
    confidence: float
    accuracy: float


def measure(folder: Path) -> list[Point]:
    """Digitize every damaged page once and measure it."""
    points: list[Point] = []
    settings = Settings.model_validate({"ocr_jobs": 2})
    for label, dpi, blur, noise, quality in DAMAGE:
        pages = [
            render_page(
                seed,
                dpi=dpi,
                skew_degrees=1.0,
                lines=LINES,
                noise=noise,
                blur=blur,
                jpeg_quality=quality,
            )
            for seed in SEEDS
        ]
        scan = save_pdf(pages, folder / "scan.pdf")
        report = digitize([scan], folder / "out.pdf", settings=settings)
        for page, truth in zip(report.pages, pages, strict=True):
            accuracy = max(0.0, 1.0 - cer(truth.text, page.text))
            points.append(Point(label, page.confidence, accuracy))
            print(f"{label}: confidence {page.confidence:.1f}, accuracy {accuracy:.2%}", flush=True)
    return points


def main() -> None:
    """Measure, then write the ``quality`` section of bench/RESULTS.md."""
    with tempfile.TemporaryDirectory(prefix="sohoa-bench-quality-") as tmp:
        points = measure(Path(tmp))
    rows = [
        "| damage | mean word confidence | measured accuracy | estimated | flagged at 98% |",
        "|---|---:|---:|---:|:---:|",
    ]
    missed = false_alarms = 0
    for p in sorted(points, key=lambda p: -p.confidence):
        estimate = estimated_accuracy(p.confidence)
        flagged = estimate < 0.98
        missed += (not flagged) and p.accuracy < 0.98
        false_alarms += flagged and p.accuracy >= 0.98
        rows.append(
            f"| {p.label} | {p.confidence:.1f} | {p.accuracy:.2%} | {estimate:.2%} "
            f"| {'yes' if flagged else 'no'} |"
        )
    curve = ", ".join(f"{c:g} → {a:.1%}" for c, a in CALIBRATION)
    body = (
        "## Quality gate: mean word confidence vs character accuracy\n\n"
        f"{len(points)} rendered Vietnamese pages ({LINES} lines, 1° skew) under {len(DAMAGE)} "
        "kinds of damage, digitized by sohoa (fast models, `vie+eng`); accuracy = 1 − CER "
        "against the rendered text.\n\n"
        + "\n".join(rows)
        + f"\n\nCalibration used by `ocr/quality.py` (confidence → estimated accuracy): {curve}.\n"
        f"At the 98% gate: {missed} page(s) under 98% not flagged, {false_alarms} page(s) at "
        "or over 98% flagged."
    )
    print(body)
    write_section("quality", body)
