"""``/healthz`` (process up), ``/readyz`` (database, broker, S3) and ``/metrics``."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy import func, select, text

from api.deps import RuntimeDep
from api.schemas import Health
from api.stage_metrics import StageCollector
from core.domain import DocumentStatus
from storage.models import Document
from workers.celery_app import QUEUE, celery_app

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> Health:
    """The process is up."""
    return Health(status="ok")


def _queue_depth() -> int:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        with conn.channel() as channel:
            _name, count, _consumers = channel.queue_declare(QUEUE, passive=False, durable=True)
            return int(count)


@router.get("/readyz", responses={503: {"model": Health}})
def readyz(rt: RuntimeDep) -> JSONResponse:
    """Database, broker and S3 are reachable (503 with the failing checks otherwise)."""
    checks: dict[str, str] = {}
    try:
        with rt.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        _queue_depth()
        checks["broker"] = "ok"
    except Exception as exc:
        checks["broker"] = f"error: {type(exc).__name__}"
    try:
        rt.objects.client.bucket_exists(rt.settings.bucket_results)
        checks["s3"] = "ok"
    except Exception as exc:
        rt.reset_objects()  # re-open (and re-ensure buckets) once S3 is back
        checks["s3"] = f"error: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    body = Health(status="ok" if ok else "unavailable", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


@router.get("/metrics", response_class=Response)
def metrics(rt: RuntimeDep, request: Request) -> Response:
    """Prometheus metrics: requests, pipeline stage latencies and failures, queue depth,
    documents per status."""
    lines: list[str] = [generate_latest().decode("utf-8")]
    try:
        # Stage metrics come from the shared database, so they cover workers on any host.
        registry = CollectorRegistry(auto_describe=False)
        registry.register(StageCollector(rt, request.app.state.stage_stats))
        lines.append(generate_latest(registry).decode("utf-8"))
    except Exception:
        log.warning("stage metrics unavailable", exc_info=True)
    try:
        depth = _queue_depth()
        lines.append("# TYPE sohoa_queue_depth gauge\n")
        lines.append(f'sohoa_queue_depth{{queue="{QUEUE}"}} {depth}\n')
    except Exception:
        pass
    try:
        with rt.sessions() as session:
            rows = session.execute(
                select(Document.status, func.count()).group_by(Document.status)
            ).all()
        counts = {str(DocumentStatus(s)): int(n) for s, n in rows}
        lines.append("# TYPE sohoa_documents gauge\n")
        for status in DocumentStatus:
            lines.append(f'sohoa_documents{{status="{status}"}} {counts.get(str(status), 0)}\n')
    except Exception:
        pass
    return Response("".join(lines), media_type=CONTENT_TYPE_LATEST)
