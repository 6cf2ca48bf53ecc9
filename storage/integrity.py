"""Re-hash every stored object against its record (``sohoa audit verify --objects``).

The database records, for each original, digitized copy and signed PDF, its key, SHA-256 and
(since migration 0002) the S3 version it was stored as. :func:`verify_objects` fetches each of
those versions, hashes it and names every one that is missing or whose bytes differ, so that
a record changed or removed around the API (on the S3 server's own ports, or on its disk) is
found even if no citizen ever downloads it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Document, OriginalFile
from storage.objects import ObjectStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ObjectRecord:
    """One stored object as the database knows it."""

    what: str  # "original 12 of document 5", "signed PDF of document 5" …
    bucket: str
    key: str
    sha256: str
    version_id: str | None


@dataclass(frozen=True)
class ObjectProblem:
    """A record whose object is missing or holds other bytes."""

    record: ObjectRecord
    problem: str  # "missing" or "altered"
    found_sha256: str | None


@dataclass
class ObjectReport:
    """What :func:`verify_objects` found."""

    checked: int = 0
    problems: list[ObjectProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def object_records(session: Session, store: ObjectStore) -> Iterator[ObjectRecord]:
    """Every object the records name, originals first."""
    buckets = store.buckets
    for original in session.execute(
        select(
            OriginalFile.id,
            OriginalFile.document_id,
            OriginalFile.object_key,
            OriginalFile.sha256,
            OriginalFile.version_id,
        ).order_by(OriginalFile.id)
    ):
        yield ObjectRecord(
            f"original {original.id} of document {original.document_id}",
            buckets.originals,
            original.object_key,
            original.sha256,
            original.version_id,
        )
    for doc in session.execute(
        select(
            Document.id,
            Document.digitized_key,
            Document.digitized_sha256,
            Document.digitized_version_id,
            Document.signed_key,
            Document.signed_sha256,
            Document.signed_version_id,
        ).order_by(Document.id)
    ):
        if doc.digitized_key and doc.digitized_sha256:
            yield ObjectRecord(
                f"digitized copy of document {doc.id}",
                buckets.documents,
                doc.digitized_key,
                doc.digitized_sha256,
                doc.digitized_version_id,
            )
        if doc.signed_key and doc.signed_sha256:
            yield ObjectRecord(
                f"signed PDF of document {doc.id}",
                buckets.results,
                doc.signed_key,
                doc.signed_sha256,
                doc.signed_version_id,
            )


def verify_objects(
    session: Session,
    store: ObjectStore,
    *,
    progress: Callable[[ObjectRecord, ObjectProblem | None], None] | None = None,
) -> ObjectReport:
    """Fetch and hash every recorded object; ``progress`` hears about each one."""
    report = ObjectReport()
    for record in list(object_records(session, store)):
        found = store.rehash(record.bucket, record.key, version_id=record.version_id)
        problem: ObjectProblem | None = None
        if found is None:
            problem = ObjectProblem(record, "missing", None)
        elif found != record.sha256:
            problem = ObjectProblem(record, "altered", found)
        report.checked += 1
        if problem is not None:
            log.error(
                "INTEGRITY ALERT: %s s3://%s/%s is %s",
                record.what,
                record.bucket,
                record.key,
                problem.problem,
                extra={"alert": "integrity", "bucket": record.bucket, "key": record.key},
            )
            report.problems.append(problem)
        if progress is not None:
            progress(record, problem)
    return report


__all__ = ["ObjectProblem", "ObjectRecord", "ObjectReport", "object_records", "verify_objects"]
