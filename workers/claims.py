"""One running copy of a stage per document, across every worker host (Redis broker only).

Redelivery alone cannot run a stage twice at once (a live worker renews its message's lease,
``workers.leases``), but a stage can be *queued* twice: a digitize task killed after it queued
the officer's signature and before it was acknowledged is redelivered, finds the document
digitized and queues that signature again. Run one after the other, the second copy finds the
signature and does nothing; run at the same time on two hosts, both would sign and store a
second version. So a stage first claims ``(document, stage)`` in Redis (``SET NX`` with a TTL of
half the visibility timeout, renewed every third of that while the stage runs, deleted after); a
copy that finds the claim taken is queued again a little later instead of running.

A claim whose host died must lapse *before* that host's messages come back, or the copy that
takes the task over finds the dead host's claim and waits a round for nothing. The message comes
back no sooner than a whole visibility timeout after its last lease renewal, which was at most a
third of the timeout before the host died (``workers.leases``); the claim lapses at most half the
timeout after the host died. Half + nothing < a whole − a third: the claim always goes first.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import redis
from sqlalchemy import make_url

from core.settings import Settings
from storage.db import database_url
from workers.celery_app import broker_url

_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"
_RENEW = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('pexpire', KEYS[1], ARGV[2]) end"
)
_clients: dict[str, redis.Redis] = {}


def _client(settings: Settings) -> redis.Redis | None:
    url = broker_url(settings)
    if not url.startswith(("redis://", "rediss://")):
        return None  # the embedded SQLite broker serves one worker: nothing to exclude
    if url not in _clients:
        _clients[url] = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=10)
    return _clients[url]


def installation(settings: Settings) -> str:
    """A short name of the installation the claims belong to: its database, whose document ids
    they name (two installations sharing one Redis must not hold each other's claims)."""
    url = make_url(database_url(settings)).render_as_string(hide_password=True)
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:12]


def claim_ttl_ms(settings: Settings) -> int:
    """A claim's time to live: half the visibility timeout (see the module's note)."""
    return max(1500, settings.broker_visibility_timeout * 500)


def claim_key(settings: Settings, document_id: int, stage: str) -> str:
    return f"sohoa:claim:{installation(settings)}:{stage}:{document_id}"


@contextmanager
def claimed(settings: Settings, document_id: int, stage: str) -> Iterator[bool]:
    """Yield True while this process holds the claim on ``stage`` of the document, else False."""
    client = _client(settings)
    if client is None:
        yield True
        return
    key, token = claim_key(settings, document_id, stage), secrets.token_hex(16)
    ttl_ms = claim_ttl_ms(settings)
    if not client.set(key, token, nx=True, px=ttl_ms):
        yield False
        return
    done = threading.Event()

    def renew() -> None:
        while not done.wait(ttl_ms / 3000):
            # The broker away: the claim may lapse; the stage itself stays idempotent.
            with suppress(redis.RedisError):
                client.eval(_RENEW, 1, key, token, ttl_ms)

    thread = threading.Thread(target=renew, name="sohoa-claim", daemon=True)
    thread.start()
    try:
        yield True
    finally:
        done.set()
        thread.join(timeout=5)
        with suppress(redis.RedisError):  # else it expires on its own
            client.eval(_RELEASE, 1, key, token)


__all__ = ["claim_key", "claim_ttl_ms", "claimed", "installation"]
