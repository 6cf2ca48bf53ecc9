"""Refuse oversized request bodies while they stream in, as 413 problem+json.

A declared ``Content-Length`` over the limit is refused before a byte of the body is read; a
body without one (chunked) is counted as it arrives and cut off as soon as it passes the limit,
so an upload is never buffered whole before being refused.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem_response


class BodyLimitMiddleware:
    """Pure ASGI middleware enforcing ``max_bytes`` on every request body."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            response = problem_response(
                413,
                "too-large",
                "Content too large",
                f"The request body is over the limit of {self.max_bytes} bytes.",
                instance=str(scope.get("path", "")),
                title_vi="Tệp quá lớn",
                headers={"Connection": "close"},
            )
            await response(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # An HTTPException passes through FastAPI's body parsing unchanged and
                    # becomes a 413 problem (api.problems); the rest is never read.
                    raise HTTPException(
                        413, f"The request body is over the limit of {self.max_bytes} bytes."
                    )
            return message

        await self.app(scope, limited, send)


__all__ = ["BodyLimitMiddleware"]
