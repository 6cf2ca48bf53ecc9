"""``sohoa run``: the whole service on embedded defaults, stopped cleanly by Ctrl-C/SIGTERM.

What it starts (and stops again, in reverse order): SeaweedFS ``weed mini`` on loopback unless
``SOHOA_S3_ENDPOINT`` is set, the development PKI's TSA/OCSP/CRL server unless a real key is
configured, one ``sohoa worker`` subprocess, and the API (uvicorn, in this process). The
database is SQLite under the data directory unless ``SOHOA_DATABASE_URL`` is set; the broker is
the SQLite file transport unless ``SOHOA_BROKER_URL`` is set (see ``workers.celery_app``).

Hardening: everything it writes is private to the user (umask 077, data dir 0700); the embedded
S3 server gets random credentials made once per installation (``s3-credentials.json``, 0600)
unless keys are configured; the worker is supervised (a dead worker is restarted with a growing
back-off, each restart logged); work directories left by a killed worker are removed at start;
the first admin's password is printed once, when it is created.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from cli.runfile import RUN_FILE
from core.domain import Role
from core.settings import Settings, settings_with
from pipeline import Runtime, accounts, documents_stuck
from pipeline.bootstrap import open_runtime
from storage import records

CREDENTIALS_FILE = "admin-credentials.txt"
S3_CREDENTIALS_FILE = "s3-credentials.json"
#: The well-known defaults of ``SOHOA_S3_ACCESS_KEY`` / ``SOHOA_S3_SECRET_KEY``.
_DEFAULT_S3_KEYS = ("sohoa", "sohoa-secret-key")
#: Work directories the API itself uses (uploads being spooled, verified downloads).
_API_WORK_PREFIXES = ("sohoa-upload-", "sohoa-dl-")
log = logging.getLogger(__name__)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    path.chmod(0o600)


def s3_credentials(settings: Settings, data_dir: Path) -> tuple[str, str]:
    """The embedded S3 server's keys: configured ones, else random ones made once (0600)."""
    configured = (settings.s3_access_key, settings.s3_secret_key.get_secret_value())
    if configured != _DEFAULT_S3_KEYS:
        return configured
    path = data_dir / S3_CREDENTIALS_FILE
    if path.exists():
        stored = json.loads(path.read_text(encoding="utf-8"))
        return str(stored["access_key"]), str(stored["secret_key"])
    keys = (f"sohoa-{secrets.token_hex(6)}", secrets.token_urlsafe(32))
    _write_private(path, json.dumps({"access_key": keys[0], "secret_key": keys[1]}))
    return keys


def make_private(data_dir: Path) -> None:
    """The data directory 0700 and what an earlier release left in it 0600/0700."""
    data_dir.chmod(0o700)
    for path in data_dir.rglob("*"):
        try:
            if path.is_symlink() or path.is_socket():
                continue
            path.chmod(0o700 if path.is_dir() else 0o600)
        except OSError:
            continue


def remove_stale_work(work_dir: Path, *, keep_api: bool) -> list[str]:
    """Remove work directories a killed worker (or API) left behind; returns their names."""
    removed = []
    for entry in work_dir.iterdir():
        if keep_api and entry.name.startswith(_API_WORK_PREFIXES):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry.name)
    return removed


