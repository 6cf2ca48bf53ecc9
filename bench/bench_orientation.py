"""Orientation calibration: OSD's confidence and the share of vertical words, on rendered pages.

Upright landscape bar charts with vertical labels (which must never turn) and text pages turned
by 90/180/270° (which must come upright) are measured the way ``ocr.orientation`` sees them:
Tesseract OSD at ≥ 150 dpi (its proposal and confidence) and the share of letters in vertical
word boxes of Tesseract's reading of the page as it is. Then each is digitized and the turn
sohoa applied is checked. Writes the ``orientation`` section of bench/RESULTS.md.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.results import write_section
from core.settings import Settings
from ocr import digitize, orientation, tesseract
from ocr.tesseract import OcrOptions
from samples.charts import render_landscape_chart, render_turned_page


def main() -> None:
    """Measure OSD and the vertical share per page, digitize them, write the section."""
    options = OcrOptions()
    cases = [
        (f"upright chart, {c} caption line(s)", 0, render_landscape_chart(s, captions=c).image)
        for s, c in ((1, 0), (2, 1), (3, 3))
    ]
    cases += [
        (f"text page turned {t}°", t, render_turned_page(90 + t, t, lines=10))
        for t in (90, 180, 270)
    ]
    rows = [
        "| page | OSD proposes | OSD confidence | vertical share | sohoa turned | right |",
        "|---|---:|---:|---:|---:|:---:|",
    ]
    settings = Settings.model_validate({"ocr_jobs": 2})
    with tempfile.TemporaryDirectory(prefix="sohoa-bench-orient-") as tmp:
        paths = []
        for i, (_label, _turn, image) in enumerate(cases):
            path = Path(tmp) / f"{i}.png"
            image.save(path, dpi=(200, 200))
            paths.append(path)
        report = digitize(paths, Path(tmp) / "out.pdf", settings=settings)
        for (label, turn, image), page in zip(cases, report.pages, strict=True):
            gray = image.convert("L")
            proposed, confidence = tesseract.orientation(gray, 200, options)
            share = orientation.vertical_share(tesseract.read(gray, 200, options))
            wanted = (360 - turn) % 360
            rows.append(
                f"| {label} | {proposed}° | {confidence:.2f} | {share:.2f} | {page.rotation}° "
                f"| {'yes' if page.rotation == wanted else 'NO'} |"
            )
            print(rows[-1], flush=True)
    body = (
        "## Orientation: OSD confidence and vertical share (200 dpi rendered pages)\n\n"
        + "\n".join(rows)
        + "\n\nA quarter turn needs OSD ≥ "
        f"{orientation.MIN_OSD_CONFIDENCE} *and* a vertical share ≥ {orientation.VERTICAL_SHARE}"
        "; a half turn needs OSD and a better second reading. OSD alone would turn the charts "
        "(it proposes 90° with high confidence): the vertical share is what tells them apart. "
        "OSD below 150 dpi named the wrong turn for half of the pages, so it is never run "
        "below 150 dpi."
    )
    print(body)
    write_section("orientation", body)
