"""``sohoa ingest``: a scanner's drop folder becomes documents of a dossier, with a progress bar.

Each file is one submitted document. A file is taken once its size has stopped changing (the
scanner finished writing it), submitted through ``pipeline`` like an upload, queued for
the worker on the batch lane (``ocr-batch``: desk uploads go first), then moved to
``FOLDER/.done`` (or ``FOLDER/.failed`` with a ``.error`` note).
"""

from __future__ import annotations

import time
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

import pipeline
from core.domain import DocumentKind
from core.errors import InputError
from core.settings import Settings
from pipeline.bootstrap import open_runtime

_SETTLE_SECONDS = 1.0


def _ready_files(folder: Path, sizes: dict[Path, int]) -> list[Path]:
    """Files whose size did not change since the previous look."""
    ready = []
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        size = path.stat().st_size
        if sizes.get(path) == size and size > 0:
            ready.append(path)
        sizes[path] = size
    return ready


def ingest_folder(
    settings: Settings, folder: Path, dossier_code: str, *, watch: bool, type_name: str
) -> int:
    """Submit the folder's files; with ``watch``, keep going until interrupted. Returns count."""
    from workers import tasks

    done_dir, failed_dir = folder / ".done", folder / ".failed"
    done_dir.mkdir(exist_ok=True)
    failed_dir.mkdir(exist_ok=True)
    rt = open_runtime(settings)
    sizes: dict[Path, int] = {}
    submitted = 0
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    try:
        with Progress(*columns) as bar:
            task = bar.add_task(f"ingest → {dossier_code}", total=None)
            _ready_files(folder, sizes)
            while True:
                time.sleep(_SETTLE_SECONDS)
                ready = _ready_files(folder, sizes)
                if ready:
                    bar.update(task, total=(bar.tasks[0].total or 0) + len(ready))
                for path in ready:
                    upload = pipeline.Upload(name=path.name, path=path)
                    try:
                        document = pipeline.submit_document(
                            rt,
                            dossier_code,
                            [upload],
                            kind=DocumentKind.SUBMITTED,
                            type_name=type_name,
                            summary=None,
                            actor="ingest",
                        )
                    except InputError as exc:
                        path.replace(failed_dir / path.name)
                        (failed_dir / f"{path.name}.error").write_text(
                            f"{exc.code}: {exc.message}\n"
                        )
                        bar.console.print(f"[red]refused[/] {path.name}: {exc.message}")
                    else:
                        tasks.schedule_digitize(document.id, document.page_count, batch=True)
                        path.replace(done_dir / path.name)
                        submitted += 1
                    sizes.pop(path, None)
                    bar.advance(task)
                if not watch and not any(
                    p.is_file() and not p.name.startswith(".") for p in folder.iterdir()
                ):
                    break
    finally:
        rt.close()
    return submitted


__all__ = ["ingest_folder"]
