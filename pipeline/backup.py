"""Backups on independent media: ``sohoa backup --to DIR|s3://…`` and ``sohoa restore --from …``.

A backup is a folder (or the same files under a prefix of a second S3 bucket)::

    manifest.json        what was copied: database dump, every object version, their SHA-256
    SHA256SUMS           ``sha256sum -c`` list of every file (manifest included)
    database/dump.sql    pg_dump (PostgreSQL) | database/sohoa.sqlite (SQLite online backup)
    objects/<role>/NNNNNN  one file per object version, in the order they were written

The database is dumped first, then the objects are copied: every object a dumped row refers to
was stored before its row was committed, so it is in the backup. Restoring checks every file
against its SHA-256 before anything is written, loads the dump into an *empty* database,
migrates it to the current schema, replays every object version (and deletion) into the
configured buckets, points the records at the version ids S3 gave the replayed versions,
checks the current version of every key against the manifest and the audit chain, and records
the restore in the audit log (``backup.restored``).
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from core.domain import BucketRole
from core.errors import InputError, IntegrityError
from core.hashing import sha256_file
from pipeline.context import Runtime
from storage import audit, snapshot
from storage.codes import VIETNAM_TZ
from storage.db import upgrade

log = logging.getLogger(__name__)

FORMAT = "sohoa-backup/1"
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class BackupReport:
    """What a backup or restore did."""

    location: str
    database_format: str
    objects: int
    delete_markers: int
    bytes: int
    audit_entries: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _now() -> str:
    return datetime.now(VIETNAM_TZ).isoformat(timespec="seconds")


def _s3_target(url: str) -> tuple[str, str, str]:
    """``s3://host:port/bucket/prefix`` → (endpoint, bucket, prefix)."""
    rest = url.removeprefix("s3://")
    parts = rest.split("/", 2)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise InputError(
            f"not an S3 backup location: {url!r} (s3://host:port/bucket[/prefix])",
            detail_vi="Địa chỉ sao lưu S3 không hợp lệ (s3://máy:cổng/bucket[/tiền tố])",
        )
    prefix = parts[2].strip("/") if len(parts) == 3 else ""
    return parts[0], parts[1], prefix


def _backup_bucket(rt: Runtime, endpoint: str, bucket: str) -> snapshot.BackupBucket:
    settings = rt.settings.model_copy(
        update={
            "s3_access_key": rt.settings.backup_s3_access_key,
            "s3_secret_key": rt.settings.backup_s3_secret_key,
            "s3_secure": rt.settings.backup_s3_secure,
        }
    )
    return snapshot.BackupBucket(settings, endpoint, bucket)


def _write_sums(folder: Path, files: list[str]) -> None:
    lines = [f"{sha256_file(folder / name)}  {name}\n" for name in sorted(files)]
    (folder / SUMS).write_text("".join(lines), encoding="ascii")


def _read_sums(folder: Path) -> dict[str, str]:
    sums: dict[str, str] = {}
    for line in (folder / SUMS).read_text(encoding="ascii").splitlines():
        digest, name = line.split("  ", 1)
        sums[name] = digest
    return sums


def backup(rt: Runtime, location: str, *, progress: Progress | None = None) -> BackupReport:
    """Copy the database and every object version to ``location`` (a folder or ``s3://…``)."""
    if location.startswith("s3://"):
        endpoint, bucket, prefix = _s3_target(location)
        target = _backup_bucket(rt, endpoint, bucket)
        with tempfile.TemporaryDirectory(prefix="sohoa-backup-") as tmp:
            report = _backup_to_folder(rt, Path(tmp), progress)
            files = sorted(p for p in Path(tmp).rglob("*") if p.is_file())
            sums = _read_sums(Path(tmp))
            for path in files:
                name = path.relative_to(tmp).as_posix()
                digest = sums.get(name) or sha256_file(path)
                target.put(f"{prefix}/{name}" if prefix else name, path, digest)
        return BackupReport(
            location, report.database_format, report.objects, report.delete_markers, report.bytes
        )
    folder = Path(location)
    if folder.exists() and any(folder.iterdir()):
        raise InputError(
            f"backup folder {folder} is not empty",
            detail_vi=f"Thư mục sao lưu {folder} không trống",
        )
    return _backup_to_folder(rt, folder, progress)


