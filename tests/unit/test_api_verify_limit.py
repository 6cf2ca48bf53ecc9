"""``POST /verify`` refuses a declared oversized body before reading a byte of it (#11)."""

from __future__ import annotations

import asyncio
from typing import Any

from api.routes.verify import VerifyBodyLimit


def _run(limit: VerifyBodyLimit, scope: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    sent: list[dict[str, Any]] = []
    reads = 0

    async def receive() -> dict[str, Any]:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(dict(message))

    asyncio.run(limit(scope, receive, send))
    return sent, reads


def _scope(path: str, length: int, method: str = "POST") -> dict[str, Any]:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "headers": [(b"content-length", str(length).encode())],
    }


def test_an_oversized_verify_upload_is_refused_unread() -> None:
    called: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        called.append(scope["path"])

    limit = VerifyBodyLimit(app, max_bytes=1000, path="/api/v1/verify")
    sent, reads = _run(limit, _scope("/api/v1/verify", 50_000_000))
    assert sent[0]["status"] == 413 and reads == 0 and called == []
    # other routes keep the general limit (not this one); small verify uploads pass
    for scope in (_scope("/api/v1/dossiers/X/documents", 50_000), _scope("/api/v1/verify", 10)):
        _run(limit, scope)
    assert called == ["/api/v1/dossiers/X/documents", "/api/v1/verify"]
