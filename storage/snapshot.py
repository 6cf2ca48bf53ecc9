"""What a backup copies, at the storage level: every object version, and a database dump.

- :func:`list_versions` lists every version (and delete marker) of a bucket, oldest first per
  key, so replaying them in order rebuilds the same history.
- :func:`download_version` streams one version to a file and returns its SHA-256.
- :func:`dump_database` writes a consistent dump: ``pg_dump`` (one snapshot transaction) for
  PostgreSQL, SQLite's online backup API (a page-level copy that sees one committed state, even
  while the service writes) for SQLite. :func:`restore_database` loads it into an empty database.

``pg_dump``/``psql`` come from Debian's ``postgresql-client``. The password reaches them through
``PGPASSWORD`` in their environment, never on a command line other users can read.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

from core.errors import Conflict, ServiceUnavailable, StorageError
from core.settings import MiB, Settings
from storage.objects import ObjectStore
from storage.s3client import CHUNK, make_client
from storage.s3errors import translate_errors
from storage.s3multipart import upload_multipart, upload_single

_PART = 16 * MiB


@dataclass(frozen=True)
class ObjectVersion:
    """One version of one key (or a delete marker) as S3 lists it."""

    bucket: str
    key: str
    version_id: str | None
    is_latest: bool
    is_delete_marker: bool
    size: int


def list_versions(store: ObjectStore, bucket: str) -> list[ObjectVersion]:
    """Every version and delete marker in ``bucket``, per key oldest first.

    S3 lists a key's versions newest first, but lists its delete markers apart from them
    (minio-py yields every ``<Version>`` before every ``<DeleteMarker>``), so the per-key order
    is rebuilt: the ``latest`` entry is newest, the others by modification time, ties in listed
    order. Two changes of one key within the same second besides the latest may replay in an
    order S3 cannot tell apart.
    """
    with translate_errors("list", bucket, ""):
        listed = list(store.client.list_objects(bucket, recursive=True, include_version=True))
    per_key: dict[str, list[tuple[ObjectVersion, float, int]]] = {}
    for index, item in enumerate(listed):
        key = str(item.object_name)
        latest = item.is_latest
        version = ObjectVersion(
            bucket=bucket,
            key=key,
            version_id=item.version_id,
            is_latest=str(latest).lower() == "true" if isinstance(latest, str) else bool(latest),
            is_delete_marker=bool(item.is_delete_marker),
            size=int(item.size or 0),
        )
        modified = item.last_modified.timestamp() if item.last_modified else 0.0
        per_key.setdefault(key, []).append((version, modified, index))
    ordered: list[ObjectVersion] = []
    for key in sorted(per_key):
        newest_first = sorted(per_key[key], key=lambda e: (not e[0].is_latest, -e[1], e[2]))
        ordered.extend(v for v, _, _ in reversed(newest_first))
    return ordered


def download_version(store: ObjectStore, version: ObjectVersion, dest: Path) -> tuple[str, str]:
    """Stream ``version`` to ``dest``; returns (SHA-256 hex, content type)."""
    digest = hashlib.sha256()
    dest.parent.mkdir(parents=True, exist_ok=True)
    with translate_errors("download", version.bucket, version.key):
        response = store.client.get_object(
            version.bucket, version.key, version_id=version.version_id
        )
        try:
            content_type = str(response.headers.get("Content-Type") or "application/octet-stream")
            with dest.open("wb") as out:
                for chunk in response.stream(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
        finally:
            response.close()
            response.release_conn()
    return digest.hexdigest(), content_type


def mark_deleted(store: ObjectStore, bucket: str, key: str) -> None:
    """Put a delete marker on ``key`` (replaying a deletion the backup recorded)."""
    with translate_errors("delete", bucket, key):
        store.client.remove_object(bucket, key)


def _pg_env(url: str) -> dict[str, str]:
    parsed = make_url(url)
    env = {**os.environ}
    for var, value in (
        ("PGHOST", parsed.host),
        ("PGPORT", str(parsed.port) if parsed.port else None),
        ("PGUSER", parsed.username),
        ("PGPASSWORD", parsed.password),
        ("PGDATABASE", parsed.database),
    ):
        if value:
            env[var] = str(value)
    return env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ServiceUnavailable(
            f"{name} not found: install Debian's postgresql-client",
            detail_vi=f"Không tìm thấy chương trình {name} (gói postgresql-client)",
        )
    return found


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise StorageError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def dump_database(engine: Engine, dest: Path) -> str:
    """Write a consistent dump of ``engine``'s database to ``dest``; returns its format.

    Returns:
        ``"pg_dump-plain"`` (SQL text) or ``"sqlite"`` (a database file).
    """
    if engine.dialect.name == "postgresql":
        env = _pg_env(engine.url.render_as_string(hide_password=False))
        done = subprocess.run(
            [_tool("pg_dump"), "--format=plain", "--no-owner", "--no-privileges", "-f", str(dest)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise StorageError(f"pg_dump failed: {done.stderr.strip()[:500]}")
        return "pg_dump-plain"
    if engine.dialect.name == "sqlite":
        source = sqlite3.connect(_sqlite_path(engine))
        target = sqlite3.connect(dest)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return "sqlite"
    raise StorageError(f"no backup method for {engine.dialect.name} databases")


def database_is_empty(engine: Engine) -> bool:
    """True when the database holds no table of sohoa's (a fresh, unmigrated database)."""
    tables = set(inspect(engine).get_table_names())
    return not (tables & {"dossiers", "documents", "audit_log", "alembic_version"})


