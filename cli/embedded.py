"""``sohoa run``: the whole service on embedded defaults, stopped cleanly by Ctrl-C/SIGTERM.

What it starts (and stops again, in reverse order): SeaweedFS ``weed mini`` on loopback unless
``SOHOA_S3_ENDPOINT`` is set, the development PKI's TSA/OCSP/CRL server unless a real key is
configured, one ``sohoa worker`` subprocess, and the API (uvicorn, in this process). The
database is SQLite under the data directory unless ``SOHOA_DATABASE_URL`` is set; the broker is
the SQLite file transport unless ``SOHOA_BROKER_URL`` is set (see ``workers.celery_app``).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
from typing import Any

from cli.runfile import RUN_FILE
from core.domain import Role
from core.settings import Settings, settings_with
from pipeline import Runtime, accounts, documents_stuck
from pipeline.bootstrap import open_runtime
from storage import records

CREDENTIALS_FILE = "admin-credentials.txt"


def ensure_first_admin(rt: Runtime) -> tuple[str, str] | None:
    """Create the first admin once (password kept in the data dir, mode 0600); returns it."""
    path = rt.settings.resolved_data_dir() / CREDENTIALS_FILE
    with rt.session() as session:
        if records.list_users(session):
            if path.exists():
                name, _, password = path.read_text(encoding="utf-8").strip().partition(":")
                return name, password
            return None
        password = secrets.token_urlsafe(12)
        accounts.create_user(
            session, username="admin", password=password, role=Role.ADMIN, actor="sohoa run"
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"admin:{password}\n")
    return "admin", password


class _Stop(Exception):
    """SIGTERM, turned into an exception so that clean-up runs."""


def _raise_stop(signum: int, frame: Any) -> None:
    raise _Stop


class EmbeddedService:
    """Everything ``make run`` needs, owned by one process."""

    def __init__(self, settings: Settings, *, port: int | None = None) -> None:
        self.settings = settings
        self.port = port or settings.api_port
        self.data_dir = settings.resolved_data_dir()
        self._stack: list[Any] = []
        self._worker: subprocess.Popen[bytes] | None = None

    def _start_s3(self) -> str:
        if self.settings.s3_endpoint:
            return self.settings.s3_endpoint
        from storage.embedded import EmbeddedSeaweedFS

        server = EmbeddedSeaweedFS(
            self.data_dir / "s3",
            access_key=self.settings.s3_access_key,
            secret_key=self.settings.s3_secret_key.get_secret_value(),
        )
        server.start()
        self._stack.append(server.stop)
        return server.endpoint

    def _start_pki(self) -> None:
        if self.settings.signing_key_source != "dev":
            return
        from signing.devpki import dev_pki_for

        pki = dev_pki_for(self.data_dir, agency_name=self.settings.agency_name)
        pki.start()
        self._stack.append(pki.stop)

    def _start_worker(self, env: dict[str, str]) -> None:
        log = (self.data_dir / "logs").resolve()
        log.mkdir(parents=True, exist_ok=True)
        with (log / "worker.log").open("ab") as out:
            self._worker = subprocess.Popen(
                [sys.executable, "-m", "cli.main", "worker"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C reaches us; we stop the worker in order
            )
        self._stack.append(self._stop_worker)

    def _stop_worker(self) -> None:
        process, self._worker = self._worker, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)  # warm shutdown: finishes the running task
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def run(self) -> None:
        """Start everything, serve until interrupted, then stop everything started."""
        import uvicorn

        from api.app import create_app

        # uvicorn re-raises the signal that stopped it after restoring the previous handler;
        # SIGTERM's default would kill us before the finally below stops what we started.
        signal.signal(signal.SIGTERM, _raise_stop)
        try:
            endpoint = self._start_s3()
            settings = settings_with(s3_endpoint=endpoint, data_dir=self.data_dir)
            self._start_pki()
            rt = open_runtime(settings, migrate=True)
            credentials = ensure_first_admin(rt)
            env = {
                **os.environ,
                "SOHOA_S3_ENDPOINT": endpoint,
                "SOHOA_DATA_DIR": str(self.data_dir),
            }
            self._start_worker(env)
            run_file = self.data_dir / RUN_FILE
            url = f"http://{settings.api_host}:{self.port}"
            run_file.write_text(json.dumps({"s3_endpoint": endpoint, "api_url": url}))
            self._stack.append(lambda: run_file.unlink(missing_ok=True))
            self._requeue(rt)
            print(f"sohoa is running: {url}/docs  (API {url}/api/v1)", flush=True)
            if credentials:
                print(f"admin user: {credentials[0]}  password: {credentials[1]}", flush=True)
            print(f"data: {self.data_dir}; stop with Ctrl-C", flush=True)
            app = create_app(settings, runtime=rt)
            config = uvicorn.Config(
                app, host=settings.api_host, port=self.port, log_level="warning", lifespan="on"
            )
            uvicorn.Server(config).run()
        except _Stop:
            pass
        finally:
            self.stop()

    def _requeue(self, rt: Runtime) -> None:
        """Queue again documents left unfinished by a previous run (this is the only worker)."""
        from workers import tasks

        for document_id, stage, role, pages in documents_stuck(rt):
            tasks.schedule_stage(
                document_id, stage, role, rt.settings.default_signature_level, pages
            )

    def stop(self) -> None:
        """Stop what was started, newest first; never raises."""
        while self._stack:
            stop = self._stack.pop()
            try:
                stop()
            except Exception as exc:  # keep stopping the rest
                print(f"sohoa: while stopping: {exc}", file=sys.stderr)


__all__ = ["CREDENTIALS_FILE", "EmbeddedService", "ensure_first_admin"]
