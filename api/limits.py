"""Refuse oversized request bodies while they stream in (413), and anonymous uploads (401).

A declared ``Content-Length`` over the limit is refused before a byte of the body is read; a
body without one (chunked) is counted as it arrives and cut off as soon as it passes the limit,
so an upload is never buffered whole before being refused.
"""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import from_error, problem_response
from core.errors import Unauthorized
from pipeline.tokens import authenticate


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


#: Uploads that only staff may make: the body is not read before the bearer token is checked.
STAFF_UPLOADS = re.compile(r"^/api/v1/dossiers/[^/]+/(documents|results)/?$")


class UploadAuthMiddleware:
    """Refuse an unauthenticated staff upload with 401 before reading a byte of its body.

    FastAPI parses a multipart body before it runs the route's dependencies, so without this
    an anonymous client could make the API read (and spool to disk) a whole upload only to be
    told 401 at the end. The role is still checked by the route.
    """

    def __init__(self, app: ASGIApp, paths: re.Pattern[str] = STAFF_UPLOADS) -> None:
        self.app = app
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope.get("method") != "POST"
            or not self.paths.match(str(scope.get("path", "")))
        ):
            await self.app(scope, receive, send)
            return
        try:
            await self._authenticate(scope)
        except Unauthorized as exc:
            response = from_error(exc, instance=str(scope.get("path", "")))
            response.headers["Connection"] = "close"
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _authenticate(self, scope: Scope) -> None:
        header = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Authentication required.", detail_vi="Cần đăng nhập.")
        state = scope["app"].state
        await run_in_threadpool(authenticate, state.runtime, state.token_cache, token.strip())


__all__ = ["STAFF_UPLOADS", "BodyLimitMiddleware", "UploadAuthMiddleware"]
