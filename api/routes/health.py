"""``/healthz`` (process up), ``/readyz`` (database, broker, S3, worker) and ``/metrics``.

``/metrics`` follows ``SOHOA_METRICS_ACCESS``: ``open``, ``staff`` (an admin's bearer token, or
``SOHOA_METRICS_TOKEN`` for a Prometheus scraper) or ``off`` (404). ``/readyz`` reports
``worker`` from the workers' heartbeats in the database (``workers.heartbeat``): 503 when none
is younger than ``SOHOA_WORKER_HEARTBEAT_SECONDS``.
"""

from __future__ import annotations

import hmac
import logging

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy import func, select, text
from starlette.concurrency import run_in_threadpool

from api.deps import RuntimeDep
from api.schemas import Health
from api.stage_metrics import StageCollector
from core.domain import DocumentStatus, Role
from core.errors import Forbidden, NotFound, Unauthorized
from pipeline.context import Runtime
from pipeline.tokens import authenticate
from storage.heartbeats import latest_beat
from storage.models import Document, utcnow
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


def _worker_check(rt: Runtime) -> str:
    if rt.settings.worker_heartbeat_seconds <= 0:
        return "ok"  # not checked (SOHOA_WORKER_HEARTBEAT_SECONDS=0)
    with rt.sessions() as session:
        last = latest_beat(session)
    if last is None:
        return "error: no worker has reported"
    age = (utcnow() - last).total_seconds()
    if age > rt.settings.worker_heartbeat_seconds:
        return f"error: no worker heartbeat for {age:.0f}s"
    return "ok"


@router.get("/readyz", responses={503: {"model": Health}})
def readyz(rt: RuntimeDep) -> JSONResponse:
    """Database, broker, S3 and a worker answer (503 with the failing checks otherwise)."""
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
    try:
        checks["worker"] = _worker_check(rt)
    except Exception as exc:
        checks["worker"] = f"error: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    body = Health(status="ok" if ok else "unavailable", checks=checks)
    return JSONResponse(
        body.model_dump(), status_code=200 if ok else 503, headers={"Cache-Control": "no-store"}
    )


async def _metrics_allowed(request: Request, rt: RuntimeDep) -> None:
    access = rt.settings.metrics_access
    if access == "off":
        raise NotFound("Not found.", detail_vi="Không tìm thấy")
    if access == "staff":
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("Authentication required.", detail_vi="Cần đăng nhập.")
        scraper = rt.settings.metrics_token
        if (
            scraper is not None
            and len(scraper.get_secret_value()) >= 32
            and hmac.compare_digest(token.strip().encode(), scraper.get_secret_value().encode())
        ):
            return
        user = await run_in_threadpool(
            authenticate, rt, request.app.state.token_cache, token.strip()
        )
        if user.role != Role.ADMIN:
            raise Forbidden("Metrics are for admins.", detail_vi="Chỉ quản trị viên.")


@router.get("/metrics", response_class=Response, dependencies=[Depends(_metrics_allowed)])
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
