"""Service commands: ``serve``, ``worker``, ``run`` (everything embedded), ``users``, ``ingest``."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

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
        # X-Forwarded-For is read by the API itself, from SOHOA_TRUSTED_PROXIES only
        # (uvicorn would believe it from 127.0.0.1, i.e. from anyone on the host).
        proxy_headers=False,
        server_header=False,
    )


def worker(
    concurrency: Annotated[int, typer.Option(help="parallel tasks (0: settings)")] = 0,
    name: Annotated[str, typer.Option(help="node name (unique per host)")] = "sohoa",
    metrics_port: Annotated[int, typer.Option(help="serve Prometheus metrics (0: off)")] = 0,
    queues: Annotated[
        str, typer.Option(help="queues to serve: all, or some of sign,ocr,ocr-batch,housekeeping")
    ] = "all",
) -> None:
    """Run a Celery worker alone (settings from the environment).

    Serving OCR and light queues together, it runs two Celery workers in one process group
    (``workers.lanes``) so that a signature never waits behind an OCR.
    """
    from workers.celery_app import celery_app, parse_queues
    from workers.lanes import LightLane, split_lanes, worker_argv

    settings = get_settings()
    settings.resolved_data_dir()
    heavy, light = split_lanes(parse_queues(queues))
    if metrics_port:
        from workers.metrics import serve_metrics

        serve_metrics(metrics_port)
    count = concurrency or max(1, settings.worker_concurrency)
    if not heavy:
        heavy, light = light, ()
    lane = LightLane(light, name=name, loglevel=settings.log_level).start() if light else None
    try:
        celery_app.worker_main(
            worker_argv(heavy, concurrency=count, name=name, loglevel=settings.log_level)
        )
    finally:
        if lane is not None:
            lane.stop()


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
    password = _read_password()
    rt = open_runtime(get_settings(), migrate=True)
    try:
        with rt.session() as session:
            accounts.create_user(session, username=name, password=password, role=role, actor="cli")
    finally:
        rt.close()
    typer.echo(f"created {name} ({role.value})")


def _read_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < 8:
        raise ConfigurationError(
            "the password must have at least 8 characters",
            detail_vi="Mật khẩu phải có ít nhất 8 ký tự",
        )
    return password


@contextmanager
def _accounts_session() -> Iterator[Session]:
    from pipeline.bootstrap import open_runtime

    rt = open_runtime(get_settings(), migrate=True)
    try:
        with rt.session() as session:
            yield session
    finally:
        rt.close()


@users_app.command("list")
def users_list(
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """List staff accounts (name, role, active)."""
    from pipeline import accounts

    with _accounts_session() as session:
        rows = [
            {
                "id": u.id,
                "username": u.username,
                "role": str(u.role),
                "active": bool(u.active),
                "created_at": u.created_at.isoformat(),
            }
            for u in accounts.list_users(session)
        ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        state = "active" if row["active"] else "disabled"
        typer.echo(f"{row['username']:<24} {row['role']:<10} {state}")


@users_app.command("disable")
def users_disable(name: Annotated[str, typer.Argument(help="user name")]) -> None:
    """Disable an account: it cannot log in, its tokens stop working at once."""
    from pipeline import accounts

    with _accounts_session() as session:
        accounts.set_active(session, username=name, active=False, actor="cli")
    typer.echo(f"disabled {name}")


@users_app.command("enable")
def users_enable(name: Annotated[str, typer.Argument(help="user name")]) -> None:
    """Enable a disabled account."""
    from pipeline import accounts

    with _accounts_session() as session:
        accounts.set_active(session, username=name, active=True, actor="cli")
    typer.echo(f"enabled {name}")


@users_app.command("set-role")
def users_set_role(
    name: Annotated[str, typer.Argument(help="user name")],
    role: Annotated[Role, typer.Argument(help="reception, signer or admin")],
) -> None:
    """Change an account's role; its tokens stop working at once."""
    from pipeline import accounts

    with _accounts_session() as session:
        accounts.set_role(session, username=name, role=role, actor="cli")
    typer.echo(f"{name} is now {role.value}")


@users_app.command("reset-password")
def users_reset_password(
    name: Annotated[str, typer.Argument(help="user name")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read it from stdin")
    ] = False,
) -> None:
    """Set a new password (read from stdin); the account's tokens stop working at once."""
    from pipeline import accounts

    if not password_stdin:
        raise ConfigurationError("pass --password-stdin and the password on standard input")
    password = _read_password()
    with _accounts_session() as session:
        accounts.reset_password(session, username=name, password=password, actor="cli")
    typer.echo(f"password of {name} reset")


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