def _backup_to_folder(rt: Runtime, folder: Path, progress: Progress | None) -> BackupReport:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "database").mkdir()
    dump_name = (
        "database/dump.sql" if rt.engine.dialect.name == "postgresql" else ("database/sohoa.sqlite")
    )
    dump_format = snapshot.dump_database(rt.engine, folder / dump_name)
    entries: list[dict[str, Any]] = []
    total_bytes = markers = 0
    for role in BucketRole:
        bucket = rt.bucket(role)
        versions = snapshot.list_versions(rt.objects, bucket)
        for n, version in enumerate(versions, 1):
            entry: dict[str, Any] = {
                "role": role.value,
                "bucket": bucket,
                "key": version.key,
                "version_id": version.version_id,
                "latest": version.is_latest,
                "delete_marker": version.is_delete_marker,
            }
            if version.is_delete_marker:
                markers += 1
            else:
                name = f"objects/{role.value}/{n:06d}"
                digest, content_type = snapshot.download_version(rt.objects, version, folder / name)
                size = (folder / name).stat().st_size
                total_bytes += size
                entry.update(file=name, sha256=digest, size=size, content_type=content_type)
            entries.append(entry)
            if progress:
                progress(role.value, n, len(versions))
    manifest = {
        "format": FORMAT,
        "created_at": _now(),
        "database": {
            "dialect": rt.engine.dialect.name,
            "format": dump_format,
            "file": dump_name,
            "sha256": sha256_file(folder / dump_name),
        },
        "objects": entries,
    }
    (folder / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    files = [dump_name, MANIFEST, *(e["file"] for e in entries if "file" in e)]
    _write_sums(folder, files)
    objects = sum(1 for e in entries if "file" in e)
    log.info("backup written", extra={"location": str(folder), "objects": objects})
    return BackupReport(str(folder), dump_format, objects, markers, total_bytes)


@contextmanager
def _fetched(rt: Runtime, location: str) -> Iterator[Path]:
    """The backup as a local folder (an S3 backup is downloaded to a temporary one first)."""
    if not location.startswith("s3://"):
        folder = Path(location)
        if not (folder / MANIFEST).is_file():
            raise InputError(
                f"no sohoa backup in {folder} ({MANIFEST} missing)",
                detail_vi=f"Không có bản sao lưu trong {folder}",
            )
        yield folder
        return
    endpoint, bucket, prefix = _s3_target(location)
    source = _backup_bucket(rt, endpoint, bucket)
    with tempfile.TemporaryDirectory(prefix="sohoa-restore-") as tmp:
        folder = Path(tmp)
        base = f"{prefix}/" if prefix else ""
        source.get(base + SUMS, folder / SUMS)
        for name in _read_sums(folder):
            source.get(base + name, folder / name)
        yield folder


def _check_files(folder: Path) -> dict[str, Any]:
    sums = _read_sums(folder)
    for name, digest in sums.items():
        path = folder / name
        if not path.is_file() or sha256_file(path) != digest:
            raise IntegrityError(
                f"backup file {name} is missing or does not match its SHA-256",
                detail_vi=f"Tệp sao lưu {name} bị thiếu hoặc sai mã băm SHA-256",
            )
    manifest: dict[str, Any] = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise InputError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


def restore(rt: Runtime, location: str, *, progress: Progress | None = None) -> BackupReport:
    """Rebuild an empty installation from the backup at ``location``.

    Raises:
        IntegrityError: a backup file does not match its SHA-256, or a restored object does
            not match the manifest; nothing is written in the first case.
        Conflict: the database is not empty.
    """
    with _fetched(rt, location) as folder:
        manifest = _check_files(folder)
        database = manifest["database"]
        snapshot.restore_database(rt.engine, folder / database["file"], database["format"])
        upgrade(rt.engine)
        entries = manifest["objects"]
        total_bytes = markers = 0
        new_ids: dict[tuple[str, str, str], str | None] = {}
        for n, entry in enumerate(entries, 1):
            bucket = rt.bucket(BucketRole(entry["role"]))
            if entry["delete_marker"]:
                snapshot.mark_deleted(rt.objects, bucket, entry["key"])
                markers += 1
            else:
                stored = rt.objects.put_file(
                    bucket,
                    entry["key"],
                    folder / entry["file"],
                    sha256=entry["sha256"],
                    content_type=entry["content_type"],
                    replace=True,
                )
                new_ids[(entry["role"], entry["key"], entry["version_id"])] = stored.version_id
                total_bytes += int(entry["size"])
            if progress:
                progress("restore", n, len(entries))
        _check_latest(rt, entries)
        snapshot.remap_version_ids(rt.engine, new_ids)
    with rt.sessions() as session:
        audit.check_chain(session)  # the restored chain is intact before anything is added
    with rt.session() as session:
        # The restore itself is on the record, chained onto the restored log.
        audit.append(
            session,
            actor="restore",
            action="backup.restored",
            subject=location,
            detail=f"backup of {manifest['created_at']}; {len(entries)} object versions",
        )
    with rt.sessions() as session:
        chain = audit.check_chain(session)
    return BackupReport(
        location,
        database["format"],
        sum(1 for e in entries if not e["delete_marker"]),
        markers,
        total_bytes,
        audit_entries=chain,
    )


def _check_latest(rt: Runtime, entries: list[dict[str, Any]]) -> None:
    """Every key's current version holds the bytes the manifest recorded as latest."""
    for entry in entries:
        if not entry["latest"] or entry["delete_marker"]:
            continue
        bucket = rt.bucket(BucketRole(entry["role"]))
        stored = rt.objects.stat(bucket, entry["key"])
        if stored is None or stored.sha256 != entry["sha256"]:
            raise IntegrityError(
                f"restored s3://{bucket}/{entry['key']} does not match the backup",
                detail_vi="Đối tượng khôi phục không khớp với bản sao lưu",
            )


__all__ = ["BackupReport", "backup", "restore"]
