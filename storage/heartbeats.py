"""Workers' heartbeats in the database: each worker writes its row every few seconds, and
``/readyz`` reports the worker down when no row is fresh (works with any broker and across
hosts, since the database is shared)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from storage.models import WorkerHeartbeat, utcnow


def beat(session: Session, name: str, pid: int) -> None:
    """Record that worker ``name`` (process ``pid``) is alive now."""
    row = session.get(WorkerHeartbeat, name)
    if row is None:
        session.add(WorkerHeartbeat(name=name, pid=pid, beat_at=utcnow()))
    else:
        row.pid, row.beat_at = pid, utcnow()
    session.flush()


def forget(session: Session, name: str) -> None:
    """Remove worker ``name``'s row (it is shutting down)."""
    session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.name == name))


def latest_beat(session: Session) -> datetime | None:
    """When the most recent heartbeat of any worker was written (None: never)."""
    return session.scalar(select(func.max(WorkerHeartbeat.beat_at)))


__all__ = ["beat", "forget", "latest_beat"]
