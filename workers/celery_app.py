"""The Celery application: broker choice and the delivery guarantees every task relies on.

Broker: ``SOHOA_BROKER_URL`` when set (Redis in production and tests). Otherwise the embedded
default is kombu's SQLAlchemy transport on a SQLite file under the data directory: it needs no
server at all, which is what ``make run`` on a fresh machine wants. Results are not kept in a
result backend: a document's status lives in the database, written by ``pipeline``.

Delivery: ``acks_late`` (a message is acknowledged only after its task returned) with
``task_reject_on_worker_lost`` (a pool process killed mid-task gives the message back) and a
prefetch of one, so a killed worker loses nothing; every stage is idempotent, so a redelivered
message that already ran is harmless. With Redis, a message whose whole worker host died comes
back after the visibility timeout; a live worker renews the lease of every message it holds
(``workers.leases``), so a long OCR is never handed to a second worker while it still runs.

Queues, one per kind of work (a worker serves the ones it is started for, ``sohoa worker
--queues``): ``sign``, ``ocr`` (desk uploads), ``ocr-batch`` (hot-folder batches) and
``housekeeping``. A worker serving several takes from them in that order of precedence: a waiting
signature first (a second or two, and it finishes a dossier), then a desk upload, then a batch
document; a worker started for ``sign`` alone never waits behind an OCR.
"""

from __future__ import annotations

from typing import Any

from celery import Celery

from core.errors import ConfigurationError
from core.settings import Settings, get_settings

#: The one queue of earlier releases: still consumed, so messages queued before an upgrade run.
QUEUE = "sohoa"
QUEUE_OCR = "ocr"
QUEUE_OCR_BATCH = "ocr-batch"
QUEUE_SIGN = "sign"
QUEUE_HOUSEKEEPING = "housekeeping"
#: Every queue, in the order a worker serving several of them takes work from them.
QUEUES = (QUEUE_SIGN, QUEUE_OCR, QUEUE_OCR_BATCH, QUEUE_HOUSEKEEPING, QUEUE)
#: Where each task goes unless its caller names a queue (batch OCR is chosen by the caller).
TASK_ROUTES = {
    "sohoa.digitize": {"queue": QUEUE_OCR},
    "sohoa.sign": {"queue": QUEUE_SIGN},
    "sohoa.housekeeping.*": {"queue": QUEUE_HOUSEKEEPING},
}


def parse_queues(text: str) -> tuple[str, ...]:
    """``"ocr,sign"`` → the queues named, in precedence order; ``"all"`` or empty → every queue.

    Raises:
        ConfigurationError: a name that is not one of :data:`QUEUES`.
    """
    names = {part.strip() for part in text.split(",") if part.strip()}
    if not names or names == {"all"}:
        return QUEUES
    unknown = sorted(names - set(QUEUES))
    if unknown:
        raise ConfigurationError(
            f"unknown queue(s) {', '.join(unknown)}; known: {', '.join(QUEUES)}",
            detail_vi=f"Hàng đợi không tồn tại: {', '.join(unknown)}",
        )
    return tuple(q for q in QUEUES if q in names)


def broker_url(settings: Settings) -> str:
    """The broker URL: configured, or the embedded SQLite file under the data directory."""
    if settings.broker_url:
        return settings.broker_url
    # No mkdir here: importing this module must not touch the disk; the processes that use
    # the broker (API, worker) create the data directory when they start.
    return f"sqla+sqlite:///{settings.data_dir.expanduser().resolve() / 'broker.sqlite'}"


def _transport_options(url: str, settings: Settings) -> dict[str, Any]:
    if url.startswith(("redis://", "rediss://", "redis+socket://")):
        timeout = settings.broker_visibility_timeout
        return {
            # How long an unacknowledged message (its worker died) waits before redelivery;
            # sweeps for such messages run at a tenth of it so a restart picks them up soon.
            "visibility_timeout": timeout,
            "unacked_restore_interval": max(1, min(10, timeout // 10)),
            "unacked_restore_throttle": 1,
            # A worker serving several queues takes from them in the order it lists them
            # (QUEUES), not round-robin: desk uploads before batches, whatever the backlog.
            "queue_order_strategy": "priority",
        }
    if url.startswith(("sqla+", "sqlalchemy+")):
        # SQLite: wait for the writer lock instead of failing at once.
        return {"connect_args": {"timeout": 30}}
    return {}


def create_celery(settings: Settings | None = None) -> Celery:
    """A configured Celery app for ``settings`` (default: the environment's)."""
    settings = settings or get_settings()
    url = broker_url(settings)
    app = Celery(
        "sohoa", broker=url, include=["workers.tasks", "workers.leases", "workers.heartbeat"]
    )
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_store_errors_even_if_ignored=False,
        task_serializer="json",
        accept_content=["json"],
        task_default_queue=QUEUE,
        task_routes=TASK_ROUTES,
        broker_transport_options=_transport_options(url, settings),
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        enable_utc=True,
        timezone="Asia/Ho_Chi_Minh",
    )
    return app


#: The process-wide app (``celery -A workers.celery_app worker`` and the API use it).
celery_app = create_celery()

__all__ = [
    "QUEUE",
    "QUEUES",
    "QUEUE_HOUSEKEEPING",
    "QUEUE_OCR",
    "QUEUE_OCR_BATCH",
    "QUEUE_SIGN",
    "TASK_ROUTES",
    "broker_url",
    "celery_app",
    "create_celery",
    "parse_queues",
]
