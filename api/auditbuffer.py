"""Citizen downloads are audited in batches by a background thread.

Appending to the hash-chained audit log takes the chain's head lock and a commit; doing that per
download cost about as much CPU as the download itself and made citizens queue behind one
another on the lock. Downloads are therefore queued in memory and appended by one thread every
``interval`` seconds, all in one transaction. The entries keep their order; what a crash of the
API process can lose is at most the last interval's downloads (before batching, the entry was
also only written after the response had gone out). A failed flush keeps the entries for the
next one, up to ``max_pending``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from pipeline.context import Runtime
from storage import audit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Download:
    key: str
    sha256: str


class DownloadAudit:
    """Queue ``document.downloaded`` audit entries and append them in batches."""

    def __init__(
        self, runtime: Runtime, *, interval: float = 0.5, max_pending: int = 100_000
    ) -> None:
        self.runtime = runtime
        self.interval = interval
        self.max_pending = max_pending
        self._pending: list[_Download] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="download-audit", daemon=True)
        self._thread.start()

    def record(self, key: str, sha256: str) -> None:
        """Queue one citizen download of object ``key`` (cheap; never blocks on the database)."""
        with self._lock:
            if len(self._pending) >= self.max_pending:
                log.error("download audit queue full; dropping the oldest entry")
                self._pending.pop(0)
            self._pending.append(_Download(key, sha256))

    async def queue(self, key: str, sha256: str) -> None:
        """:meth:`record` for a ``BackgroundTask`` (async, so it is not sent to a thread)."""
        self.record(key, sha256)

    def flush(self) -> int:
        """Append every queued entry now, in one transaction; returns how many."""
        with self._lock:
            batch, self._pending = self._pending, []
        if not batch:
            return 0
        try:
            with self.runtime.session() as session:
                for item in batch:
                    audit.append(
                        session,
                        actor="citizen",
                        action="document.downloaded",
                        subject=item.key,
                        object_sha256=item.sha256,
                    )
        except Exception:
            log.exception("could not audit %d citizen downloads; will retry", len(batch))
            with self._lock:
                self._pending[:0] = batch
            return 0
        return len(batch)

    def close(self) -> None:
        """Stop the thread after a last flush."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.flush()

    def _run(self) -> None:
        while not self._stopping:
            self._wake.wait(self.interval)
            self.flush()


__all__ = ["DownloadAudit"]