def ensure_first_admin(rt: Runtime) -> tuple[str, str] | None:
    """Create the first admin once (password kept in the data dir, mode 0600).

    Returns the name and password only when the account was created now; afterwards the
    password is in the credentials file alone, never printed again.
    """
    path = rt.settings.resolved_data_dir() / CREDENTIALS_FILE
    with rt.session() as session:
        if records.list_users(session):
            return None
        password = secrets.token_urlsafe(12)
        accounts.create_user(
            session, username="admin", password=password, role=Role.ADMIN, actor="sohoa run"
        )
        _write_private(path, f"admin:{password}\n")
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
        self._worker_env: dict[str, str] = {}
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None
        self.s3_keys: tuple[str, str] = (
            settings.s3_access_key,
            settings.s3_secret_key.get_secret_value(),
        )

    def _start_s3(self) -> str:
        if self.settings.s3_endpoint:
            return self.settings.s3_endpoint
        from storage.embedded import EmbeddedSeaweedFS

        self.s3_keys = s3_credentials(self.settings, self.data_dir)
        server = EmbeddedSeaweedFS(
            self.data_dir / "s3", access_key=self.s3_keys[0], secret_key=self.s3_keys[1]
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

    def _spawn_worker(self) -> subprocess.Popen[bytes]:
        logs = (self.data_dir / "logs").resolve()
        logs.mkdir(parents=True, exist_ok=True)
        with (logs / "worker.log").open("ab") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "cli.main", "worker"],
                env=self._worker_env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C reaches us; we stop the worker in order
            )

    def _start_worker(self, env: dict[str, str]) -> None:
        self._worker_env = env
        self._worker = self._spawn_worker()
        self._stack.append(self._stop_worker)
        self._supervisor = threading.Thread(
            target=self._supervise, name="sohoa-worker-supervisor", daemon=True
        )
        self._supervisor.start()

    def _supervise(self, *, poll: float = 0.5, max_delay: float = 30.0) -> None:
        """Restart the worker when it dies, waiting 1, 2, 4 … (at most 30) seconds (the first
        wait is ``SOHOA_WORKER_RESTART_SECONDS``); a worker that then runs for a minute resets
        the back-off."""
        failures = 0
        started = time.monotonic()
        while not self._stopping.wait(poll):
            process = self._worker
            if process is None or process.poll() is None:
                continue
            failures = 1 if time.monotonic() - started > 60 else failures + 1
            delay = min(max_delay, self.settings.worker_restart_seconds * 2.0 ** (failures - 1))
            message = (
                f"sohoa: the worker exited (code {process.returncode}); restarting it in"
                f" {delay:.0f}s (restart {failures}) / tiến trình xử lý đã dừng, khởi động lại"
            )
            print(message, file=sys.stderr, flush=True)
            log.warning(message)
            if self._stopping.wait(delay):
                return
            removed = remove_stale_work(self.settings_work_dir(), keep_api=True)
            if removed:
                log.info("removed stale work directories: %s", ", ".join(removed))
            self._worker = self._spawn_worker()
            started = time.monotonic()
            print(f"sohoa: worker restarted (pid {self._worker.pid})", file=sys.stderr, flush=True)

    def settings_work_dir(self) -> Path:
        """The work directory the worker and the API share."""
        work = self.data_dir / "work"
        work.mkdir(mode=0o700, parents=True, exist_ok=True)
        return work

    def _stop_worker(self) -> None:
        self._stopping.set()
        if self._supervisor is not None:
            self._supervisor.join(timeout=5)
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
        # Everything written from here on (database, broker, logs, S3 data) is private.
        os.umask(0o077)
        make_private(self.data_dir)
        try:
            endpoint = self._start_s3()
            access_key, secret_key = self.s3_keys
            settings = settings_with(
                s3_endpoint=endpoint,
                s3_access_key=access_key,
                s3_secret_key=secret_key,
                data_dir=self.data_dir,
            )
            self._start_pki()
            rt = open_runtime(settings, migrate=True)
            credentials = ensure_first_admin(rt)
            env = {
                **os.environ,
                "SOHOA_S3_ENDPOINT": endpoint,
                "SOHOA_S3_ACCESS_KEY": access_key,
                "SOHOA_S3_SECRET_KEY": secret_key,
                "SOHOA_DATA_DIR": str(self.data_dir),
            }
            # This process owns the only worker: nothing in the work directory is in use.
            remove_stale_work(self.settings_work_dir(), keep_api=False)
            self._start_worker(env)
            run_file = self.data_dir / RUN_FILE
            url = f"http://{settings.api_host}:{self.port}"
            _write_private(
                run_file,
                json.dumps(
                    {
                        "s3_endpoint": endpoint,
                        "s3_access_key": access_key,
                        "s3_secret_key": secret_key,
                        "api_url": url,
                    }
                ),
            )
            self._stack.append(lambda: run_file.unlink(missing_ok=True))
            self._requeue(rt)
            print(f"sohoa is running: {url}/docs  (API {url}/api/v1)", flush=True)
            if credentials:
                print(f"admin user: {credentials[0]}  password: {credentials[1]}", flush=True)
            else:
                print(
                    f"admin credentials (first start): {self.data_dir / CREDENTIALS_FILE}",
                    flush=True,
                )
            print(f"data: {self.data_dir}; stop with Ctrl-C", flush=True)
            app = create_app(settings, runtime=rt)
            config = uvicorn.Config(
                app,
                host=settings.api_host,
                port=self.port,
                log_level="warning",
                lifespan="on",
                # X-Forwarded-For is the API's business (SOHOA_TRUSTED_PROXIES), not uvicorn's.
                proxy_headers=False,
                server_header=False,
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


__all__ = [
    "CREDENTIALS_FILE",
    "S3_CREDENTIALS_FILE",
    "EmbeddedService",
    "ensure_first_admin",
    "make_private",
    "remove_stale_work",
    "s3_credentials",
]
