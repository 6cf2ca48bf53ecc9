"""OCR quality gate: estimated character accuracy per page, and pages to rescan (quét lại).

The national digitization guidance (2025) asks for OCR of Vietnamese at ≥ 98% character
accuracy. Tesseract's mean word confidence is not an accuracy, but it tracks one: the table below
maps it to the character accuracy measured on degraded Vietnamese pages rendered by
``bench/bench_quality.py`` (blur, noise, JPEG, low resolution; fast models, ``vie+eng``), which
writes the curve into bench/RESULTS.md. Between points the estimate is interpolated linearly; it
is deliberately the *lower* envelope of the measurements (a page is flagged when in doubt).
The curve is steep at the top: on these pages 98% accuracy sits near a mean confidence of 95.5,
and below 60 Tesseract is reading noise.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from ocr.page import PageResult

DEFAULT_MIN_ACCURACY = 0.98

#: (mean word confidence, character accuracy) measured by bench/bench_quality.py.
CALIBRATION: tuple[tuple[float, float], ...] = (
    (0.0, 0.0),
    (55.0, 0.0),
    (62.0, 0.60),
    (67.0, 0.64),
    (82.0, 0.86),
    (86.0, 0.89),
    (89.0, 0.92),
    (92.0, 0.935),
    (94.0, 0.955),
    (95.3, 0.978),
    (96.0, 0.984),
    (96.5, 0.995),
    (100.0, 1.0),
)


@dataclass(frozen=True)
class Gate:
    """The gate's verdict on one page."""

    estimated_accuracy: float
    needs_rescan: bool
    reason: str


def estimated_accuracy(confidence: float) -> float:
    """Character accuracy (0–1) expected from a page's mean word confidence (0–100)."""
    confidences = [c for c, _a in CALIBRATION]
    if confidence <= confidences[0]:
        return CALIBRATION[0][1]
    if confidence >= confidences[-1]:
        return CALIBRATION[-1][1]
    i = bisect_right(confidences, confidence)
    (c0, a0), (c1, a1) = CALIBRATION[i - 1], CALIBRATION[i]
    return round(a0 + (a1 - a0) * (confidence - c0) / (c1 - c0), 4)


def judge(page: PageResult, min_accuracy: float = DEFAULT_MIN_ACCURACY) -> Gate:
    """Estimate a page's accuracy and flag it for rescanning under ``min_accuracy``.

    A page's own text layer (kept, not OCR'd) is exact. A page where OCR found no word is blank
    as far as anyone can tell: nothing to rescan, and the reason says so.
    """
    if page.source == "text-layer":
        return Gate(1.0, False, "")
    if not page.text.strip():
        return Gate(1.0, False, "no text found on the page")
    accuracy = estimated_accuracy(page.confidence)
    if accuracy < min_accuracy:
        return Gate(
            accuracy,
            True,
            f"estimated OCR accuracy {accuracy:.1%} is under {min_accuracy:.0%}: rescan the page "
            "(cleaner original, ≥ 300 dpi) / độ chính xác ước tính dưới ngưỡng, cần quét lại",
        )
    return Gate(accuracy, False, "")
