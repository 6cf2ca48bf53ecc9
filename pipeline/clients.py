"""Who the client is: the TCP peer, or what trusted proxies say it was (API and web alike).

The client address is the TCP peer, unless the peer is a trusted proxy
(``SOHOA_TRUSTED_PROXIES``, empty by default): only then is ``X-Forwarded-For`` read, from the
right, skipping trusted hops. Anyone else can write any ``X-Forwarded-For`` they like, so
believing it from everyone would give each request a fresh rate-limit bucket and login lockout;
not reading it behind a proxy would put every user behind that proxy in one.

Plain strings in, a string out: the HTTP layers (``api``, ``web``) pass in the peer and the
headers.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from core.errors import ConfigurationError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


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
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(peer: str | None, forwarded_for: Iterable[str], trusted_proxies: str) -> str:
    """The client's address, given the TCP peer and the ``X-Forwarded-For`` header values."""
    peer = peer or "unknown"
    networks = trusted_networks(trusted_proxies)
    if not networks or not is_trusted(peer, networks):
        return peer
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",")]
    # The right-most hop was added by our proxy; walk left past the proxies we trust.
    for hop in reversed([h for h in hops if h]):
        if not is_trusted(hop, networks):
            return hop[:64]
    return peer


__all__ = ["Network", "client_address", "is_trusted", "trusted_networks"]
