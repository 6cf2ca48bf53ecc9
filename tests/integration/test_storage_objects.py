"""Object storage against a real S3 server (SeaweedFS ``weed mini`` on loopback)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from core.errors import (
    Conflict,
    IntegrityError,
    NotFound,
    StorageError,
    StorageUnavailable,
)
from core.settings import Settings, settings_with
from storage.embedded import EmbeddedSeaweedFS, pick_port_pair
from storage.keys import document_key
from storage.objects import ObjectStore

MiB = 1024 * 1024


def _key() -> str:
    """A fresh document key (random agency code, so tests never collide)."""
    return document_key(f"K{secrets.token_hex(4)}.00.00.H00-261123-0001", 1)


def test_buckets_have_versioning_and_object_lock(object_store: ObjectStore) -> None:
    object_store.ensure_buckets()  # idempotent
    for name in object_store.buckets.all():
        state = object_store.describe_bucket(name)
        assert state["versioning"] == "Enabled"
        assert state["lock_mode"] == "GOVERNANCE"
        assert state["retention"] == "1 Days"


def test_object_lock_refuses_deletion(object_store: ObjectStore) -> None:
    bucket, key = object_store.buckets.results, _key()
    stored = object_store.put_bytes(bucket, key, b"%PDF-1.7 signed result")
    with pytest.raises(StorageError) as refused:
        object_store.delete(bucket, key)
    assert not refused.value.retryable
    with pytest.raises(StorageError):
        object_store.delete(bucket, key, version_id=stored.version_id)
    assert object_store.read_bytes(bucket, key, stored.sha256) == b"%PDF-1.7 signed result"


def test_overwrite_needs_replace_and_keeps_the_old_version(object_store: ObjectStore) -> None:
    bucket, key = object_store.buckets.documents, _key()
    first = object_store.put_bytes(bucket, key, b"version one")
    assert object_store.put_bytes(bucket, key, b"version one") == first  # idempotent no-op
    with pytest.raises(Conflict):
        object_store.put_bytes(bucket, key, b"version two")
    second = object_store.put_bytes(bucket, key, b"version two", replace=True)
    assert second.version_id != first.version_id
    old = b"".join(
        object_store.iter_verified(bucket, key, first.sha256, version_id=first.version_id)
    )
    assert old == b"version one"


def test_checksum_mismatch_on_put_is_refused_by_the_server(object_store: ObjectStore) -> None:
    bucket, key = object_store.buckets.originals, _key()
    with pytest.raises(IntegrityError, match="BadDigest"):
        object_store.put_bytes(
            bucket, key, b"scan bytes", sha256=hashlib.sha256(b"other").hexdigest()
        )
    assert object_store.stat(bucket, key) is None  # nothing was stored


def test_checksum_mismatch_on_get_is_detected(object_store: ObjectStore, tmp_path: Path) -> None:
    bucket, key = object_store.buckets.documents, _key()
    object_store.put_bytes(bucket, key, b"digitized copy")
    recorded = hashlib.sha256(b"what the database recorded").hexdigest()
    with pytest.raises(IntegrityError, match="does not match"):
        object_store.read_bytes(bucket, key, recorded)
    dest = tmp_path / "out.pdf"
    with pytest.raises(IntegrityError):
        object_store.download(bucket, key, dest, recorded)
    assert not dest.exists() and not list(tmp_path.iterdir())


def test_multipart_upload_sends_part_checksums_and_round_trips(
    s3_settings: Settings, tmp_path: Path
) -> None:
    store = ObjectStore.from_settings(s3_settings)
    store.part_size = 5 * MiB  # the S3 minimum, to get three parts from 11 MiB
    data = os.urandom(11 * MiB + 123)
    path = tmp_path / "big.pdf"
    path.write_bytes(data)
    seen: list[int] = []
    stored = store.put_file(store.buckets.documents, _key(), path, progress=seen.append)
    assert seen == [5 * MiB, 10 * MiB, len(data)]
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert store.stat(stored.bucket, stored.key) == stored
    out = store.download(stored.bucket, stored.key, tmp_path / "back.pdf", stored.sha256)
    assert out.read_bytes() == data


def test_multipart_with_wrong_declared_sha256_stores_nothing(s3_settings: Settings) -> None:
    store = ObjectStore.from_settings(s3_settings)
    store.part_size = 5 * MiB
    data = os.urandom(6 * MiB)
    key = _key()
    with pytest.raises(IntegrityError):
        store.put_stream(
            store.buckets.documents, key, io.BytesIO(data), len(data), sha256="ab" * 32
        )
    assert store.stat(store.buckets.documents, key) is None


def test_unseekable_stream_is_spooled_and_hashed(object_store: ObjectStore) -> None:
    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
            chunk = self._inner.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    data = b"upload body " * 1000
    stored = object_store.put_stream(object_store.buckets.originals, _key(), Pipe(data), -1)  # type: ignore[arg-type]
    assert stored.sha256 == hashlib.sha256(data).hexdigest() and stored.size == len(data)


def test_presigned_get_serves_the_object_then_expires(object_store: ObjectStore) -> None:
    bucket, key = object_store.buckets.results, _key()
    object_store.put_bytes(bucket, key, b"ket qua")
    url = object_store.presigned_get(bucket, key, filename="Giấy phép xây dựng.pdf")
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"ket qua"
        disposition = response.headers["Content-Disposition"]
    assert disposition.isascii() and "Gi%E1%BA%A5y" in disposition
    short = object_store.presigned_get(bucket, key, expiry=timedelta(seconds=1))
    time.sleep(2.1)
    with pytest.raises(urllib.error.HTTPError) as expired:
        urllib.request.urlopen(short, timeout=10)
    assert expired.value.code == 403


def test_missing_object_is_not_found(object_store: ObjectStore) -> None:
    with pytest.raises(NotFound):
        object_store.read_bytes(object_store.buckets.results, _key(), "0" * 64)


def test_dead_endpoint_gives_a_clear_retryable_error(s3_settings: Settings) -> None:
    dead = settings_with(
        **{**s3_settings.model_dump(), "s3_endpoint": f"127.0.0.1:{pick_port_pair()}"}
    )
    store = ObjectStore.from_settings(dead, retries=1)
    started = time.monotonic()
    with pytest.raises(StorageUnavailable) as caught:
        store.put_bytes(store.buckets.results, _key(), b"x")
    assert caught.value.retryable
    assert "unreachable" in caught.value.message
    assert time.monotonic() - started < 15


def test_server_outage_is_retryable_and_loses_nothing_accepted(
    tmp_path: Path, s3_settings: Settings
) -> None:
    # Its own server: stopping the session one would disturb other tests.
    server = EmbeddedSeaweedFS(tmp_path / "s3", access_key="outage", secret_key="outage-secret-1")
    server.start()
    try:
        settings = settings_with(
            **{
                **s3_settings.model_dump(),
                "s3_endpoint": server.endpoint,
                "s3_access_key": "outage",
                "s3_secret_key": "outage-secret-1",
            }
        )
        store = ObjectStore.from_settings(settings, retries=1)
        store.ensure_buckets()
        accepted = [
            store.put_bytes(store.buckets.originals, _key(), os.urandom(2048)) for _ in range(3)
        ]
        # The server dies in the middle of a multipart upload (after the first part is read).
        store.part_size = 5 * MiB
        interrupted_key = _key()

        class DyingServerStream(io.BytesIO):
            def read(self, size: int | None = -1) -> bytes:
                if self.tell() >= 5 * MiB and server.is_running():
                    server.stop()
                return super().read(size)

        data = os.urandom(11 * MiB)
        with pytest.raises(StorageUnavailable) as caught:
            store.put_stream(
                store.buckets.documents,
                interrupted_key,
                DyingServerStream(data),
                len(data),
                sha256=hashlib.sha256(data).hexdigest(),
            )
        assert caught.value.retryable
        with pytest.raises(StorageUnavailable) as caught:
            store.put_bytes(store.buckets.originals, _key(), b"during the outage")
        assert caught.value.retryable
        with pytest.raises(StorageUnavailable):
            store.read_bytes(accepted[0].bucket, accepted[0].key, accepted[0].sha256)
        server.start()  # same data directory, new ports
        store = ObjectStore.from_settings(
            settings_with(**{**settings.model_dump(), "s3_endpoint": server.endpoint})
        )
        for obj in accepted:
            assert (
                hashlib.sha256(store.read_bytes(obj.bucket, obj.key, obj.sha256)).hexdigest()
                == obj.sha256
            )
        # The interrupted upload left nothing half-written behind.
        assert store.stat(store.buckets.documents, interrupted_key) is None
    finally:
        server.stop()


def _cli_env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SOHOA_DATA_DIR": str(tmp_path),
        "SOHOA_S3_ENDPOINT": settings.s3_endpoint,
        "SOHOA_S3_ACCESS_KEY": settings.s3_access_key,
        "SOHOA_S3_SECRET_KEY": settings.s3_secret_key.get_secret_value(),
        "SOHOA_S3_SECURE": "false",
        "SOHOA_OBJECT_LOCK_DAYS": "1",
        # The session's buckets are GOVERNANCE (tests clean up); the default is COMPLIANCE.
        "SOHOA_OBJECT_LOCK_MODE": "GOVERNANCE",
    }


def test_cli_storage_check_reports_buckets_and_probe(s3_settings: Settings, tmp_path: Path) -> None:
    sohoa = Path(sys.executable).with_name("sohoa")
    env = _cli_env(s3_settings, tmp_path)
    done = subprocess.run(
        [str(sohoa), "storage", "check", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is True
    assert {b["bucket"] for b in report["buckets"]} == set(s3_settings_buckets(s3_settings))
    assert all(
        b["versioning"] == "Enabled" and b["lock_mode"] == "GOVERNANCE" for b in report["buckets"]
    )
    assert report["probe"]["deleted"] is True

    env["SOHOA_S3_ENDPOINT"] = f"127.0.0.1:{pick_port_pair()}"
    dead = subprocess.run(
        [str(sohoa), "storage", "check"], capture_output=True, text=True, env=env, timeout=120
    )
    assert dead.returncode == StorageUnavailable.exit_code
    assert "storage-unavailable" in dead.stderr and "Traceback" not in dead.stderr


def s3_settings_buckets(settings: Settings) -> list[str]:
    return [settings.bucket_originals, settings.bucket_documents, settings.bucket_results]


@pytest.mark.parametrize("extra", [0, 1])
def test_objects_at_the_part_size_boundary_round_trip(
    object_store: ObjectStore, extra: int
) -> None:
    # Exactly one part goes as a single PUT (minio-py's own put_object would split it and
    # send an invalid whole-object checksum); one byte more goes multipart.
    data = os.urandom(object_store.part_size + extra)
    stored = object_store.put_stream(
        object_store.buckets.documents, _key(), io.BytesIO(data), len(data)
    )
    assert object_store.read_bytes(stored.bucket, stored.key, stored.sha256) == data
