"""``sohoa backup --to DIR|s3://host:port/bucket[/prefix]`` and ``sohoa restore --from …``.

A backup holds a consistent database dump and every version of every object, with a SHA-256
manifest (``SHA256SUMS`` checks with ``sha256sum -c``); see :mod:`pipeline.backup`. Restore
rebuilds an *empty* installation (empty database; buckets are created if missing).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from core.settings import get_settings

JsonOption = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def _progress(stage: str, done: int, total: int) -> None:
    if done == total or done % 100 == 0:
        typer.echo(f"  {stage}: {done}/{total}", err=True)


def register(app: typer.Typer) -> None:
    """Add ``backup`` and ``restore`` to ``app``."""

    @app.command("backup")
    def _backup(
        to: Annotated[str, typer.Option("--to", help="empty folder, or s3://host:port/bucket")],
        as_json: JsonOption = False,
    ) -> None:
        """Copy the database and every object version, with a SHA-256 manifest."""
        from pipeline.backup import backup
        from pipeline.bootstrap import open_runtime

        rt = open_runtime(get_settings(), migrate=True)
        try:
            report = backup(rt, to, progress=_progress)
        finally:
            rt.close()
        if as_json:
            typer.echo(json.dumps(report.as_dict()))
        else:
            typer.echo(
                f"backup {report.location}: database ({report.database_format}), "
                f"{report.objects} object versions, {report.bytes} bytes"
            )

    @app.command("restore")
    def _restore(
        source: Annotated[str, typer.Option("--from", help="a backup folder or s3://… location")],
        as_json: JsonOption = False,
    ) -> None:
        """Rebuild an empty installation from a backup (every file checked first)."""
        from pipeline.backup import restore
        from pipeline.bootstrap import open_runtime

        rt = open_runtime(get_settings())  # not migrated: the database must be empty
        try:
            report = restore(rt, source, progress=_progress)
        finally:
            rt.close()
        if as_json:
            typer.echo(json.dumps(report.as_dict()))
        else:
            typer.echo(
                f"restored from {report.location}: database, {report.objects} object versions,"
                f" audit chain intact ({report.audit_entries} entries)"
            )
