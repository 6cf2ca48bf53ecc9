"""Pipeline stage metrics for the API's ``/metrics``, read from the database at scrape time.

The worker observes each stage's run time in its own process (``sohoa worker --metrics-port``);
the API may run on another host, so it derives what it shows from what every stage already
records in the shared database: the hash-chained audit log. Each document's stages leave
entries in order: accepted (``document.submitted``/``document.result``), ``document.digitized``,
``document.signed.officer``, ``document.sign-requested``, ``document.signed.agency``,
``document.failed.<stage>`` and ``document.retry.<stage>``.

From those this module exposes, for every stage (``digitize``, ``sign-officer``,
``sign-agency``):

- ``sohoa_pipeline_stage_latency_seconds`` (histogram): from the moment the stage became due
  (document accepted, previous stage done, signature requested or retry asked) to the moment it
  was recorded done. That is queue wait plus run time, what a desk officer experiences; the
  run time alone is the worker's ``sohoa_pipeline_stage_seconds``.
- ``sohoa_pipeline_stage_completed_total`` and ``sohoa_pipeline_stage_failures_total`` (by
  error code) counters.

The audit log only grows, so each scrape reads just the entries added since the previous one
and the counters stay monotonic. Every API process computes the same totals from the same rows,
so it does not matter which process answers a scrape.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from datetime import datetime

from prometheus_client.core import (
    CounterMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import or_, select

from pipeline.context import Runtime
from storage.models import AuditEntry

#: Upper bounds (seconds) of the latency buckets: a signature takes seconds, a long scan with a
#: queue in front of it can take an hour.
BUCKETS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 1800.0, 3600.0)
STAGES = ("digitize", "sign-officer", "sign-agency")
_ACCEPTED = ("document.submitted", "document.result")
_DONE = {
    "document.digitized": "digitize",
    "document.signed.officer": "sign-officer",
    "document.signed.agency": "sign-agency",
}
_BATCH = 5000
#: Documents whose next stage is due are remembered by id; beyond this many the oldest go
#: (a document waiting that long would only lose its next latency sample).
_MAX_DUE = 100_000


def _document_id(entry_key: str | None, subject: str | None) -> int | None:
    """The document an entry is about: in its idempotency key (``kind:id[:role]``) or subject."""
    for text in (entry_key.split(":")[1] if entry_key and ":" in entry_key else None, subject):
        if text is not None and text.isdigit():
            return int(text)
    return None


class StageStats:
    """Running totals built from the audit log, advanced incrementally by :meth:`refresh`."""

    def __init__(self) -> None:
        self.last_id = 0
        self.buckets = {stage: [0] * (len(BUCKETS) + 1) for stage in STAGES}
        self.sums = dict.fromkeys(STAGES, 0.0)
        self.failures: dict[tuple[str, str], int] = {}
        self._due: dict[int, datetime] = {}
        self._lock = threading.Lock()

    def refresh(self, rt: Runtime) -> None:
        """Fold in the audit entries appended since the last call."""
        with self._lock, rt.engine.connect() as conn:
            while True:
                rows = conn.execute(
                    select(
                        AuditEntry.id,
                        AuditEntry.created_at,
                        AuditEntry.action,
                        AuditEntry.subject,
                        AuditEntry.detail,
                        AuditEntry.idempotency_key,
                    )
                    .where(
                        AuditEntry.id > self.last_id,
                        or_(
                            AuditEntry.action.in_([*_ACCEPTED, *_DONE, "document.sign-requested"]),
                            AuditEntry.action.like("document.retry.%"),
                            AuditEntry.action.like("document.failed.%"),
                        ),
                    )
                    .order_by(AuditEntry.id)
                    .limit(_BATCH)
                ).all()
                for row in rows:
                    self._fold(
                        row.action, row.created_at, row.idempotency_key, row.subject, row.detail
                    )
                    self.last_id = row.id
                if len(rows) < _BATCH:
                    return

    def _fold(
        self, action: str, at: datetime, key: str | None, subject: str | None, detail: str | None
    ) -> None:
        document = _document_id(key, subject)
        if document is None:
            return
        if action.startswith("document.failed."):
            stage = action.removeprefix("document.failed.")
            code = (detail or "").split(":", 1)[0].strip() or "unknown"
            self.failures[stage, code] = self.failures.get((stage, code), 0) + 1
            return
        stage_done = _DONE.get(action)
        if stage_done is not None:
            due = self._due.get(document)
            if due is not None:
                self._observe(stage_done, max(0.0, (at - due).total_seconds()))
        # Accepted, retried, signature requested or a stage done: the next stage is due now.
        self._due.pop(document, None)
        self._due[document] = at
        if len(self._due) > _MAX_DUE:
            del self._due[next(iter(self._due))]

    def _observe(self, stage: str, seconds: float) -> None:
        index = next((i for i, bound in enumerate(BUCKETS) if seconds <= bound), len(BUCKETS))
        self.buckets[stage][index] += 1
        self.sums[stage] += seconds

    def metrics(self) -> Iterator[Metric]:
        """The totals as Prometheus metric families."""
        with self._lock:
            latency = HistogramMetricFamily(
                "sohoa_pipeline_stage_latency_seconds",
                "From a pipeline stage becoming due to its result being recorded (queue + run)",
                labels=["stage"],
            )
            completed = CounterMetricFamily(
                "sohoa_pipeline_stage_completed",
                "Pipeline stages completed (from the audit log)",
                labels=["stage"],
            )
            for stage in STAGES:
                cumulative, running = [], 0
                for bound, count in zip([*BUCKETS, float("inf")], self.buckets[stage], strict=True):
                    running += count
                    cumulative.append((_bound(bound), float(running)))
                latency.add_metric([stage], cumulative, self.sums[stage])
                completed.add_metric([stage], float(running))
            failures = CounterMetricFamily(
                "sohoa_pipeline_stage_failures",
                "Pipeline stages that failed, by error code (from the audit log)",
                labels=["stage", "code"],
            )
            for (stage, code), count in sorted(self.failures.items()):
                failures.add_metric([stage, code], float(count))
        yield latency
        yield completed
        yield failures


def _bound(value: float) -> str:
    return "+Inf" if value == float("inf") else repr(value)


class StageCollector(Collector):
    """A collector that refreshes ``stats`` from the database on every scrape."""

    def __init__(self, rt: Runtime, stats: StageStats) -> None:
        self.rt = rt
        self.stats = stats

    def collect(self) -> Iterable[Metric]:
        self.stats.refresh(self.rt)
        return list(self.stats.metrics())


__all__ = ["BUCKETS", "STAGES", "StageCollector", "StageStats"]
