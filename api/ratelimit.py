"""A per-client token bucket for the public (citizen) endpoints, and who the client is.

Guessing access secrets must be slow: each client address gets ``per_minute`` tokens that refill
continuously. In-process state is enough for one API process; behind several processes each
keeps its own bucket, which still bounds guessing to ``processes × per_minute``.

The client address is the TCP peer, unless the peer is a trusted proxy
(``SOHOA_TRUSTED_PROXIES``, empty by default): only then is ``X-Forwarded-For`` read, from the
right, skipping trusted hops. Anyone else can write any ``X-Forwarded-For`` they like, so
believing it from everyone would give each request a fresh bucket.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from functools import lru_cache

from starlette.requests import Request

from core.errors import ConfigurationError, SohoaError
from core.settings import Settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


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


@lru_cache(maxsize=16)
def trusted_networks(spec: str) -> tuple[Network, ...]:
    """The networks of a comma-separated ``SOHOA_TRUSTED_PROXIES`` value."""
    networks: list[Network] = []
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ConfigurationError(
                f"SOHOA_TRUSTED_PROXIES: {item!r} is not an address or network",
                detail_vi="SOHOA_TRUSTED_PROXIES không hợp lệ",
            ) from exc
    return tuple(networks)


def is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    """Whether ``address`` is in one of ``networks``."""
    return _trusted(address, networks)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request: Request, settings: Settings) -> str:
    """The client's address: the peer, or what trusted proxies say in ``X-Forwarded-For``."""
    peer = request.client.host if request.client else "unknown"
    networks = trusted_networks(settings.trusted_proxies)
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [
        hop.strip()
        for header in request.headers.getlist("x-forwarded-for")
        for hop in header.split(",")
    ]
    # The right-most hop was added by our proxy; walk left past the proxies we trust.
    for hop in reversed([h for h in hops if h]):
        if not _trusted(hop, networks):
            return hop[:64]
    return peer


__all__ = ["RateLimited", "TokenBucket", "client_address", "is_trusted", "trusted_networks"]
