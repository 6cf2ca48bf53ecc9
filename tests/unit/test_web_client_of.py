"""The web pages see the client as the API does: behind a trusted reverse proxy, the address it
forwards, so logins and citizen look-ups are throttled per user, not as one proxy."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from starlette.requests import Request

from core.settings import settings_with
from web.session import client_of


def _request(peer: str, forwarded: list[str], proxies: str) -> Request:
    runtime = SimpleNamespace(settings=settings_with(trusted_proxies=proxies))
    app = SimpleNamespace(state=SimpleNamespace(runtime=runtime))
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "client": (peer, 40000), "headers": headers, "app": app})


@pytest.mark.parametrize(
    ("peer", "forwarded", "proxies", "seen"),
    [
        ("10.0.0.2", ["203.0.113.9"], "10.0.0.0/8", "203.0.113.9"),  # behind our nginx
        ("10.0.0.2", ["198.51.100.1, 203.0.113.9"], "10.0.0.0/8", "203.0.113.9"),  # spoofed left
        ("203.0.113.9", ["198.51.100.1"], "10.0.0.0/8", "203.0.113.9"),  # not from the proxy
        ("10.0.0.2", ["203.0.113.9"], "", "10.0.0.2"),  # no proxy trusted: the peer
    ],
)
def test_web_pages_read_the_client_address_like_the_api(
    peer: str, forwarded: list[str], proxies: str, seen: str
) -> None:
    assert client_of(_request(peer, forwarded, proxies)) == seen
