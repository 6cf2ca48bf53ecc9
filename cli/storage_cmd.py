"""Storage commands: ``sohoa db upgrade``, ``sohoa storage check [--json]``,
``sohoa audit verify [--objects]``.

Failures raise ``core.errors`` classes; ``cli.main`` turns them into a one-line message and
the error's exit code (``StorageUnavailable`` 51, ``IntegrityError`` 52, ``ServiceUnavailable``
40 for an unreachable database).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Annotated, Any

import typer

from cli.runfile import effective_settings
from core.errors import IntegrityError, ServiceUnavailable, StorageError
from core.settings import get_settings

# storage.db (Alembic) and storage.objects (minio) are imported inside the commands: they
# cost about a second, which every other `sohoa` command would otherwise pay.


def _redact(url: str) -> str:
    # Never print a database password.
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in creds else f"{scheme}://{user}@{host}"
    return url


def db_upgrade(revision: str = "head") -> None:
    """Run the Alembic migrations on SOHOA_DATABASE_URL (default: SQLite under SOHOA_DATA_DIR)."""
    from sqlalchemy.exc import OperationalError

    from storage.db import current_revision, database_url, make_engine, upgrade

    url = database_url(get_settings())
    engine = make_engine(url)
    try:
        before = current_revision(engine)
    except OperationalError as exc:
        raise ServiceUnavailable(
            f"database unavailable: {_redact(url)}",
            detail_vi="Không kết nối được cơ sở dữ liệu",
        ) from exc
    after = upgrade(engine, revision)
    engine.dispose()
    typer.echo(f"database {_redact(url)}: {before or 'empty'} -> {after}")


def check_storage(as_json: bool = False) -> dict[str, Any]:
    """Ensure buckets (versioning, object lock), then write-read-verify-delete a probe object."""
    from storage.objects import ObjectStore

    settings = get_settings()
    store = ObjectStore.from_settings(settings)
    store.ensure_buckets()
    buckets = [store.describe_bucket(name) for name in store.buckets.all()]
    payload = f"sohoa probe {secrets.token_hex(8)}".encode()
    digest = hashlib.sha256(payload).hexdigest()
    key = f"_probe/{secrets.token_hex(8)}.txt"
    bucket = store.buckets.documents
    stored = store.put_bytes(bucket, key, payload, sha256=digest, content_type="text/plain")
    if store.read_bytes(bucket, key, digest) != payload:
        raise IntegrityError(f"probe s3://{bucket}/{key} read back different bytes")
    # The probe is under the bucket's default retention like everything else; removing it
    # needs a governance bypass. Under COMPLIANCE it stays until its retention ends.
    deleted = True
    try:
        store.delete(bucket, key, version_id=stored.version_id, bypass_governance=True)
    except StorageError:
        deleted = False
    report: dict[str, Any] = {
        "endpoint": settings.s3_endpoint,
        "secure": settings.s3_secure,
        "buckets": buckets,
        "probe": {"bucket": bucket, "key": key, "sha256": digest, "deleted": deleted},
        "ok": all(b["versioning"] == "Enabled" and b["lock_mode"] for b in buckets),
    }
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    else:
        typer.echo(f"S3 {settings.s3_endpoint}: ok")
        for b in buckets:
            typer.echo(
                f"  {b['bucket']}: versioning {b['versioning']}, object lock {b['lock_mode']}"
                f" ({b['retention']})"
            )
        typer.echo(
            f"  probe s3://{bucket}/{key}: written, read back and verified"
            + (", deleted" if deleted else ", kept (retention)")
        )
    return report


def audit_verify(objects: bool = False) -> int:
    """Walk the audit chain; exits non-zero (IntegrityError) naming the first broken entry.

    With ``objects``, also re-hash every stored object against its record and name each one
    that is missing or altered (exit 52 if any).
    """
    from storage import audit
    from storage.db import database_url, make_engine, session_factory

    settings = effective_settings() if objects else get_settings()
    engine = make_engine(database_url(settings))
    try:
        with session_factory(engine)() as session:
            count = audit.check_chain(session)
            typer.echo(f"audit log: {count} entries, chain intact")
            if objects:
                _verify_objects(session, settings)
    finally:
        engine.dispose()
    return count


def _verify_objects(session: Any, settings: Any) -> None:
    from storage.integrity import verify_objects
    from storage.objects import ObjectStore

    store = ObjectStore.from_settings(settings)
    report = verify_objects(session, store)
    for problem in report.problems:
        record = problem.record
        found = f", stored SHA-256 {problem.found_sha256}" if problem.found_sha256 else ""
        typer.echo(
            f"  {problem.problem.upper()}: {record.what}: s3://{record.bucket}/{record.key}"
            f" (version {record.version_id or 'current'}), recorded SHA-256 {record.sha256}"
            f"{found}"
        )
    if not report.ok:
        raise IntegrityError(
            f"{len(report.problems)} of {report.checked} stored objects missing or altered",
            detail_vi=f"{len(report.problems)} đối tượng lưu trữ bị mất hoặc bị sửa",
        )
    typer.echo(f"objects: {report.checked} re-hashed, all match their records")


def register(app: typer.Typer) -> None:
    """Add the ``db``, ``storage`` and ``audit`` command groups to ``app``."""
    db_app = typer.Typer(help="Records database (SQL).", no_args_is_help=True)
    storage_app = typer.Typer(help="Object storage (S3).", no_args_is_help=True)
    audit_app = typer.Typer(help="Audit log.", no_args_is_help=True)

    @db_app.command("upgrade")
    def _db_upgrade(
        revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    ) -> None:
        """Run migrations on SOHOA_DATABASE_URL (default SQLite under SOHOA_DATA_DIR)."""
        db_upgrade(revision)

    @storage_app.command("check")
    def _storage_check(
        as_json: Annotated[bool, typer.Option("--json", help="Print a JSON report.")] = False,
    ) -> None:
        """Check SOHOA_S3_ENDPOINT: buckets with versioning + object lock, probe round trip."""
        check_storage(as_json)

    @audit_app.command("verify")
    def _audit_verify(
        objects: Annotated[
            bool, typer.Option("--objects", help="Also re-hash every stored object.")
        ] = False,
    ) -> None:
        """Check the audit log's hash chain (and with --objects every stored object against its
        record); a non-zero exit names what is broken."""
        audit_verify(objects)

    app.add_typer(db_app, name="db")
    app.add_typer(storage_app, name="storage")
    app.add_typer(audit_app, name="audit")