def restore_database(engine: Engine, dump: Path, dump_format: str) -> None:
    """Load a dump written by :func:`dump_database` into ``engine``'s empty database.

    Raises:
        Conflict: the database already holds sohoa's tables (restore never overwrites).
        StorageError: the dump does not match the database kind, or loading it failed.
    """
    if not database_is_empty(engine):
        raise Conflict(
            "the target database is not empty; restore only rebuilds an empty installation",
            detail_vi="Cơ sở dữ liệu đích không trống; chỉ khôi phục vào hệ thống trống",
        )
    if dump_format == "pg_dump-plain" and engine.dialect.name == "postgresql":
        engine.dispose()
        env = _pg_env(engine.url.render_as_string(hide_password=False))
        done = subprocess.run(
            [_tool("psql"), "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", str(dump)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise StorageError(f"psql restore failed: {done.stderr.strip()[:500]}")
        return
    if dump_format == "sqlite" and engine.dialect.name == "sqlite":
        engine.dispose()
        source = sqlite3.connect(dump)
        target = sqlite3.connect(_sqlite_path(engine))
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return
    raise StorageError(
        f"a {dump_format} dump cannot be restored into a {engine.dialect.name} database"
    )


class BackupBucket:
    """A bucket on a second S3 server that receives backup files (``s3://host:port/bucket``).

    Each file is sent with ``x-amz-checksum-sha256`` so the server refuses altered bytes; the
    bucket is created with versioning when missing (object lock is the operator's choice there).
    """

    def __init__(self, settings: Settings, endpoint: str, bucket: str) -> None:
        self.client = make_client(settings, endpoint)
        self.bucket = bucket
        with translate_errors("ensure backup bucket", bucket, ""):
            if not self.client.bucket_exists(bucket):
                self.client.make_bucket(bucket)

    def put(self, key: str, path: Path, sha256: str) -> None:
        size, headers = path.stat().st_size, {"x-amz-meta-sha256": sha256}
        with path.open("rb") as stream, translate_errors("upload", self.bucket, key):
            if size <= _PART:
                upload_single(
                    self.client, self.bucket, key, stream, size, sha256=sha256, headers=headers
                )
            else:
                upload_multipart(
                    self.client,
                    self.bucket,
                    key,
                    stream,
                    size,
                    sha256=sha256,
                    part_size=_PART,
                    headers=headers,
                )

    def get(self, key: str, dest: Path) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        with translate_errors("download", self.bucket, key):
            self.client.fget_object(self.bucket, key, str(dest))


#: Columns that record an object's version id: (table, key column, version column, bucket role).
VERSION_REFERENCES = (
    ("documents", "digitized_key", "digitized_version_id", "documents"),
    ("documents", "signed_key", "signed_version_id", "results"),
    ("original_files", "object_key", "version_id", "originals"),
)


def remap_version_ids(engine: Engine, new_ids: dict[tuple[str, str, str], str | None]) -> int:
    """Point the records at the version ids a restore created; returns rows changed.

    ``new_ids`` maps (bucket role, key, version id in the backup) to the id the restored
    version got: S3 assigns version ids itself, so a replayed version never keeps its old one.
    """
    changed = 0
    columns = {
        t: {c["name"] for c in inspect(engine).get_columns(t)}
        for t in {"documents", "original_files"}
    }
    with engine.begin() as conn:
        for table, key_col, version_col, role in VERSION_REFERENCES:
            if version_col not in columns[table]:
                continue
            stmt = text(
                f"UPDATE {table} SET {version_col} = :new "
                f"WHERE {key_col} = :key AND {version_col} = :old"
            )
            for (bucket_role, key, old), new in new_ids.items():
                if bucket_role == role and old != new:
                    changed += conn.execute(stmt, {"new": new, "key": key, "old": old}).rowcount
    return changed


__all__ = [
    "BackupBucket",
    "ObjectVersion",
    "database_is_empty",
    "download_version",
    "dump_database",
    "list_versions",
    "mark_deleted",
    "remap_version_ids",
    "restore_database",
]
