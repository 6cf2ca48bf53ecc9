"""A per-client token bucket for the public (citizen) endpoints, and who the client is.

Guessing access secrets must be slow: each client address gets ``per_minute`` tokens that refill
continuously. In-process state is enough for one API process; behind several processes each
keeps its own bucket, which still bounds guessing to ``processes × per_minute``.

Who the client is (the peer, or what trusted proxies say) is ``pipeline.clients``, shared with
the web pages.
"""

from __future__ import annotations

import threading
import time

from starlette.requests import Request

from core.errors import SohoaError
from core.settings import Settings
from pipeline import clients


class RateLimited(SohoaError):
    """Too many requests from one client on a rate-limited endpoint."""

    code = "rate-limited"
    status = 429
    exit_code = 64
    title_vi = "Quá nhiều yêu cầu"
    retryable = True


class TokenBucket:
    """``per_minute`` requests per key, refilled continuously; bounded memory."""

    def __init__(self, per_minute: int, *, max_keys: int = 10_000) -> None:
        self.capacity = float(max(1, per_minute))
        self.rate = self.capacity / 60.0
        self.max_keys = max_keys
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> None:
        """Consume one token for ``key`` or raise ``RateLimited``."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._state.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._state[key] = (tokens, now)
                raise RateLimited(
                    "Too many requests; slow down.", detail_vi="Quá nhiều yêu cầu, thử lại sau."
                )
            if len(self._state) >= self.max_keys and key not in self._state:
                self._state.clear()  # crude but bounded; an attacker gains one fresh bucket
            self._state[key] = (tokens - 1.0, now)


def client_address(request: Request, settings: Settings) -> str:
    """The client's address: the peer, or what trusted proxies say (``pipeline.clients``)."""
    peer = request.client.host if request.client else None
    return clients.client_address(
        peer, request.headers.getlist("x-forwarded-for"), settings.trusted_proxies
    )


__all__ = ["RateLimited", "TokenBucket", "client_address"]
