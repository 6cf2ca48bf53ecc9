"""Service commands: ``serve``, ``worker``, ``run`` (everything embedded), ``users``, ``ingest``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cli.runfile import effective_settings
from core.domain import Role
from core.errors import ConfigurationError
from core.settings import get_settings

users_app = typer.Typer(help="Staff accounts of the API.", no_args_is_help=True)


def serve(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
    workers: Annotated[int, typer.Option(help="API processes")] = 1,
) -> None:
    """Run the API alone (settings from the environment)."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "api.app:app",
        factory=True,
        host=host or settings.api_host,
        port=port or settings.api_port,
        workers=workers,
        log_level=settings.log_level.lower(),
        proxy_headers=True,
    )


def worker(
    concurrency: Annotated[int, typer.Option(help="parallel tasks (0: settings)")] = 0,
    name: Annotated[str, typer.Option(help="node name (unique per host)")] = "sohoa",
    metrics_port: Annotated[int, typer.Option(help="serve Prometheus metrics (0: off)")] = 0,
) -> None:
    """Run a Celery worker alone (settings from the environment)."""
    from workers.celery_app import QUEUE, celery_app

    settings = get_settings()
    settings.resolved_data_dir()
    if metrics_port:
        from workers.metrics import serve_metrics

        serve_metrics(metrics_port)
    count = concurrency or max(1, settings.worker_concurrency)
    celery_app.worker_main(
        [
            "worker",
            f"--loglevel={settings.log_level}",
            f"--concurrency={count}",
            f"--queues={QUEUE}",
            "--pool=prefork",
            "--without-gossip",
            "--without-mingle",
            f"--hostname={name}@%h",
        ]
    )


def run(
    port: Annotated[int | None, typer.Option(help="API port (default SOHOA_API_PORT)")] = None,
) -> None:
    """Start everything on embedded defaults: API, worker, S3, PKI; Ctrl-C stops it all."""
    from cli.embedded import EmbeddedService

    EmbeddedService(get_settings(), port=port).run()


@users_app.command("create")
def users_create(
    name: Annotated[str, typer.Argument(help="user name")],
    role: Annotated[Role, typer.Option(help="reception, signer or admin")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read it from stdin")
    ] = False,
) -> None:
    """Create a staff account (the password is read from stdin, never from the command line)."""
    from pipeline import accounts
    from pipeline.bootstrap import open_runtime

    if not password_stdin:
        raise ConfigurationError("pass --password-stdin and the password on standard input")
    password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < 8:
        raise ConfigurationError("the password must have at least 8 characters")
    rt = open_runtime(get_settings(), migrate=True)
    try:
        with rt.session() as session:
            accounts.create_user(session, username=name, password=password, role=role, actor="cli")
    finally:
        rt.close()
    typer.echo(f"created {name} ({role.value})")


def ingest(
    folder: Annotated[Path, typer.Argument(help="scanner drop folder", file_okay=False)],
    dossier: Annotated[str, typer.Option(help="dossier code the scans belong to")],
    watch: Annotated[bool, typer.Option(help="keep watching for new files")] = False,
    type_name: Annotated[str, typer.Option(help="document type name")] = "Giấy tờ",
) -> None:
    """Submit every file in FOLDER as one document of DOSSIER (moved to FOLDER/.done after)."""
    from cli.ingest import ingest_folder

    ingest_folder(effective_settings(), folder, dossier, watch=watch, type_name=type_name)


def register(app: typer.Typer) -> None:
    """Add this area's commands to ``app``."""
    app.command()(serve)
    app.command()(worker)
    app.command()(run)
    app.command()(ingest)
    app.add_typer(users_app, name="users")


__all__ = ["register"]
