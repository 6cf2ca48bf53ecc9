"""Leases on Redis messages a live worker holds, so only a dead worker's tasks are redelivered.

kombu's Redis transport keeps every delivered, unacknowledged message in a sorted set scored by
its delivery time and gives it back to the queue once it is older than the visibility timeout,
whether its worker is dead or just busy with a long OCR. One timeout cannot be both short (a
host that died hands its work over soon) and longer than the longest OCR (500 pages × a minute).
So the worker's main process renews the score of every message it holds (reserved, running, or
waiting for a retry countdown) every third of the timeout: a message goes back to the queue only
when nobody renewed it for a whole timeout, i.e. its worker is gone. A task's hard time limit
(grown from its page count, ``workers.tasks.time_limits``) still bounds a stuck one.

The set's name and the renewal are kombu internals, checked against kombu 5.7.0
(``kombu.transport.redis.QoS.append`` / ``restore_visible``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

import redis
from celery.signals import worker_ready, worker_shutdown
from celery.worker import state

from core.settings import get_settings
from workers.celery_app import broker_url

log = logging.getLogger(__name__)

#: kombu's default ``unacked_index_key`` (sohoa sets no key prefix).
UNACKED_INDEX = "unacked_index"
_stop = threading.Event()


def renewal_interval(visibility_timeout: int) -> float:
    """Seconds between renewals: a third of the timeout, so two renewals may be missed."""
    return max(1.0, visibility_timeout / 3)


def held_delivery_tags() -> list[str]:
    """Delivery tags of every message this worker process holds unacknowledged."""
    held: set[Any] = set()
    for group in ("reserved_requests", "active_requests", "scheduled_requests"):
        held |= set(getattr(state, group, ()))
    tags = (getattr(getattr(r, "message", None), "delivery_tag", None) for r in held)
    return sorted(str(t) for t in tags if t)


def renew(client: redis.Redis, tags: Iterable[str], now: float | None = None) -> int:
    """Mark ``tags`` as delivered ``now``; a tag already acknowledged is not brought back."""
    scores = {tag: now if now is not None else time.time() for tag in tags}
    if not scores:
        return 0
    # XX: update members only; an acknowledged message's entry was removed and stays removed.
    client.zadd(UNACKED_INDEX, scores, xx=True)
    return len(scores)


def _renew_forever(url: str, interval: float) -> None:
    client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=10)
    while not _stop.wait(interval):
        try:
            renew(client, held_delivery_tags())
        except (redis.RedisError, OSError) as exc:
            # The broker is away: the worker reconnects on its own; keep trying.
            log.warning("message lease renewal failed: %s", exc)


def _redis(url: str) -> bool:
    return url.startswith(("redis://", "rediss://", "redis+socket://"))


@worker_ready.connect  # type: ignore[untyped-decorator]
def _start_renewals(**_: Any) -> None:
    settings = get_settings()
    url = broker_url(settings)
    if not _redis(url) or url.startswith("redis+socket://"):
        return
    _stop.clear()
    interval = renewal_interval(settings.broker_visibility_timeout)
    thread = threading.Thread(
        target=_renew_forever, args=(url, interval), name="sohoa-leases", daemon=True
    )
    thread.start()
    log.info("renewing message leases every %.0fs", interval)


@worker_shutdown.connect  # type: ignore[untyped-decorator]
def _stop_renewals(**_: Any) -> None:
    _stop.set()


__all__ = ["UNACKED_INDEX", "held_delivery_tags", "renew", "renewal_interval"]
