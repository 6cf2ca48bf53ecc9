"""Celery tasks: thin shells over ``pipeline``, one per stage.

Transient faults (``ServiceUnavailable``: S3, TSA, OCSP, database) are retried with exponential
backoff; anything else, or the last retry, leaves the document ``failed`` with its error, from
where ``POST /documents/{id}/retry`` resumes. Time limits grow with the page count.

The ``schedule_*`` functions pick each task's queue (``workers.celery_app``): a desk upload's
OCR goes to ``ocr``, a hot-folder batch's to ``ocr-batch``, every signature to ``sign``.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_process_init

import pipeline
from core.domain import SignatureLevel, SignerRole, Stage
from core.errors import OCRFailed, ServiceUnavailable, SohoaError
from core.settings import Settings, get_settings
from pipeline.bootstrap import open_runtime
from workers.celery_app import QUEUE_OCR, QUEUE_OCR_BATCH, QUEUE_SIGN, celery_app
from workers.claims import claimed

log = logging.getLogger(__name__)
#: Seconds before a copy of a stage that found another copy running tries again.
CLAIM_RETRY_SECONDS = 10
_runtime: pipeline.Runtime | None = None


@worker_process_init.connect  # type: ignore[untyped-decorator]
def _fresh_runtime(**_: Any) -> None:
    # A forked pool process must not share the parent's database connections.
    global _runtime
    _runtime = None
    # OCR is batch work: yield the CPU to the API (and its users) on a shared machine.
    # Tesseract processes started from here inherit the niceness.
    niceness = get_settings().worker_nice
    if niceness:
        os.nice(niceness)


def runtime() -> pipeline.Runtime:
    """This process's runtime (opened on first use, after the fork)."""
    global _runtime
    if _runtime is None:
        _runtime = open_runtime(get_settings())
    return _runtime


def time_limits(settings: Settings, pages: int) -> tuple[int, int]:
    """(soft, hard) time limits in seconds for a stage over ``pages`` pages."""
    soft = settings.task_base_seconds + settings.task_seconds_per_page * max(1, pages)
    return soft, soft + 30


def _backoff(retries: int) -> int:
    return int(min(300, 2 ** (retries + 1)))


def _run(task: Task, document_id: int, stage: Stage, call: Any) -> bool:
    rt = runtime()
    try:
        return bool(call(rt))
    except ServiceUnavailable as exc:
        if task.request.retries < rt.settings.task_max_retries:
            log.info("transient fault, retrying", extra={"document": document_id, "code": exc.code})
            raise task.retry(exc=exc, countdown=_backoff(task.request.retries)) from exc
        pipeline.fail(rt, document_id, stage, exc)
    except SoftTimeLimitExceeded:
        pipeline.fail(rt, document_id, stage, OCRFailed(f"{stage} exceeded its time limit"))
    except SohoaError as exc:
        pipeline.fail(rt, document_id, stage, exc)
    except Exception as exc:
        log.exception("stage crashed", extra={"document": document_id, "stage": stage})
        pipeline.fail(rt, document_id, stage, exc)
    return False


@celery_app.task(bind=True, name="sohoa.digitize", max_retries=None)  # type: ignore[untyped-decorator]
def digitize_task(self: Task, document_id: int) -> bool:
    """OCR → PDF/A; a submitted document then goes on to the officer's signature."""
    rt = runtime()
    with claimed(rt.settings, document_id, pipeline.DIGITIZE) as mine:
        if not mine:
            return _later(self, (document_id,), QUEUE_OCR)
        done = _run(
            self, document_id, pipeline.DIGITIZE, lambda rt: pipeline.digitize(rt, document_id)
        )
    follow = pipeline.follow_on(rt, document_id)
    if follow is not None:
        role, pages = follow
        schedule_sign(document_id, role, rt.settings.default_signature_level, pages)
    return done


@celery_app.task(bind=True, name="sohoa.sign", max_retries=None)  # type: ignore[untyped-decorator]
def sign_task(self: Task, document_id: int, role: str, level: str) -> bool:
    """A PAdES signature by ``role`` at ``level``."""
    with claimed(runtime().settings, document_id, f"{pipeline.SIGN}-{role}") as mine:
        if not mine:
            return _later(self, (document_id, role, level), QUEUE_SIGN)
        return _run(
            self,
            document_id,
            pipeline.SIGN,
            lambda rt: pipeline.sign(rt, document_id, SignerRole(role), SignatureLevel(level)),
        )


def _later(task: Task, args: tuple[Any, ...], default_queue: str) -> bool:
    """Queue this task again in a while: another copy of it runs now (``workers.claims``)."""
    log.info("stage already running elsewhere; queued again", extra={"document": args[0]})
    hard, soft = task.request.timelimit or (None, None)
    queue = (task.request.delivery_info or {}).get("routing_key") or default_queue
    task.apply_async(
        args, countdown=CLAIM_RETRY_SECONDS, queue=queue, time_limit=hard, soft_time_limit=soft
    )
    return False


@celery_app.task(name="sohoa.housekeeping.ping")  # type: ignore[untyped-decorator]
def ping_task() -> str:
    """A no-op on the housekeeping queue: shows that a worker serves it (probes, tests)."""
    return "pong"


def digitize_queue(*, batch: bool) -> str:
    """The queue of a document's OCR: desk uploads ahead of hot-folder batches."""
    return QUEUE_OCR_BATCH if batch else QUEUE_OCR


def schedule_digitize(document_id: int, pages: int, *, batch: bool = False) -> None:
    """Queue the digitize stage of a document (``batch``: a hot-folder document, which waits
    behind desk uploads)."""
    soft, hard = time_limits(get_settings(), pages)
    digitize_task.apply_async(
        (document_id,), soft_time_limit=soft, time_limit=hard, queue=digitize_queue(batch=batch)
    )


def schedule_sign(document_id: int, role: SignerRole, level: SignatureLevel, pages: int) -> None:
    """Queue a signature of a document (on ``sign``: it never waits behind an OCR)."""
    soft, hard = time_limits(get_settings(), max(1, pages // 10))
    sign_task.apply_async(
        (document_id, role.value, level.value),
        soft_time_limit=soft,
        time_limit=hard,
        queue=QUEUE_SIGN,
    )


def schedule_stage(
    document_id: int, stage: Stage, role: SignerRole | None, level: SignatureLevel, pages: int
) -> None:
    """Queue ``stage`` again (retry of a failed document)."""
    if stage == pipeline.DIGITIZE:
        schedule_digitize(document_id, pages)
    else:
        schedule_sign(document_id, role or SignerRole.AGENCY, level, pages)


__all__ = [
    "digitize_queue",
    "digitize_task",
    "ping_task",
    "schedule_digitize",
    "schedule_sign",
    "schedule_stage",
    "sign_task",
    "time_limits",
]
