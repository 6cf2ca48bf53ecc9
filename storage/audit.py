"""Append-only, hash-chained audit log (nhật ký kiểm tra).

Public API::

    entry = append(session, actor="reception1", action="dossier.created",
                   subject="000.00.00.H00-261123-0001", object_sha256=None, detail=None,
                   idempotency_key="dossier.created:000.00.00.H00-261123-0001")
    report = verify_chain(session)   # ChainReport(ok, entries, first_broken_id, reason)
    history = entries(session, subject="000.00.00.H00-261123-0001", limit=100)
    check_chain(session)             # raises core.errors.IntegrityError naming the entry

Each entry's ``entry_hash`` is SHA-256 over its canonical JSON (who, what, when, object hash,
detail, idempotency key) together with ``prev_hash``, the previous entry's hash; the first entry
chains onto :data:`GENESIS`. Editing an entry breaks its own hash, deleting one breaks the next
entry's link, and the ``audit_head`` row (last hash and length, updated with every append)
catches deletion of the newest entries. Someone who can rewrite the whole table *and* the head
can forge a chain; exporting :func:`head` regularly elsewhere (e.g. into the signed daily
report) anchors it.

``append`` is idempotent when given ``idempotency_key`` (a re-run worker stage gets the existing
entry back) and safe under concurrency: the head row is locked (``SELECT … FOR UPDATE``) and
``prev_hash`` is unique, so two writers can never fork the chain.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError as DBIntegrityError
from sqlalchemy.orm import Session

from core.errors import IntegrityError
from storage.models import AuditEntry, AuditHead, utcnow

GENESIS = "0" * 64
_HEAD_ID = 1
_ATTEMPTS = 8


def _canonical_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_digest(entry: AuditEntry) -> str:
    """The hash an entry must carry, recomputed from its fields and ``prev_hash``."""
    payload = {
        "prev": entry.prev_hash,
        "at": _canonical_time(entry.created_at),
        "actor": entry.actor,
        "action": entry.action,
        "subject": entry.subject,
        "object_sha256": entry.object_sha256,
        "detail": entry.detail,
        "idempotency_key": entry.idempotency_key,
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _existing(session: Session, idempotency_key: str | None) -> AuditEntry | None:
    if idempotency_key is None:
        return None
    return session.scalars(
        select(AuditEntry).where(AuditEntry.idempotency_key == idempotency_key)
    ).first()


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    subject: str | None = None,
    object_sha256: str | None = None,
    detail: str | None = None,
    idempotency_key: str | None = None,
) -> AuditEntry:
    """Append one entry (flushed, committed with the caller's transaction).

    Args:
        actor: Who: a username, ``"citizen"``, or ``"worker"``.
        action: What, dotted: ``"dossier.created"``, ``"document.signed"``…
        subject: What it was done to: a dossier code or object key.
        object_sha256: SHA-256 of the object concerned, if any.
        detail: Free text (may be Vietnamese; stays in the database).
        idempotency_key: If an entry with this key exists it is returned unchanged.
    """
    for _ in range(_ATTEMPTS):
        found = _existing(session, idempotency_key)
        if found is not None:
            return found
        try:
            with session.begin_nested():
                head = session.scalars(
                    select(AuditHead).where(AuditHead.id == _HEAD_ID).with_for_update()
                ).first()
                if head is None:
                    head = AuditHead(id=_HEAD_ID, last_hash=GENESIS, length=0)
                    session.add(head)
                entry = AuditEntry(
                    created_at=utcnow(),
                    actor=actor,
                    action=action,
                    subject=subject,
                    object_sha256=object_sha256,
                    detail=detail,
                    idempotency_key=idempotency_key,
                    prev_hash=head.last_hash,
                )
                entry.entry_hash = entry_digest(entry)
                session.add(entry)
                head.last_hash = entry.entry_hash
                head.length += 1
                session.flush()
            return entry
        except DBIntegrityError:
            # Another writer appended (or created the head) first; re-read and chain onto it.
            continue
    raise IntegrityError("audit log: could not append after repeated conflicts")


@dataclass(frozen=True)
class ChainReport:
    """Result of :func:`verify_chain`."""

    ok: bool
    entries: int
    first_broken_id: int | None = None
    reason: str | None = None


def head(session: Session) -> tuple[str, int]:
    """The chain's (last hash, length) as recorded in ``audit_head``."""
    row = session.get(AuditHead, _HEAD_ID)
    return (row.last_hash, row.length) if row else (GENESIS, 0)


def verify_chain(session: Session) -> ChainReport:
    """Walk the log in order and report the first edited, deleted or re-linked entry."""
    prev_hash = GENESIS
    count = 0
    last_id: int | None = None
    stream = session.scalars(
        select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=500)
    )
    for entry in stream:
        count += 1
        if entry.prev_hash != prev_hash:
            return ChainReport(
                False,
                count,
                entry.id,
                f"entry {entry.id} does not link to the entry before it"
                f" (after id {last_id}): an entry was deleted, inserted or rewritten",
            )
        if entry_digest(entry) != entry.entry_hash:
            return ChainReport(
                False, count, entry.id, f"entry {entry.id} was edited: its hash does not match"
            )
        prev_hash = entry.entry_hash
        last_id = entry.id
    recorded_hash, recorded_length = head(session)
    if (recorded_hash, recorded_length) != (prev_hash, count):
        return ChainReport(
            False,
            count,
            last_id,
            f"the log ends at entry {last_id} ({count} entries) but {recorded_length}"
            " were recorded: the newest entries were deleted",
        )
    return ChainReport(True, count)


def entries(session: Session, *, subject: str | None = None, limit: int = 100) -> list[AuditEntry]:
    """The newest entries first; with ``subject``, those about it or under it (a dossier
    code also matches its ``code/...`` object keys)."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if subject is not None:
        escaped = subject.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(
            (AuditEntry.subject == subject) | AuditEntry.subject.like(f"{escaped}/%", escape="\\")
        )
    return list(session.scalars(stmt))


def check_chain(session: Session) -> int:
    """Verify the chain; returns the number of entries or raises :class:`IntegrityError`."""
    report = verify_chain(session)
    if not report.ok:
        raise IntegrityError(
            f"audit log broken: {report.reason}",
            detail_vi=f"Nhật ký bị sửa hoặc xóa tại mục {report.first_broken_id}",
        )
    return report.entries


__all__ = [
    "GENESIS",
    "ChainReport",
    "append",
    "check_chain",
    "entries",
    "entry_digest",
    "head",
    "verify_chain",
]
