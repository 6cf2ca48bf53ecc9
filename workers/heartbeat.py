"""The worker's heartbeat: a row in the database refreshed every few seconds.

Started when the Celery worker is ready (main process, not the pool children) and removed at a
clean shutdown; a worker that is killed simply stops beating, and ``/readyz`` goes 503 once
no heartbeat is younger than ``SOHOA_WORKER_HEARTBEAT_SECONDS``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any

from celery.signals import worker_ready, worker_shutdown

from core.settings import get_settings
from pipeline.bootstrap import open_runtime
from pipeline.context import Runtime
from storage import heartbeats

log = logging.getLogger(__name__)
_stop = threading.Event()
_state: dict[str, Any] = {}


def interval(seconds: int) -> float:
    """Beat three times per allowed silence, so one slow write does not look like death."""
    return max(0.5, seconds / 3)


def _beat_forever(rt: Runtime, name: str, every: float) -> None:
    while not _stop.is_set():
        try:
            with rt.session() as session:
                heartbeats.beat(session, name, os.getpid())
        except Exception as exc:  # the database may be briefly away; keep beating
            log.warning("worker heartbeat failed: %s", type(exc).__name__)
        _stop.wait(every)


@worker_ready.connect  # type: ignore[untyped-decorator]
def _start(sender: Any = None, **_: Any) -> None:
    settings = get_settings()
    if settings.worker_heartbeat_seconds <= 0:
        return  # switched off: /readyz does not check the worker then
    hostname = getattr(sender, "hostname", None) or socket.gethostname()
    name = f"{hostname}:{os.getpid()}"
    rt = open_runtime(settings)
    _stop.clear()
    thread = threading.Thread(
        target=_beat_forever,
        args=(rt, name, interval(settings.worker_heartbeat_seconds)),
        name="sohoa-heartbeat",
        daemon=True,
    )
    _state.update(rt=rt, name=name, thread=thread)
    thread.start()


@worker_shutdown.connect  # type: ignore[untyped-decorator]
def _stop_beating(**_: Any) -> None:
    _stop.set()
    rt: Runtime | None = _state.pop("rt", None)
    if rt is None:
        return
    try:
        with rt.session() as session:
            heartbeats.forget(session, _state.get("name", ""))
    except Exception as exc:
        log.warning("could not remove the heartbeat: %s", type(exc).__name__)
    finally:
        rt.close()


__all__ = ["interval"]
