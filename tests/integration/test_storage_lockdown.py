"""Embedded SeaweedFS: nothing but the S3 port answers without credentials, and its data
directory is private (the filer port once served and deleted every stored version)."""

from __future__ import annotations

import secrets
import socket
import ssl
import stat
from pathlib import Path

import pytest

from core.settings import settings_with
from storage.embedded import EmbeddedSeaweedFS
from storage.objects import ObjectStore

pytestmark = pytest.mark.integration


def _listening_ports(pid: int) -> set[int]:
    """TCP ports process ``pid`` listens on (from /proc: its socket inodes in LISTEN state)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink().name
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def _plain_http(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        try:
            return sock.recv(200)
        except (ConnectionResetError, TimeoutError):
            return b""


def _tls_without_certificate(port: int, request: bytes) -> bytes | None:
    """What a TLS client without the installation's certificate gets (None: refused)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            tls.sendall(request)
            return tls.recv(200) or None
    except (ssl.SSLError, ConnectionResetError, TimeoutError, OSError):
        return None


def test_only_the_s3_port_answers_and_the_data_is_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "s3"
    secret = secrets.token_hex(16)
    with EmbeddedSeaweedFS(data_dir, access_key="lock", secret_key=secret) as server:
        store = ObjectStore.from_settings(
            server.client_settings(
                settings_with(
                    s3_access_key="lock",
                    s3_secret_key=secret,
                    object_lock_mode="GOVERNANCE",
                    object_lock_days=1,
                )
            )
        )
        store.ensure_buckets()
        stored = store.put_bytes(store.buckets.results, "k/ket-qua.pdf", b"%PDF signed")
        assert server.pid is not None
        ports = _listening_ports(server.pid)
        others = ports - {server.s3_port}
        assert len(others) >= 8, ports  # master, volume, filer, admin and their gRPC twins
        key = f"/buckets/{stored.bucket}/{stored.key}"
        for port in sorted(others):
            for request in (
                f"GET {key} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode(),
                f"DELETE {key} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode(),
                b"GET /col/delete?collection=sohoa-results HTTP/1.1\r\nHost: x\r\n\r\n",
            ):
                plain = _plain_http(port, request)
                # A TLS server answers plain HTTP with 400 (or drops it); never with data.
                assert (
                    not plain or plain.startswith(b"HTTP/1.0 400") or not plain.startswith(b"HTTP")
                ), (port, plain)
                assert _tls_without_certificate(port, request) is None, port
        # The S3 port itself wants the S3 keys.
        anonymous = _plain_http(
            server.s3_port,
            f"GET /{stored.bucket}/{stored.key} HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
        )
        assert anonymous.startswith(b"HTTP/1.1 403"), anonymous
        # Still there and readable with the keys.
        assert store.read_bytes(stored.bucket, stored.key, stored.sha256) == b"%PDF signed"
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    loose = [
        path
        for path in data_dir.rglob("*")
        if not path.is_socket() and stat.S_IMODE(path.stat().st_mode) & 0o077
    ]
    assert not loose, loose[:5]


def test_compliance_retention_binds_the_service_own_keys(tmp_path: Path) -> None:
    from core.errors import StorageError

    secret = secrets.token_hex(16)
    with EmbeddedSeaweedFS(tmp_path / "s3", access_key="own", secret_key=secret) as server:
        # The default mode: COMPLIANCE (SOHOA_OBJECT_LOCK_MODE), here for one day.
        settings = server.client_settings(
            settings_with(s3_access_key="own", s3_secret_key=secret, object_lock_days=1)
        )
        assert settings.object_lock_mode == "COMPLIANCE"
        store = ObjectStore.from_settings(settings)
        store.ensure_buckets()
        assert store.describe_bucket(store.buckets.results)["lock_mode"] == "COMPLIANCE"
        first = store.put_bytes(store.buckets.results, "k/a.pdf", b"%PDF genuine")
        # Not even with the governance bypass header can the service delete the record.
        with pytest.raises(StorageError):
            store.delete(
                first.bucket, first.key, version_id=first.version_id, bypass_governance=True
            )
        # Overwriting makes a new version; the recorded one is still there, unchanged.
        store.put_bytes(first.bucket, first.key, b"%PDF forged", replace=True)
        data = store.fetch_verified(
            first.bucket, first.key, first.sha256, version_id=first.version_id
        )
        assert data == b"%PDF genuine"
