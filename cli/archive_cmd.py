"""``sohoa archive export --dossier CODE [--document N] | --from DATE --to DATE -o DIR``.

One package folder per dossier: METS, EAD 2002 and PREMIS 3 metadata, the originals and the
signed PDF/A-2b copies under ``representations/``, SHA-256 of every file (see
:mod:`pipeline.archive` and docs/archive-mapping.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cli.options import parse_day
from core.errors import InputError
from core.settings import get_settings

archive_app = typer.Typer(help="Archive packages (gói lưu trữ, E-ARK CSIP).", no_args_is_help=True)


@archive_app.command("export")
def archive_export(
    out_dir: Annotated[Path, typer.Option("-o", "--output", help="folder for the packages")],
    dossier: Annotated[str | None, typer.Option("--dossier", help="one dossier code")] = None,
    start: Annotated[str | None, typer.Option("--from", help="first receipt day")] = None,
    end: Annotated[str | None, typer.Option("--to", help="last receipt day")] = None,
    document: Annotated[
        int | None, typer.Option("--document", help="only this document (its number) of --dossier")
    ] = None,
    package_type: Annotated[
        str, typer.Option("--type", help="OAIS package type: AIP or SIP")
    ] = "AIP",
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Write one archive package per dossier (METS + EAD + PREMIS, PDFs, SHA-256)."""
    from pipeline.archive import export
    from pipeline.bootstrap import open_runtime

    if package_type not in ("AIP", "SIP"):
        raise InputError("--type must be AIP or SIP", detail_vi="--type phải là AIP hoặc SIP")

    def progress(_stage: str, done: int, total: int) -> None:
        typer.echo(f"  {done}/{total}", err=True)

    rt = open_runtime(get_settings(), migrate=True)
    try:
        written = export(
            rt,
            out_dir,
            code=dossier,
            start=parse_day(start, "--from"),
            end=parse_day(end, "--to"),
            package_type=package_type,
            document=document,
            progress=progress,
        )
    finally:
        rt.close()
    if as_json:
        typer.echo(json.dumps([str(p) for p in written]))
    else:
        for path in written:
            typer.echo(str(path))
        typer.echo(f"{len(written)} package(s) in {out_dir}")


def register(app: typer.Typer) -> None:
    """Add the ``archive`` command group to ``app``."""
    app.add_typer(archive_app, name="archive")
